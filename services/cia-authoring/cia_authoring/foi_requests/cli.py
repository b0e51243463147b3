"""``cia foi-requests ...``: FOI request commands of the ``cia`` CLI."""
from __future__ import annotations

import click

from cia_common.db import Database

from cia_authoring import settings
from cia_authoring.foi_requests import clock, service


@click.group("foi-requests")
def foi_requests() -> None:
    """FOI request cases."""


@foi_requests.command("due")
@click.option("--within", "within", default=clock.DUE_SOON_WORKING_DAYS, show_default=True,
              type=click.IntRange(0, 200), help="Working days from today (or --on).")
@click.option("--on", "on", default=None, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Count from this day instead of today (YYYY-MM-DD): what will be due then.")
@click.option("--database-url", default=None,
              help="Authoring database URL (default: the service's configured DATABASE_URL).")
def due(within: int, on, database_url: str | None) -> None:
    """List unsent cases due within WITHIN working days (overdue ones too), earliest first."""
    db = Database(database_url or settings.load()["DATABASE_URL"])
    today = on.date() if on else service.today()
    try:
        with db.sessions() as session:
            cases = service.due_within(session, within, today)
    finally:
        db.dispose()
    if not cases:
        click.echo(f"No FOI request is due within {within} working day(s).")
        return
    for req in cases:
        if req.due_on < today:
            when = f"OVERDUE by {clock.working_days_between(req.due_on, today)} working day(s)"
        else:
            when = f"{clock.working_days_between(today, req.due_on)} working day(s) left"
        click.echo(f"{req.reference}\tdue {req.due_on.isoformat()}\t{when}\t{req.state}")


commands = [foi_requests]
