"""Historic deployment records: a deployment grid (``grid``), as a ``.csv`` or
an ``.xlsx`` workbook (its first sheet), becomes completed operations with
approved CIAs whose section 13 is the outcome record.

The header row is the first non-blank row; columns are matched as ``grid``
says, and unknown ones are reported as warnings and ignored (errors when
``strict``). Blank rows are skipped. Every row is checked first. A file with
any bad row imports nothing unless ``skip_invalid``; then the good rows are
imported and the bad ones reported. A row is known by its identity key (the
reference when the file gives one, else date, start time, location and
borough) and by its site key (always the latter): a row either of whose keys
was already imported is skipped, so importing the same file twice — under
another source name, or as our own export with references — adds nothing. All rows of one import commit in
one transaction.

A figure the grid leaves blank was not recorded: the operation's use case,
watchlist size and threshold are null, and the outcome record leaves the
figure out. Imported records are marked: an ``imported_deployments`` row naming
the source, the CIA's author "Imported from <source>", and a ``cia.imported``
audit entry. Without a reference in the file, one is allocated for the year of
the deployment from LFR-YYYY-9999 downwards (clear of the numbers planners use).

A cell the export quoted so that a spreadsheet takes it for text (``'=…``; the
rule is in ``cells``) is read without that quote: an export imported again
gives back the original text.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Iterator

import sqlalchemy as sa

from cia_common.db import DomainEvent, UnitOfWork

from cia_authoring import domain
from cia_authoring.cells import unquote
from cia_authoring.cias import audit
from cia_authoring.cias.models import Cia, CiaVersion
from cia_authoring.operations.models import Operation
from cia_common.events import utcnow
from cia_authoring.statistics import grid
from cia_authoring.statistics.models import ImportedDeployment

FORMATS = (".csv", ".xlsx")
_ZIP = b"PK\x03\x04"  # an .xlsx workbook is a zip archive


class UnreadableFile(ValueError):
    pass


@dataclass
class ImportReport:
    source: str
    rows: int = 0
    skip_invalid: bool = False
    fatal: bool = False  # the file or its header is unusable: nothing can be imported
    imported: list[str] = field(default_factory=list)        # references
    already_imported: list[int] = field(default_factory=list)  # line numbers
    errors: list[grid.RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Imported deployments with at least one figure not recorded (blank).
    with_figures_not_recorded: int = 0

    @property
    def ok(self) -> bool:
        """Commit the import: no bad row, or bad rows skipped on request."""
        return not self.fatal and (not self.errors or self.skip_invalid)


@dataclass
class Parsed:
    records: list[grid.Record] = field(default_factory=list)
    errors: list[grid.RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows: int = 0
    fatal: bool = False


# --------------------------------------------------------------------------
# Files: (line number, cells) from a CSV text or an XLSX workbook
# --------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """A CSV file's text: UTF-8 (with or without a BOM), else Windows-1252, in
    which spreadsheets on Windows save the published grid's en dashes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def csv_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for cells in reader:
        # line_num is the last physical line read; a quoted cell may span lines.
        yield reader.line_num - sum(c.count("\n") for c in cells), cells


def _cell_text(value: Any) -> str:
    """A workbook cell as the text a CSV of the grid would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.12g}"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):  # a duration or time of day formatted h:mm
        return f"{value.hour}:{value.minute:02d}"
    if isinstance(value, timedelta):  # a duration formatted [h]:mm
        minutes = round(value.total_seconds() / 60)
        return f"{minutes // 60}:{minutes % 60:02d}"
    return str(value).strip()


def xlsx_lines(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """The first worksheet's rows, numbered as the spreadsheet numbers them."""
    import openpyxl  # only an XLSX import needs it
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors alike
        raise UnreadableFile(f"Not a readable .xlsx workbook ({type(exc).__name__}).") from exc
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    finally:
        book.close()


def lines_of(data: bytes, filename: str) -> Iterator[tuple[int, list[str]]]:
    """The rows of a ``.csv`` or ``.xlsx`` file, told apart by content, then by name."""
    name = filename.lower()
    if data.startswith(_ZIP) or name.endswith(".xlsx"):
        return xlsx_lines(data)
    if name.endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("An .xls workbook (Excel 97-2003): save it as .xlsx or .csv.")
    return csv_lines(decode(data))


# --------------------------------------------------------------------------
# Checking every row
# --------------------------------------------------------------------------


