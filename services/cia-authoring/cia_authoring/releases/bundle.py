"""Disclosure bundles: the released copies of the operations in a date range as
one zip, streamed.

Layout::

    README.txt
    LFR-2026-0042-v1/LFR-2026-0042-v1-disclosure.docx
    LFR-2026-0042-v1/LFR-2026-0042-v1-disclosure.pdf
    LFR-2026-0042-v1/redaction-log.csv
    LFR-2026-0042-v1/redaction-log.json
    ...
    LFR-2019-0007-legacy-1a2b3c4d/LFR-2019-0007-legacy-1a2b3c4d-disclosure.pdf
    LFR-2019-0007-legacy-1a2b3c4d/redaction-log.csv
    ...
    index.csv      one row per file: reference, borough, dates, version, SHA-256;
                   kind (cia or legacy) and, for a legacy document, its source; a
                   legacy document published elsewhere is one row with no file,
                   exemption s.21 and its url

The zip is written into a pipe that the generator drains after every file, and
documents are read from the database one copy at a time, each in its own short
session, so memory stays at about one copy (plus the zip's directory and the
index, a few hundred bytes a file) whatever the size of the bundle. ``index.csv`` comes last, with
the SHA-256 of the bytes actually written. The same generator serves
``GET /api/v1/disclosures/bundle`` and ``cia export-disclosures``.

Only copies that are released and still current are bundled: a copy whose
censor rules changed is left out until the worker has re-rendered it and an
FOI officer has released it again. Released legacy documents
(``legacy.released``) of the same operations follow the CIAs' copies.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.events import isoformat
from cia_schemas.operation import REFERENCE_PATTERN

from cia_authoring import cells
from cia_authoring.documents import service as rendering
from cia_authoring.cias.models import Cia, CiaVersion
from cia_authoring.cias.models import Document
from cia_authoring.operations.models import Operation
from cia_authoring.disclosure import copies, redactors, register
from cia_authoring.disclosure import censor_rules as rules_service
from cia_redaction import Redactor
from cia_authoring.legacy import released as legacy_released
from cia_authoring.disclosure.models import RELEASED, DisclosureCopy

INDEX_COLUMNS = ("reference", "borough", "planned_start", "planned_end", "version",
                 "approved_at", "released_at", "file", "format", "sha256", "bytes",
                 "kind", "source", "exemption", "url")


# Copies read per short database session while the bundle streams.
READ_BATCH = 32
_REFERENCE = re.compile(REFERENCE_PATTERN)
# Distinct redaction logs whose files are kept while a bundle streams.
_LOGS_KEPT = 256


@dataclass(frozen=True)
class BundleItem:
    cia_id: str
    version: int
    reference: str
    borough: str
    planned_start: datetime
    planned_end: datetime
    approved_at: datetime | None
    released_at: datetime
    docx_sha256: str
    pdf_sha256: str | None

    @property
    def folder(self) -> str:
        return f"{self.reference}-v{self.version}"


def released_copies(session: Session, start_from: datetime | None = None,
                    start_to: datetime | None = None,
                    cfg: dict | None = None) -> tuple[list[BundleItem], int]:
    """Released, current copies of operations planned to start in [from, to);
    and how many released copies were left out because they are being re-rendered."""
    query = (
        sa.select(DisclosureCopy.cia_id, DisclosureCopy.version, DisclosureCopy.rules_fingerprint,
                  DisclosureCopy.released_at, DisclosureCopy.released_docx_sha256,
                  DisclosureCopy.released_pdf_sha256, Operation.reference, Operation.borough,
                  Operation.planned_start, Operation.planned_end, CiaVersion.approved_at)
        .join(Cia, Cia.id == DisclosureCopy.cia_id)
        .join(Operation, Operation.id == Cia.operation_id)
        .join(CiaVersion, sa.and_(CiaVersion.cia_id == DisclosureCopy.cia_id,
                                  CiaVersion.number == DisclosureCopy.version))
        .where(DisclosureCopy.state == RELEASED)
        .order_by(Operation.planned_start, Operation.reference, DisclosureCopy.version)
    )
    if start_from:
        query = query.where(Operation.planned_start >= start_from)
    if start_to:
        query = query.where(Operation.planned_start < start_to)
    rows = session.execute(query).all()
    fingerprints = rules_service.fingerprints(session, {r.cia_id for r in rows})
    items, stale = [], 0
    rules_of = rules_service.applicable_to_all(session)
    withheld = redactors.withheld_names(register.names(session))
    # A reference is an identifier (LFR-dddd-dddd, checked on every write): no name can
    # be in it, so the name model, a few milliseconds a text, need not read it; the
    # rules, withheld values and every pattern detector still do.
    identifiers_cfg = {**(cfg or {}), "DISCLOSURE_NAME_MODEL": False}
    by_rules: dict[tuple, tuple[Redactor, Redactor]] = {}  # by the rules that apply: most CIAs share one
    for r in rows:
        if copies.is_stale(r, fingerprints, r.cia_id):
            stale += 1
            continue
        # The folder names and index.csv print operation fields: the same pass
        # as the copies (rules, detectors, the name register), so nothing the copy
        # withholds is there.
        rules = rules_of(r.cia_id)
        key = tuple(map(id, rules))
        if key not in by_rules:
            by_rules[key] = (redactors.redactor_for(cfg or {}, withheld=withheld, rules=rules),
                             redactors.redactor_for(identifiers_cfg, withheld=withheld, rules=rules))
        redactor, identifiers = by_rules[key]
        reference = (identifiers if _REFERENCE.fullmatch(r.reference) else redactor).text(r.reference)
        items.append(BundleItem(r.cia_id, r.version, _safe_name(reference),
                                redactor.text(r.borough or ""), r.planned_start,
                                r.planned_end, r.approved_at, r.released_at,
                                r.released_docx_sha256, r.released_pdf_sha256))
    return items, stale


@dataclass(frozen=True)
class LegacyItem:
    document: legacy_released.ReleasedDocument
    reference: str  # redacted, as the CIAs' folders
    borough: str

    @property
    def folder(self) -> str:
        return f"{self.reference}-legacy-{self.document.id[:8]}"


def released_legacy(session: Session, start_from: datetime | None = None,
                    start_to: datetime | None = None,
                    cfg: dict | None = None) -> list[LegacyItem]:
    """Released legacy documents of operations planned to start in [from, to)."""
    docs = legacy_released.released_legacy_documents(session, date_from=start_from, date_to=start_to)
    if not docs:
        return []
    redactor = redactors.redactor_for(cfg or {}, register=register.names(session),
                                      rules=rules_service.applicable(session, None))
    return [LegacyItem(d, _safe_name(redactor.text(d.operation_reference)),
                       redactor.text(d.borough or "")) for d in docs]


def _safe_name(text: str) -> str:
    # A marker in a reference must not make a path inside the zip, nor a name that a
    # spreadsheet listing the zip would take for a formula (``cells.file_name``).
    return cells.file_name("".join(c if c.isalnum() or c in "-_." else "_"
                                   for c in text)[:120]) or "redacted"


class _Pipe:
    """A write-only file for ``zipfile``: what is written waits here until drained."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data) -> int:
        # zipfile hands over the stored files' own bytes: kept, not copied.
        self._parts.append(data if isinstance(data, bytes) else bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        out = b"".join(self._parts)
        self._parts = []
        return out


def _csv(rows: list[dict], columns) -> bytes:
    buf = io.StringIO()
    writer = cells.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _iso(moment: datetime | None) -> str:
    return isoformat(moment) if moment else ""


def _date_time(when: datetime) -> tuple:
    stamp = max(when.astimezone(timezone.utc), datetime(1980, 1, 1, tzinfo=timezone.utc))
    return stamp.timetuple()[:6]


def _info(name: str, when: datetime | tuple, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_date_time(when) if isinstance(when, datetime) else when)
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    return info


class _Index:
    """index.csv as CSV text: every text cell through ``clean`` (when given), then made a
    cell by ``cells``; the cells a copy's files share are made once per copy (``shared``)."""

    def __init__(self, clean: Callable[[str], str] | None = None):
        self.buffer = io.StringIO()
        self._writer = cells.DictWriter(self.buffer, fieldnames=list(INDEX_COLUMNS))
        self._writer.writeheader()
        self._clean = clean

    def _cleaned(self, row: dict) -> dict:
        if self._clean is None:
            return row
        return {k: self._clean(v) if isinstance(v, str) else v for k, v in row.items()}

    def shared(self, row: dict) -> cells.Made:
        return cells.made(self._cleaned(row))

    def writerow(self, row: dict, shared: cells.Made | None = None) -> None:
        self._writer.writerow(self._cleaned(row), shared)


def stream(sessions: Callable[[], Session], items: list[BundleItem], *,
           start_from: datetime | None = None, start_to: datetime | None = None,
           progress: Callable[[BundleItem], None] | None = None,
           legacy: list[LegacyItem] = (), clean: Callable[[str], str] | None = None,
           now: datetime | None = None) -> Iterator[bytes]:
    """Yield the zip's bytes. ``sessions`` opens a short read session per copy.
    ``clean``: a pass over every text of the index and the redaction logs (the
    public redactor, for a response's attachments); ``now``: the time it says it
    was made."""
    pipe = _Pipe()
    now = now or datetime.now(timezone.utc)
    # The index grows as CSV text (a few hundred bytes a file), not as row objects.
    index_writer = _Index(clean)
    with zipfile.ZipFile(pipe, "w", allowZip64=True) as zf:
        readme = (
            "FOI disclosure bundle: released disclosure copies of Community Impact Assessments\n"
            f"Operations planned to start from {_iso(start_from) or 'the beginning'} "
            f"to {_iso(start_to) or 'now'} (end excluded).\n"
            f"Generated {isoformat(now)}.\n"
            "Each folder holds one copy (DOCX and PDF) and its redaction log; index.csv lists "
            "every file with its SHA-256.\n"
            "Redacted text is shown in place as [Redacted — s.40(2)] or [Redacted — s.31(1)(a)(b)].\n"
            "Legacy documents (written before the system, redacted the same way) are in folders "
            "named <reference>-legacy-<id>; one already published elsewhere is listed in "
            "index.csv under s.21 with its url instead of a file.\n"
        )
        zf.writestr(_info("README.txt", now, zipfile.ZIP_DEFLATED), readme.encode("utf-8"))
        yield pipe.drain()
        logs: dict = {}  # a redaction log's files by its stored text: most copies share a few
        for first in range(0, len(items), READ_BATCH):
            # One short read per few copies: no transaction stays open while the
            # client downloads (on SQLite that would hold the database's write lock).
            batch = items[first:first + READ_BATCH]
            with sessions() as session:
                stored = _read_many(session, batch)
            for item in batch:
                yield from _add_copy(zf, pipe, index_writer, item, stored, logs, clean)
                if progress is not None:
                    progress(item)
        for item in legacy:
            doc = item.document
            row = {"reference": item.reference, "borough": item.borough,
                   "planned_start": _iso(doc.planned_start), "planned_end": _iso(doc.planned_end),
                   "released_at": _iso(doc.released_at), "kind": "legacy", "source": doc.source}
            if doc.published_url:
                # Reasonably accessible elsewhere (FOIA s.21): cited, not attached.
                index_writer.writerow({**row, "exemption": legacy_released.PUBLISHED_EXEMPTION,
                                       "url": doc.published_url})
                continue
            with sessions() as session:
                files = _read_legacy(session, item, clean)
            for fmt, name, data, compress, sha256 in files or ():
                zf.writestr(_info(f"{item.folder}/{name}", doc.released_at, compress), data)
                index_writer.writerow({**row, "file": f"{item.folder}/{name}", "format": fmt,
                                       "sha256": sha256, "bytes": len(data)})
                yield pipe.drain()
        zf.writestr(_info("index.csv", now, zipfile.ZIP_DEFLATED),
                    index_writer.buffer.getvalue().encode("utf-8"))
    yield pipe.drain()


def _add_copy(zf: zipfile.ZipFile, pipe: _Pipe, index_writer, item: BundleItem,
              stored: dict, logs: dict, clean: Callable[[str], str] | None = None) -> Iterator[bytes]:
    files = _files(item, stored, logs, clean)
    if files is None:
        return  # re-rendered or withdrawn since the listing
    shared = index_writer.shared({
        "reference": item.reference, "borough": item.borough,
        "planned_start": _iso(item.planned_start), "planned_end": _iso(item.planned_end),
        "version": item.version, "approved_at": _iso(item.approved_at),
        "released_at": _iso(item.released_at), "kind": "cia"})
    date_time = _date_time(item.released_at)
    for fmt, name, data, compress, sha256 in files:
        zf.writestr(_info(f"{item.folder}/{name}", date_time, compress), data)
        index_writer.writerow({"file": f"{item.folder}/{name}", "format": fmt, "sha256": sha256,
                               "bytes": len(data)}, shared)
        yield pipe.drain()


def _read_many(session: Session, items: list[BundleItem]) -> dict:
    """The stored disclosure files of ``items``, {(cia_id, version, format): row}, in one
    query: plain rows (no ORM objects), the redaction log as its stored JSON text."""
    rows = session.connection().execute(
        _READ_MANY, {"keys": [(i.cia_id, i.version) for i in items]})
    return {(r.cia_id, r.version, r.format): r for r in rows}


# Built once with an expanding parameter: a statement with its keys inlined as
# literals costs more to key for SQLAlchemy's compiled cache than to run.
_READ_MANY = (
    sa.select(Document.cia_id, Document.version, Document.format, Document.data,
              Document.sha256, sa.cast(Document.redaction_log, sa.Text).label("log_json"))
    .where(Document.kind == rendering.DISCLOSURE,
           Document.format.in_((copies.DOCX, copies.PDF)),
           sa.tuple_(Document.cia_id, Document.version).in_(sa.bindparam("keys", expanding=True))))


def _files(item: BundleItem, stored: dict, logs: dict, clean: Callable[[str], str] | None = None):
    """The copy's files as (format, name, data, compression, SHA-256), with the
    SHA-256 stored beside each document; None when the released DOCX is gone."""
    docx = stored.get((item.cia_id, item.version, copies.DOCX))
    if docx is None or docx.sha256 != item.docx_sha256:
        return None
    base = f"{item.folder}-disclosure"
    # DOCX and PDF are compressed already: stored as they are, not deflated again.
    files = [("docx", f"{base}.docx", docx.data, zipfile.ZIP_STORED, docx.sha256)]
    # A stored PDF is always the conversion of the stored DOCX (see copies), here
    # the released one; it may have been converted after the release.
    pdf = stored.get((item.cia_id, item.version, copies.PDF))
    if pdf is not None:
        files.append(("pdf", f"{base}.pdf", pdf.data, zipfile.ZIP_STORED, pdf.sha256))
    log_files = logs.get(docx.log_json)
    if log_files is None:
        if len(logs) >= _LOGS_KEPT:  # bounded: a bundle's memory stays about one copy
            logs.clear()
        log_files = logs[docx.log_json] = _log_files(
            json.loads(docx.log_json) if docx.log_json is not None else None, clean)
    return files + log_files


def _log_files(redaction_log, clean: Callable[[str], str] | None = None) -> list[tuple]:
    rows = copies.log_rows(redaction_log)
    if clean is not None:
        rows = [{k: clean(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows]
    csv_data = _csv(rows, copies.LOG_COLUMNS)
    json_data = json.dumps(rows, indent=2, ensure_ascii=False).encode("utf-8")
    return [("redaction-log-csv", "redaction-log.csv", csv_data, zipfile.ZIP_DEFLATED,
             hashlib.sha256(csv_data).hexdigest()),
            ("redaction-log-json", "redaction-log.json", json_data, zipfile.ZIP_DEFLATED,
             hashlib.sha256(json_data).hexdigest())]


def _read_legacy(session: Session, item: LegacyItem, clean: Callable[[str], str] | None = None):
    doc = item.document
    data = legacy_released.released_data(session, doc.id, doc.sha256)
    if data is None:
        return None
    return [(doc.format, f"{item.folder}-disclosure.{doc.format}", data, zipfile.ZIP_STORED,
             doc.sha256)] + _log_files(legacy_released.released_log(session, doc.id), clean)
