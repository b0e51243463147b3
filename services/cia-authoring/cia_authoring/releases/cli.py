"""``cia export-disclosures``: the released disclosure copies of a date range as
one zip, written from the authoring database as the bundle endpoint streams it."""
from __future__ import annotations

import sys
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import click

from cia_authoring.cli_options import DATABASE, open_database
from cia_authoring.releases import bundle


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
@DATABASE
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_disclosures(start_from, start_to, database_url, out: Path) -> None:
    """Write the released disclosure copies of a date range to OUT.zip (as the bundle endpoint)."""
    lower, upper = _day(start_from), _day(start_to, upper=True)
    db, cfg = open_database(database_url)
    partial = out.with_name(out.name + ".part")
    try:
        with db.sessions() as session:
            items, left_out = bundle.released_copies(session, lower, upper, cfg)
            legacy = bundle.released_legacy(session, lower, upper, cfg)
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


commands = [export_disclosures]
