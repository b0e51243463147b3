"""Waking the relay when outbox rows commit in another process (PostgreSQL).

The outbox's statement trigger (``tables.create_outbox_wake``) NOTIFYs
``OUTBOX_CHANNEL`` at commit; a worker thread LISTENs on its own connection and
sets the relay's event. Polling stays as the fallback: slower while the listener
is down, or where the database has no trigger (SQLite: commits in the worker's
own process still wake it directly).
"""
from __future__ import annotations

import logging
import threading

import psycopg
from sqlalchemy.engine import make_url

from .tables import OUTBOX_CHANNEL

log = logging.getLogger(__name__)


def supported(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


def listen(database_url: str, wake: threading.Event, stopping: threading.Event,
           listening: threading.Event) -> None:
    """Set ``wake`` on every outbox notification until ``stopping``; reconnects with a
    backoff and keeps ``listening`` set only while notifications can arrive."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(
        hide_password=False)
    backoff = 0.5
    while not stopping.is_set():
        try:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
                listening.set()
                wake.set()  # whatever committed before the LISTEN
                backoff = 0.5
                while not stopping.is_set():
                    for _note in conn.notifies(timeout=1.0, stop_after=1):
                        wake.set()
        except Exception as exc:  # noqa: BLE001 - database away: poll meanwhile, then retry
            listening.clear()
            log.warning("outbox listener: %s; polling meanwhile, retrying in %.1fs",
                        type(exc).__name__, backoff)
            stopping.wait(backoff)
            backoff = min(backoff * 2, 5.0)
    listening.clear()
