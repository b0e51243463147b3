"""``cia audit ...``: commands the authoring service adds to the ``cia`` CLI."""
from __future__ import annotations

import json
import sys

import click

from cia_common.db import Database

from cia_authoring.cias import audit as audit_trail
from cia_authoring import settings
from cia_authoring.releases.cli import commands as disclosure_commands
from cia_authoring.statistics.cli import commands as statistics_commands
from cia_authoring.legacy.cli import commands as legacy_commands


@click.group("audit")
def audit() -> None:
    """The CIA audit trail."""


@audit.command("verify")
@click.option("--database-url", default=None,
              help="Authoring database URL (default: the service's configured DATABASE_URL).")
def verify(database_url: str | None) -> None:
    """Check every CIA's hash chain; print the first broken entry and exit 1 if any."""
    url = database_url or settings.load()["DATABASE_URL"]
    db = Database(url)
    try:
        with db.sessions() as session:
            chains, entries, broken = audit_trail.verify_all(session)
    finally:
        db.dispose()
    if broken is None:
        click.echo(f"OK: {chains} audit chain(s), {entries} entries verified.")
        return
    click.echo(f"BROKEN: CIA {broken.cia_id}, entry #{broken.brk.index + 1} "
               f"(seq {broken.brk.seq}): {broken.brk.reason}", err=True)
    click.echo(json.dumps(broken.entry, indent=2, sort_keys=True, default=str), err=True)
    sys.exit(1)


commands = [audit, *disclosure_commands, *statistics_commands, *legacy_commands]
