"""Every service's migrations from an empty database to the newest, on both backends:
the rest of the suite works on databases cloned from a template migrated once per
run, so this is where the way from nothing is walked on purpose (and the way a
restarted process finds a migrated database: no migration work, no lock)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from cia_common import migrate

from tests.conftest import SERVICE_MIGRATIONS, _migrations

pytestmark = [pytest.mark.integration, pytest.mark.backends("sqlite", "postgresql")]

# One table each migration chain must leave behind, besides alembic_version.
TABLES = {"authoring": {"cias", "outbox", "inbox"}, "review": {"reviews", "outbox", "inbox"},
          "notifier": {"subscriptions", "outbox", "inbox"}}


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", sorted(SERVICE_MIGRATIONS))
def test_from_nothing_to_head_and_then_no_work(databases, service):
    url = databases.new(f"scratch_{service}", migrated=False)
    assert "alembic_version" not in tables(url)  # really empty: nothing was cloned
    assert not migrate.at_head(url, _migrations(service))

    migrate.upgrade(url, _migrations(service))
    assert TABLES[service] <= tables(url)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            version = {r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
    finally:
        engine.dispose()
    assert version == set(ScriptDirectory(_migrations(service)).get_heads())
    assert migrate.at_head(url, _migrations(service))


def test_a_template_clone_is_at_head(databases):
    # The suite's clones are what the migrations make (compared table by table).
    for service in SERVICE_MIGRATIONS:
        scratch = databases.new(f"scratch2_{service}", migrated=False)
        migrate.upgrade(scratch, _migrations(service))
        clone = databases.new(service)
        assert migrate.at_head(clone, _migrations(service))
        assert tables(clone) == tables(scratch)
