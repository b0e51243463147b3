"""The authoring service's gauges on /metrics: approved documents waiting for their
PDF. Conversion times are observed in ``pdfs.convert`` (``cia_pdf_conversion_seconds``)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from cia_common.metrics import (PDF_CONVERSION, TIMED_OUTCOMES, age_seconds, count_from_zero,
                                gauge, register_service_metrics)

from cia_authoring.documents import service as rendering
from cia_authoring.cias.models import Document
from cia_authoring.spec import worker_spec


def pdf_queue_gauges(conn: sa.Connection, service: str):
    pdf = aliased(Document)
    count, oldest = conn.execute(
        sa.select(sa.func.count(), sa.func.min(Document.created_at))
        .select_from(Document)
        .outerjoin(pdf, sa.and_(pdf.cia_id == Document.cia_id, pdf.version == Document.version,
                                pdf.kind == Document.kind, pdf.format == rendering.PDF_FORMAT))
        .where(Document.format == rendering.DOCX_FORMAT, pdf.id.is_(None))).one()
    yield gauge("cia_documents_pending_pdf", "Stored DOCX documents with no PDF yet.",
                service, count)
    yield gauge("cia_documents_pending_pdf_oldest_age_seconds",
                "Age of the oldest stored DOCX still without its PDF (0 when none).",
                service, age_seconds(oldest))


def register(app) -> None:
    def consumed() -> list[str]:
        return worker_spec(app.config).subscribe_to

    register_service_metrics(app, [pdf_queue_gauges], consumed)
    # The web converts too (a PDF asked for before the worker made it).
    count_from_zero(PDF_CONVERSION, [(o,) for o in TIMED_OUTCOMES])
