"""Historic deployment records: a deployment-grid CSV (``grid``) becomes
completed operations with approved CIAs whose section 13 is the outcome record.

Every row is checked first. A file with any bad row imports nothing unless
``skip_invalid``; then the good rows are imported and the bad ones reported.
A row is known by its identity key (the reference when the file gives one,
else date, start time, location and borough): a key already imported is
skipped, so importing the same file twice — or under another source name —
adds nothing. All rows of one import commit in one transaction.

Imported records are marked: an ``imported_deployments`` row naming the
source, the CIA's author "Imported from <source>", and a ``cia.imported``
audit entry. Without a reference in the file, one is allocated for the year of
the deployment from LFR-YYYY-9999 downwards (clear of the numbers planners use).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import sqlalchemy as sa

from cia_common.db import UnitOfWork

from .. import audit, domain
from ..models import Cia, CiaVersion, Operation, utcnow
from . import grid
from .models import ImportedDeployment

IMPORTED = "cia.imported"


@dataclass
class ImportReport:
    source: str
    rows: int = 0
    skip_invalid: bool = False
    fatal: bool = False  # the header is unusable: nothing can be imported
    imported: list[str] = field(default_factory=list)        # references
    already_imported: list[int] = field(default_factory=list)  # line numbers
    errors: list[grid.RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Commit the import: no bad row, or bad rows skipped on request."""
        return not self.fatal and (not self.errors or self.skip_invalid)


def read(text: str) -> tuple[list[grid.Record], list[grid.RowError], int]:
    """Parse and check every row: ``(records, errors, number of data rows)``."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header_problems = grid.check_header(reader.fieldnames)
    if header_problems:
        return [], [grid.RowError(1, " ".join(header_problems))], 0
    records, errors, rows, keys = [], [], 0, {}
    for raw in reader:
        # line_num is the last physical line read; a quoted cell may span lines.
        start_line = reader.line_num - sum(v.count("\n") for v in raw.values()
                                           if isinstance(v, str))
        rows += 1
        if None in raw:
            errors.append(grid.RowError(start_line, "More cells than columns."))
            continue
        try:
            record = grid.parse_row(raw, start_line)
        except grid.BadRow as exc:
            errors.append(grid.RowError(start_line, str(exc)))
            continue
        if record.key in keys:
            errors.append(grid.RowError(start_line, f"The same deployment as line {keys[record.key]}."))
            continue
        keys[record.key] = start_line
        records.append(record)
    return records, errors, rows


def import_csv(uow: UnitOfWork, text: str, *, source: str, actor,
               skip_invalid: bool = False) -> ImportReport:
    """Create the records of ``text`` in ``uow``; commit it only if ``report.ok``."""
    records, errors, rows = read(text)
    report = ImportReport(source=source, rows=rows, errors=errors, skip_invalid=skip_invalid,
                          fatal=bool(errors) and not records and rows == 0)
    if not report.ok:
        return report
    session = uow.session
    known = set(session.execute(sa.select(ImportedDeployment.key).where(
        ImportedDeployment.key.in_([r.key for r in records]))).scalars()) if records else set()
    taken = set(session.execute(sa.select(Operation.reference)).scalars())
    for record in records:
        if record.key in known:
            report.already_imported.append(record.line)
            continue
        reference = record.reference or _allocate(record.start.year, taken)
        if reference is None:
            report.errors.append(grid.RowError(record.line, f"No free reference left for {record.start.year}."))
            continue
        if record.reference and reference in taken:
            report.errors.append(grid.RowError(
                record.line, f"Reference {reference} is already used by another operation."))
            continue
        taken.add(reference)
        _create(uow, record, reference, source, actor)
        report.imported.append(reference)
    if not report.ok:
        report.imported = []  # the caller does not commit: nothing is imported
    return report


def _allocate(year: int, taken: set[str]) -> str | None:
    for n in range(9999, 0, -1):
        reference = f"LFR-{year:04d}-{n:04d}"
        if reference not in taken:
            return reference
    return None


def _create(uow: UnitOfWork, record: grid.Record, reference: str, source: str, actor) -> None:
    session = uow.session
    now = utcnow()
    who_sub, who_name = f"import:{actor.sub}", f"Imported from {source}"[:200]
    op = Operation(
        reference=reference,
        name=f"{record.location} ({grid._local(record.start).date().isoformat()})"[:200],
        borough=record.borough, ward=record.ward, location_name=record.location,
        use_case=record.use_case, planned_start=record.start, planned_end=record.end,
        # Not in a deployment grid: no categories, no camera count (0: not recorded).
        watchlist_size=record.watchlist_size, watchlist_categories=[],
        match_threshold=record.threshold, camera_count=0, status=domain.COMPLETED,
        created_by_sub=who_sub, created_by_name=who_name, created_at=now, updated_at=now,
    )
    session.add(op)
    session.flush()
    content = {
        "header": {"operation_reference": reference,
                   "title": f"Historic deployment record: {record.location}, "
                            f"{grid._local(record.start).date().isoformat()}"[:500],
                   "protective_marking": "OFFICIAL", "version": 1, "status": domain.APPROVED},
        "post_deployment_review": record.pdr,
    }
    cia = Cia(operation_id=op.id, latest_version=1, created_by_sub=who_sub,
              created_by_name=who_name, created_at=now, updated_at=now)
    session.add(cia)
    session.flush()
    version = CiaVersion(
        cia_id=cia.id, number=1, status=domain.APPROVED, content=content,
        content_sha256=domain.content_hash(content), revision=1,
        author_sub=who_sub, author_name=who_name, last_editor_sub=who_sub,
        last_editor_name=who_name, approved_at=now, created_at=now, updated_at=now,
        status_reason=f"Imported from {source} (line {record.line}); not reviewed in this system.",
    )
    session.add(version)
    session.add(ImportedDeployment(key=record.key, operation_id=op.id, cia_id=cia.id,
                                   source=source[:200], line=record.line, imported_at=now,
                                   imported_by_sub=actor.sub, imported_by_name=actor.name))
    session.flush()
    audit.append(session, cia.id, actor=actor, action=IMPORTED, version=1,
                 content_sha256=version.content_sha256,
                 detail={"source": source, "line": record.line, "key": record.key,
                         "operation_reference": reference})
