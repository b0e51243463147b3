from alembic import context

from cia_common.migrate import run_env

run_env(context)
