"""``cia import-documents MANIFEST.csv``: bring in a folder of legacy documents."""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

import time

import click
import sqlalchemy as sa


from cia_authoring import settings
from cia_authoring.cias.audit import Actor
from cia_authoring.cli_options import DATABASE, open_database
from cia_authoring.legacy import importer
from cia_authoring.legacy.jobs import MakeLegacyCopies
from cia_authoring.legacy.models import PROCESSING, LegacyDocument


@click.command("import-documents")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "by", default=lambda: getpass.getuser(), show_default="the OS user",
              help="Who runs the import (recorded on each document).")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Make the flattened copies of the PDFs brought in here and now (sharing the "
                   "work with any running worker), showing the pages done across documents; "
                   "--no-wait leaves them to the worker.")
@DATABASE
def import_documents(manifest: Path, by: str, wait: bool, database_url: str | None) -> None:
    """Bring in legacy CIA documents listed in MANIFEST.csv (columns file,
    operation_reference, title, dated; files relative to the manifest). A Word document
    is redacted at once; a PDF's flattened copy is made page by page (processing, with
    progress). Each then waits for release; a file already brought in (same SHA-256) is
    skipped."""
    db, cfg = open_database(database_url)
    rows, header_errors = importer.read_manifest(manifest.read_text(encoding="utf-8-sig"))
    try:
        with click.progressbar(length=len(rows), label="Documents", file=sys.stderr,
                               show_pos=True) as bar:
            report = importer.import_manifest(
                lambda: settings.unit_of_work(db, cfg),
                manifest, actor=Actor(sub=by, name=by), cfg=cfg,
                progress=lambda _row: bar.update(1))
        if wait:
            _make_copies(db, cfg, set(report.document_ids))
    finally:
        db.dispose()
    for error in report.errors:
        click.echo(f"{manifest.name}: {error}", err=True)
    click.echo(f"Imported {len(report.imported)} document(s) from {manifest.name}; "
               f"{len(report.already)} already imported"
               + (f"; {len(report.errors)} error(s)" if report.errors else "") + ".")
    if report.errors or header_errors:
        sys.exit(1)


def _make_copies(db, cfg: dict, ids: set[str]) -> None:
    """The flattened copies of the documents ``ids`` still processing, with a progress
    bar of their pages (others' work seen through the stored progress)."""
    with db.sessions() as session:
        rows = session.execute(sa.select(LegacyDocument.id, LegacyDocument.pages)
                               .where(LegacyDocument.id.in_(list(ids)),
                                      LegacyDocument.state == PROCESSING)).all()
    if not rows:
        return
    total = sum(r.pages or 0 for r in rows)
    done: dict[str, int] = {}
    with click.progressbar(length=total, label=f"Pages of {len(rows)} PDF(s)", file=sys.stderr,
                           show_pos=True) as bar:
        def on_page(doc_id: str, n: int, _pages: int) -> None:
            bar.update(n - done.get(doc_id, 0))
            done[doc_id] = n

        job = MakeLegacyCopies(on_page=on_page)
        waiting = {r.id for r in rows}
        patience = 2 * float(cfg.get("LEGACY_PAGE_SECONDS") or 120) + 60
        last = time.monotonic()
        while waiting:
            before = sum(done.values())
            if job(db, cfg, only=waiting) >= job.IDLE_S:
                if time.monotonic() - last > patience:
                    click.echo(f"{len(waiting)} document(s) still processing: left to the worker.",
                               err=True)
                    return
                time.sleep(1.0)  # claimed by a worker: follow its stored progress
                with db.sessions() as session:
                    for doc_id, state, n in session.execute(
                            sa.select(LegacyDocument.id, LegacyDocument.state,
                                      LegacyDocument.progress_done)
                            .where(LegacyDocument.id.in_(list(waiting)))):
                        if n and n > done.get(doc_id, 0):
                            on_page(doc_id, n, 0)
                        if state != PROCESSING:
                            waiting.discard(doc_id)
                if sum(done.values()) > before:
                    last = time.monotonic()
                continue
            last = time.monotonic()
            with db.sessions() as session:
                waiting = set(session.execute(sa.select(LegacyDocument.id).where(
                    LegacyDocument.id.in_(list(waiting)),
                    LegacyDocument.state == PROCESSING)).scalars())


commands = [import_documents]
