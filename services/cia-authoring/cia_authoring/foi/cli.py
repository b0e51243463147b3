"""``cia export-disclosures`` and ``cia import-deployments``: the FOI commands,
reading and writing the authoring database directly through the same service
functions as the API."""
from __future__ import annotations

import getpass
import sys
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import click

from cia_common.config import events_topic
from cia_common.db import Database
from cia_common.migrate import upgrade

from .. import settings
from ..audit import Actor
from . import bundle, importer

_DATABASE = click.option("--database-url", default=None,
                         help="Authoring database URL (default: the service's configured DATABASE_URL).")


def _database(url: str | None) -> tuple[Database, dict]:
    cfg = settings.load({"DATABASE_URL": url} if url else None)
    if cfg.get("RUN_MIGRATIONS", True):
        from ..app import MIGRATIONS  # the schema the service itself would bring up
        upgrade(cfg["DATABASE_URL"], MIGRATIONS)
    return Database(cfg["DATABASE_URL"]), cfg


def _day(value: str | None, *, upper: bool = False) -> datetime | None:
    """A date (an upper bound covers that whole day) or an ISO 8601 date-time; UTC if naive."""
    if not value:
        return None
    try:
        if len(value) == 10:
            moment = datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time.min,
                                      tzinfo=timezone.utc)
            return moment + timedelta(days=1) if upper else moment
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD) or ISO 8601 date-time.")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@click.command("export-disclosures")
@click.option("--from", "start_from", metavar="DATE",
              help="Operations planned to start on or after DATE (YYYY-MM-DD).")
@click.option("--to", "start_to", metavar="DATE",
              help="Operations planned to start on or before DATE (that day included).")
@_DATABASE
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_disclosures(start_from, start_to, database_url, out: Path) -> None:
    """Write the released disclosure copies of a date range to OUT.zip (as the bundle endpoint)."""
    lower, upper = _day(start_from), _day(start_to, upper=True)
    db, _cfg = _database(database_url)
    partial = out.with_name(out.name + ".part")
    try:
        with db.sessions() as session:
            items, left_out = bundle.released_copies(session, lower, upper)
            legacy = bundle.released_legacy(session, lower, upper)
        with partial.open("wb") as fh, click.progressbar(
                length=len(items), label="Disclosure copies", file=sys.stderr,
                show_pos=True) as bar:
            for chunk in bundle.stream(db.sessions, items, start_from=lower, start_to=upper,
                                       progress=lambda _item: bar.update(1), legacy=legacy):
                fh.write(chunk)
        partial.replace(out)  # a half-written bundle never carries the final name
    finally:
        partial.unlink(missing_ok=True)
        db.dispose()
    click.echo(f"Wrote {len(items)} released disclosure cop{'y' if len(items) == 1 else 'ies'} "
               f"to {out}.")
    if left_out:
        click.echo(f"Left out {left_out} released cop{'y' if left_out == 1 else 'ies'} whose "
                   "censor rules changed (being re-rendered; release them again).", err=True)


@click.command("import-deployments")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True,
              help="Import the valid rows and report the bad ones (default: a bad row imports nothing).")
@click.option("--strict", is_flag=True,
              help="Refuse a file with unknown columns (default: warn and ignore them).")
@click.option("--source", default=None,
              help="Where the records come from, recorded on each (default: the file name).")
@click.option("--by", "by", default=lambda: getpass.getuser(), show_default="the OS user",
              help="Who runs the import (recorded in the audit trail).")
@_DATABASE
def import_deployments(file: Path, skip_invalid: bool, strict: bool, source: str | None, by: str,
                       database_url: str | None) -> None:
    """Import historic deployments from a deployment grid (.csv, or the first sheet of an
    .xlsx) as completed operations with approved CIAs whose post-deployment review is the
    outcome record.

    Headers are matched ignoring case, spaces and dashes, against the grid as the MPS
    publishes it ("Deployment Location, Date, Duration, LFR Use Case, ...") and the
    export of GET /api/v1/statistics/deployments. Dates are DD/MM/YYYY or YYYY-MM-DD,
    durations H:MM. A blank cell is a figure not recorded, never 0; only Location and
    Date are required."""
    data = file.read_bytes()
    source = source or file.name
    db, cfg = _database(database_url)
    try:
        with db.unit_of_work(source=settings.SOURCE, topic=events_topic(cfg)) as uow:
            report = importer.import_file(uow, data, file.name, source=source,
                                          actor=Actor(sub=by, name=by),
                                          skip_invalid=skip_invalid, strict=strict)
            if report.ok:
                uow.commit()
    finally:
        db.dispose()
    for warning in report.warnings:
        click.echo(f"{file.name}: warning: {warning}", err=True)
    for error in report.errors:
        click.echo(f"{file.name}: {error}", err=True)
    if not report.ok:
        click.echo(f"Nothing imported: {len(report.errors)} bad row(s) in {file.name}"
                   + ("" if report.fatal else "; fix them or use --skip-invalid") + ".", err=True)
        sys.exit(1)
    click.echo(f"Imported {len(report.imported)} deployment(s) from {file.name} "
               f"(source: {source}); {len(report.already_imported)} already imported"
               + (f"; {len(report.errors)} bad row(s) skipped" if report.errors else "")
               + (f"; {report.with_figures_not_recorded} with figures not recorded"
                  if report.with_figures_not_recorded else "") + ".")


commands = [export_disclosures, import_deployments]
