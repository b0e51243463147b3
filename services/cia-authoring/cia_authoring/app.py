"""The authoring service's Flask app: operations, CIAs, versions, documents,
disclosure copies and the audit trail.

Configuration: everything ``cia_common.config.load_config`` reads, plus the keys
documented in :mod:`cia_authoring.settings` (``MIN_AUTHORISING_RANK``,
``DISCLOSURE_RANK_CUTOFF``, ``FORCE_NAME``).
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from cia_common.errors import problem_response
from cia_common.web import create_service_app

from . import metrics, settings
from .api import register
from .domain import DomainError
from .foi import views as foi_views
from .legacy import views as legacy_views
from .foi_requests import views as foi_request_views
from .templates import views as template_views

MIGRATIONS = str(Path(__file__).with_name("migrations"))


def create_app(config: dict | None = None) -> Flask:
    app, api = create_service_app(
        settings.SERVICE, __name__,
        title="CIA Workflow — authoring",
        description="Operations, Community Impact Assessments, their versions and documents, "
                    "FOI disclosure copies and the audit trail. Bearer tokens with roles "
                    "planner, reviewer, foi, admin.",
        migrations=MIGRATIONS,
        config=settings.with_defaults(config),
    )
    register(api)
    foi_views.register(app, api)
    legacy_views.register(app, api)
    foi_request_views.register(app, api)
    template_views.register(api)
    metrics.register(app)

    @app.errorhandler(DomainError)
    def _domain_conflict(exc: DomainError):
        return problem_response(409, "Conflict", str(exc))

    return app
