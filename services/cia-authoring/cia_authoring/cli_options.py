"""What the service's commands share: the database they work on."""
from __future__ import annotations

import click

from cia_common.db import Database
from cia_common.migrate import upgrade

from cia_authoring import settings

DATABASE = click.option("--database-url", default=None,
                        help="Authoring database URL (default: the service's configured DATABASE_URL).")


def open_database(url: str | None) -> tuple[Database, dict]:
    cfg = settings.load({"DATABASE_URL": url} if url else None)
    if cfg.get("RUN_MIGRATIONS", True):
        from cia_authoring.spec import MIGRATIONS  # the schema the service itself would bring up
        upgrade(cfg["DATABASE_URL"], MIGRATIONS)
    return Database(cfg["DATABASE_URL"]), cfg
