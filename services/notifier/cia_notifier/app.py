"""The notifier's Flask app factory."""
from __future__ import annotations

from cia_common.web import create_service_app

from . import metrics
from .deliveries.views import blp as deliveries_blp
from .settings import notifier_config
from .spec import MIGRATIONS
from .subscriptions.views import blp as subscriptions_blp

DESCRIPTION = """Webhook subscriptions and signed delivery for CIA Workflow.

Each matching event is POSTed as its CloudEvent (or as a Microsoft Teams card),
signed per Standard Webhooks (`webhook-id` = the event id, the same on every
retry; `webhook-timestamp`; `webhook-signature`). Failed deliveries are retried
on a schedule; a receiver answering 410 Gone, or failing too many times in a
row, has its subscription disabled (event `subscription.disabled`)."""


def create_app(config: dict | None = None):
    # The notifier's own keys (retry schedule, allow-list...) join the common ones.
    cfg = notifier_config(config)
    app, api = create_service_app("notifier", __name__, title="CIA Workflow — notifier",
                                  description=DESCRIPTION, migrations=MIGRATIONS, config=cfg)
    api.register_blueprint(subscriptions_blp)
    api.register_blueprint(deliveries_blp)
    metrics.register(app)
    return app