def read_lines(lines: Iterable[tuple[int, list[str]]], *, strict: bool = False) -> Parsed:
    """Parse and check every row of a grid."""
    parsed = Parsed()
    # The quote the export puts in front of a formula-like text is not part of it.
    it = ((line, [unquote(c) for c in row]) for line, row in lines)
    header_line, names = 1, None
    for header_line, cells in it:
        if any(c.strip() for c in cells):
            names = cells
            break
    header = grid.read_header(names, strict=strict)
    parsed.warnings = header.warnings
    if header.errors:
        parsed.errors.append(grid.RowError(header_line, " ".join(header.errors)))
        parsed.fatal = True
        return parsed
    keys: dict[str, int] = {}
    width = len(header.names)
    for line, cells in it:
        if not any(c.strip() for c in cells):
            continue
        parsed.rows += 1
        if any(c.strip() for c in cells[width:]):
            parsed.errors.append(grid.RowError(line, "More cells than columns."))
            continue
        raw = {name: cell for name, f, cell in zip(header.names, header.fields, cells) if f}
        try:
            record = grid.parse_row(raw, line)
        except grid.BadRow as exc:
            parsed.errors.append(grid.RowError(line, str(exc)))
            continue
        if record.key in keys:
            parsed.errors.append(grid.RowError(line, f"The same deployment as line {keys[record.key]}."))
            continue
        keys[record.key] = line
        parsed.records.append(record)
    return parsed


def read(text: str, *, strict: bool = False) -> tuple[list[grid.Record], list[grid.RowError], int]:
    """Parse and check every row of a CSV text: ``(records, errors, number of data rows)``."""
    parsed = read_lines(csv_lines(text), strict=strict)
    return parsed.records, parsed.errors, parsed.rows


def read_file(data: bytes, filename: str, *, strict: bool = False) -> Parsed:
    """Parse and check a ``.csv`` or ``.xlsx`` grid; an unreadable file is one fatal error."""
    try:
        return read_lines(lines_of(data, filename), strict=strict)
    except UnreadableFile as exc:
        return Parsed(errors=[grid.RowError(1, str(exc))], fatal=True)


# --------------------------------------------------------------------------
# Importing
# --------------------------------------------------------------------------


def import_file(uow: UnitOfWork, data: bytes, filename: str, *, source: str, actor,
                skip_invalid: bool = False, strict: bool = False) -> ImportReport:
    """Create the records of a ``.csv`` or ``.xlsx`` grid in ``uow``; commit it only if
    ``report.ok``."""
    return _import(uow, read_file(data, filename, strict=strict), source=source, actor=actor,
                   skip_invalid=skip_invalid)


def import_csv(uow: UnitOfWork, text: str, *, source: str, actor,
               skip_invalid: bool = False, strict: bool = False) -> ImportReport:
    """Create the records of a CSV text in ``uow``; commit it only if ``report.ok``."""
    return _import(uow, read_lines(csv_lines(text), strict=strict), source=source, actor=actor,
                   skip_invalid=skip_invalid)


def _import(uow: UnitOfWork, parsed: Parsed, *, source: str, actor,
            skip_invalid: bool) -> ImportReport:
    records = parsed.records
    report = ImportReport(source=source, rows=parsed.rows, errors=list(parsed.errors),
                          warnings=list(parsed.warnings), skip_invalid=skip_invalid,
                          fatal=parsed.fatal)
    if not report.ok:
        return report
    session = uow.session
    known: set[str | None] = set()
    if records:
        wanted = {r.key for r in records} | {r.site_key for r in records}
        for key, site_key in session.execute(
                sa.select(ImportedDeployment.key, ImportedDeployment.site_key).where(sa.or_(
                    ImportedDeployment.key.in_(wanted), ImportedDeployment.site_key.in_(wanted)))):
            known.update((key, site_key))
    taken = set(session.execute(sa.select(Operation.reference)).scalars())
    for record in records:
        if record.key in known or record.site_key in known:
            report.already_imported.append(record.line)
            continue
        year = grid._local(record.start).year
        reference = record.reference or _allocate(year, taken)
        if reference is None:
            report.errors.append(grid.RowError(record.line, f"No free reference left for {year}."))
            continue
        if record.reference and reference in taken:
            report.errors.append(grid.RowError(
                record.line, f"Reference {reference} is already used by another operation."))
            continue
        taken.add(reference)
        _create(uow, record, reference, source, actor)
        report.imported.append(reference)
        report.with_figures_not_recorded += bool(record.not_recorded)
    if not report.ok:
        report.imported = []  # the caller does not commit: nothing is imported
        report.with_figures_not_recorded = 0
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
        # Not in a deployment grid: no categories, no camera count (null: not recorded).
        watchlist_size=record.watchlist_size, watchlist_categories=[],
        match_threshold=record.threshold, camera_count=None, status=domain.COMPLETED,
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
    session.add(ImportedDeployment(key=record.key, site_key=record.site_key,
                                   operation_id=op.id, cia_id=cia.id,
                                   source=source[:200], line=record.line, imported_at=now,
                                   imported_by_sub=actor.sub, imported_by_name=actor.name))
    session.flush()
    uow.record(DomainEvent(audit.IMPORTED, cia.id, actor=actor, version=1,
                           content_sha256=version.content_sha256,
                           detail={"source": source, "line": record.line, "key": record.key,
                                   "operation_reference": reference}))
