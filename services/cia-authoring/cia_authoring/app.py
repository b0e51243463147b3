"""The authoring service's Flask app: operations, CIAs, versions, documents,
disclosure copies and the audit trail.

Configuration: everything ``cia_common.config.load_config`` reads, plus the keys
documented in :mod:`cia_authoring.settings` (``MIN_AUTHORISING_RANK``,
``DISCLOSURE_RANK_CUTOFF``, ``FORCE_NAME``).
"""
from __future__ import annotations

from flask import Flask

from cia_common.fields import DateOrDateTime
from cia_common.web import create_service_app

from cia_authoring import metrics, settings
from cia_authoring.spec import MIGRATIONS
from cia_authoring.approvals import views as approval_views
from cia_authoring.cias import audit
from cia_authoring.cias import views as cia_views
from cia_authoring.cias.content_doc import document_content_schemas
from cia_authoring.disclosure import views as disclosure_views
from cia_authoring.documents import views as document_views
from cia_authoring.releases import views as release_views
from cia_authoring.foi_requests import views as foi_request_views
from cia_authoring.legacy import views as legacy_views
from cia_authoring.operations import views as operation_views
from cia_authoring.statistics import views as statistics_views
from cia_authoring.templates import views as template_views


def create_app(config: dict | None = None) -> Flask:
    app, api = create_service_app(
        settings.SERVICE, __name__,
        title="CIA Workflow — authoring",
        description="Operations, Community Impact Assessments, their versions and documents, "
                    "FOI disclosure copies and the audit trail. Bearer tokens with roles "
                    "planner, reviewer, foi, admin.",
        migrations=MIGRATIONS,
        config=settings.with_defaults(config),
        recorder=audit.record,
    )
    api.register_field(DateOrDateTime, "string", None)
    # The order the OpenAPI document lists them in.
    # Later features add routes to earlier features' blueprints (on import, above):
    # an operation's authorisation (approvals), a version's document (documents), the
    # disclosures listing and bundles (releases).
    assert approval_views.blp is operation_views.blp and document_views.blp is cia_views.blp
    assert release_views.blp is disclosure_views.blp
    api.register_blueprint(operation_views.blp)
    api.register_blueprint(cia_views.blp)
    api.register_blueprint(disclosure_views.blp)
    api.register_blueprint(disclosure_views.rules_blp)
    api.register_blueprint(disclosure_views.terms_blp)
    document_content_schemas(api.spec)
    statistics_views.register(app, api)
    legacy_views.register(app, api)
    foi_request_views.register(app, api)
    template_views.register(api)
    metrics.register(app)
    return app
