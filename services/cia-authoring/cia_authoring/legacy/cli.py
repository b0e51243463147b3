"""``cia import-documents MANIFEST.csv``: bring in a folder of legacy documents."""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click


from cia_authoring import settings
from cia_authoring.cias.audit import Actor
from cia_authoring.cli_options import DATABASE, open_database
from cia_authoring.legacy import importer


@click.command("import-documents")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "by", default=lambda: getpass.getuser(), show_default="the OS user",
              help="Who runs the import (recorded on each document).")
@DATABASE
def import_documents(manifest: Path, by: str, database_url: str | None) -> None:
    """Bring in legacy CIA documents listed in MANIFEST.csv (columns file,
    operation_reference, title, dated; files relative to the manifest). Each is redacted
    at once and waits for release; a file already brought in (same SHA-256) is skipped."""
    db, cfg = open_database(database_url)
    rows, header_errors = importer.read_manifest(manifest.read_text(encoding="utf-8-sig"))
    try:
        with click.progressbar(length=len(rows), label="Documents", file=sys.stderr,
                               show_pos=True) as bar:
            report = importer.import_manifest(
                lambda: settings.unit_of_work(db, cfg),
                manifest, actor=Actor(sub=by, name=by), cfg=cfg,
                progress=lambda _row: bar.update(1))
    finally:
        db.dispose()
    for error in report.errors:
        click.echo(f"{manifest.name}: {error}", err=True)
    click.echo(f"Imported {len(report.imported)} document(s) from {manifest.name}; "
               f"{len(report.already)} already imported"
               + (f"; {len(report.errors)} error(s)" if report.errors else "") + ".")
    if report.errors or header_errors:
        sys.exit(1)


commands = [import_documents]
