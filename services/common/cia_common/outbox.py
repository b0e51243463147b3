"""The relay: publishes committed outbox rows to Kafka, then marks them published."""
from __future__ import annotations

import logging

import sqlalchemy as sa

from .db import Database
from .events import utcnow
from .metrics import OUTBOX_PUBLISHED
from .tables import outbox

log = logging.getLogger(__name__)


def publish_pending(db: Database, producer, batch_size: int = 200, timeout_s: float = 15.0,
                    service: str = "") -> int:
    """Publish up to ``batch_size`` unpublished rows in order; return how many.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several
    relays can run side by side. A row is marked only after the broker
    acknowledged it; a crash in between re-publishes it, and the consumers'
    inbox drops the duplicate.
    """
    query = (
        sa.select(outbox.c.seq, outbox.c.topic, outbox.c.key, outbox.c.payload)
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.seq)
        .limit(batch_size)
    )
    if db.dialect == "postgresql":
        # Row locks do not block the web's inserts, so hold them while publishing.
        with db.engine.begin() as conn:
            rows = conn.execute(query.with_for_update(skip_locked=True)).all()
            published, failed = _send(producer, rows, timeout_s)
            _mark(conn, published, failed)
    else:
        # SQLite has one writer lock: never hold it while waiting on the broker.
        with db.engine.begin() as conn:
            rows = conn.execute(query).all()
        published, failed = _send(producer, rows, timeout_s)
        with db.engine.begin() as conn:
            _mark(conn, published, failed)
    if published:
        OUTBOX_PUBLISHED.labels(service).inc(len(published))
    if failed:
        raise failed[1]
    return len(published)


def unpublished_count(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        ).scalar_one()


def _send(producer, rows, timeout_s: float):
    if not rows:
        return [], None
    futures = [producer.send(r.topic, key=r.key.encode() if r.key else None,
                             value=r.payload.encode()) for r in rows]
    producer.flush(timeout=timeout_s)
    published, failed = [], None
    for row, fut in zip(rows, futures):
        try:
            fut.get(timeout=timeout_s)
            published.append(row.seq)
        except Exception as exc:  # noqa: BLE001 - keep order: stop at the first failure
            failed = (row.seq, exc)
            break
    return published, failed


def _mark(conn, published: list[int], failed) -> None:
    if published:
        conn.execute(
            outbox.update().where(outbox.c.seq.in_(published)).values(published_at=utcnow())
        )
    if failed:
        conn.execute(
            outbox.update().where(outbox.c.seq == failed[0])
            .values(attempts=outbox.c.attempts + 1, last_error=str(failed[1])[:2000])
        )
