"""``cia import-deployments``: historic deployment records into the authoring
database, through the same service functions as the API."""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from cia_authoring import settings
from cia_authoring.cias.audit import Actor
from cia_authoring.cli_options import DATABASE, open_database
from cia_authoring.statistics import importer

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
@DATABASE
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
    db, cfg = open_database(database_url)
    try:
        with settings.unit_of_work(db, cfg) as uow:
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


commands = [import_deployments]
