"""gunicorn entry point of the public disclosure log:
`gunicorn -c infra/gunicorn.conf.py --bind 127.0.0.1:8004 cia_authoring.public.wsgi:app`."""
from cia_common.logging_setup import configure_logging

from cia_authoring.public.app import create_app

configure_logging()
app = create_app()
