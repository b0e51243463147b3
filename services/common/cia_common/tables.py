"""The outbox, inbox and worker heartbeat tables that every service database carries.

Defined once here; each service's first Alembic migration calls
``create_platform_tables`` so the schema lives in one place.
"""
from __future__ import annotations

import sqlalchemy as sa


def _outbox_columns() -> list[sa.Column]:
    return [
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("key", sa.String(255), nullable=True),
        sa.Column("event_type", sa.String(128), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
    ]


def _inbox_columns() -> list[sa.Column]:
    return [
        sa.Column("consumer", sa.String(128), primary_key=True),
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("event_type", sa.String(128), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _worker_heartbeat_columns() -> list[sa.Column]:
    return [
        sa.Column("instance", sa.String(200), primary_key=True),
        sa.Column("consuming", sa.Boolean, nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    ]


platform_metadata = sa.MetaData()
outbox = sa.Table("outbox", platform_metadata, *_outbox_columns())
sa.Index("ix_outbox_unpublished", outbox.c.published_at, outbox.c.seq)
inbox = sa.Table("inbox", platform_metadata, *_inbox_columns())
# Each worker process says, every second, whether its consumer takes part in its group
# and holds partitions: what the web process's /readyz reads.
worker_heartbeats = sa.Table("worker_heartbeats", platform_metadata,
                             *_worker_heartbeat_columns())


def create_platform_tables(op) -> None:
    """Create outbox and inbox inside an Alembic migration."""
    op.create_table("outbox", *_outbox_columns())
    op.create_index("ix_outbox_unpublished", "outbox", ["published_at", "seq"])
    op.create_table("inbox", *_inbox_columns())


def create_worker_heartbeats(op) -> None:
    """Create the worker heartbeat table inside an Alembic migration."""
    op.create_table("worker_heartbeats", *_worker_heartbeat_columns())


# PostgreSQL wakes the relay when outbox rows commit: a statement trigger sends a
# NOTIFY, which PostgreSQL delivers at commit (once per transaction and channel).
OUTBOX_CHANNEL = "cia_outbox"


def create_outbox_wake(op) -> None:
    """Inside an Alembic migration: the NOTIFY trigger on the outbox (PostgreSQL only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""
        CREATE OR REPLACE FUNCTION cia_outbox_notify() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('{OUTBOX_CHANNEL}', '');
            RETURN NULL;
        END $$ LANGUAGE plpgsql""")
    op.execute("CREATE TRIGGER outbox_notify AFTER INSERT ON outbox "
               "FOR EACH STATEMENT EXECUTE FUNCTION cia_outbox_notify()")


def drop_outbox_wake(op) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.execute("DROP FUNCTION IF EXISTS cia_outbox_notify()")
