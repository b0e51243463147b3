"""The outbox and inbox tables that every service database carries.

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


platform_metadata = sa.MetaData()
outbox = sa.Table("outbox", platform_metadata, *_outbox_columns())
sa.Index("ix_outbox_unpublished", outbox.c.published_at, outbox.c.seq)
inbox = sa.Table("inbox", platform_metadata, *_inbox_columns())


def create_platform_tables(op) -> None:
    """Create outbox and inbox inside an Alembic migration."""
    op.create_table("outbox", *_outbox_columns())
    op.create_index("ix_outbox_unpublished", "outbox", ["published_at", "seq"])
    op.create_table("inbox", *_inbox_columns())
