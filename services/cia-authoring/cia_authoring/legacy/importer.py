"""``cia import-documents MANIFEST.csv``: a folder of legacy documents, one per row.

Columns ``file, operation_reference, title, dated`` (``dated`` may be empty);
``file`` is relative to the manifest's folder. Each row is brought in in its own
transaction through the same ``service.add`` as the upload: a bad row is
reported with its line number and leaves nothing behind; a file already
brought in (same SHA-256) is skipped, so running the import again adds nothing.
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import sqlalchemy as sa

from cia_common.errors import DomainError

from cia_authoring.operations.models import Operation
from cia_authoring.legacy import service

COLUMNS = ("file", "operation_reference", "title", "dated")


@dataclass
class Report:
    imported: list[str] = field(default_factory=list)
    document_ids: list[str] = field(default_factory=list)  # of those imported
    already: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    line: int
    file: str
    reference: str
    title: str
    dated: str


def read_manifest(text: str) -> tuple[list[Row], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], [f"line 1: missing column(s) {', '.join(missing)} (expected {', '.join(COLUMNS)})"]
    reader.fieldnames = header
    rows = []
    before = 1  # the header's line
    for record in reader:
        # A quoted value may span lines: a row is named by the line it starts on.
        start, before = before + 1, reader.line_num
        rows.append(Row(start, (record.get("file") or "").strip(),
                        (record.get("operation_reference") or "").strip(),
                        (record.get("title") or "").strip(), (record.get("dated") or "").strip()))
    return rows, []


def import_manifest(units: Callable, manifest: Path, *, actor, cfg: dict,
                    progress: Callable[[Row], None] | None = None) -> Report:
    """``units()`` opens a unit of work (one per row)."""
    report = Report()
    rows, errors = read_manifest(manifest.read_text(encoding="utf-8-sig"))
    report.errors.extend(errors)
    folder = manifest.parent.resolve()
    for row in rows:
        try:
            outcome = _import_row(units, folder, manifest.name, row, actor, cfg)
        except _RowError as exc:
            report.errors.append(f"line {row.line}: {exc}")
        else:
            if outcome == "already":
                report.already.append(row.file)
            else:
                report.imported.append(row.file)
                report.document_ids.append(outcome)
        if progress is not None:
            progress(row)
    return report


class _RowError(Exception):
    pass


def _import_row(units, folder: Path, source: str, row: Row, actor, cfg: dict) -> str:
    """``already``, or the id of the document brought in."""
    if not row.file:
        raise _RowError("file is empty")
    path = (folder / row.file).resolve()
    if folder not in path.parents:
        raise _RowError(f"{row.file}: outside the manifest's folder")
    if not path.is_file():
        raise _RowError(f"{row.file}: no such file")
    try:
        dated = service.parse_date(row.dated)
    except ValueError:
        raise _RowError(f"dated {row.dated!r} is not a date (YYYY-MM-DD)") from None
    data = path.read_bytes()
    with units() as uow:
        if service.by_sha256(uow.session, hashlib.sha256(data).hexdigest()) is not None:
            return "already"
        op_id = uow.session.execute(sa.select(Operation.id)
                                    .where(Operation.reference == row.reference)).scalar_one_or_none()
        if op_id is None:
            raise _RowError(f"operation_reference {row.reference!r}: no such operation")
        try:
            doc = service.add(uow, op_id, data=data, filename=path.name, title=row.title, dated=dated,
                        actor=actor, cfg=cfg, source=f"import:{source}")
        except DomainError as exc:
            details = "; ".join(f"{e.get('pointer', '')[1:]}: {e.get('detail')}"
                                for e in exc.errors or []) or exc.detail
            raise _RowError(f"{row.file}: {details}") from None
        uow.commit()
        return doc.id
