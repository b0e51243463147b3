"""The review web application: ``create_app(config)``."""
from __future__ import annotations

from flask import Flask

from cia_common.web import create_service_app

from . import metrics
from .actions import views as action_views
from .inbound import views as inbound_views
from .reviewers import views as reviewer_views
from .reviews import views as review_views
from .settings import review_settings
from .spec import MIGRATIONS

DESCRIPTION = """Review of submitted Community Impact Assessment versions.

A review round opens for every `cia.submitted` event. Reviewers decide through this
API, through a signed one-time link in their notification (`/review/actions/{token}`),
or through a signed webhook from their own tooling (`/api/v1/inbound/decisions`).
The author and the last editor of a version never review it. Errors are
`application/problem+json` with JSON pointers for invalid fields."""


def create_app(config: dict | None = None) -> Flask:
    app, api = create_service_app(
        "review", __name__, title="CIA Workflow — review", description=DESCRIPTION,
        migrations=MIGRATIONS, config=config)
    # Read once at start so a bad setting stops the service rather than a request.
    app.extensions["cia_review_settings"] = review_settings(app.config)
    api.register_blueprint(review_views.blp)
    api.register_blueprint(action_views.blp)
    api.register_blueprint(action_views.documents_blp)
    api.register_blueprint(inbound_views.blp)
    api.register_blueprint(reviewer_views.blp)
    metrics.register(app)
    return app

