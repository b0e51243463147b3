"""gunicorn entry point: `gunicorn -c infra/gunicorn.conf.py cia_authoring.wsgi:app`."""
from cia_common.logging_setup import configure_logging

from cia_authoring.app import create_app

configure_logging()
app = create_app()
