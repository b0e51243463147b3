"""The notifier's gauges on /metrics: webhook deliveries waiting, subscriptions
disabled or failing. Delivery outcomes are counted where they are recorded
(``deliveries.loop.record``, ``cia_webhook_deliveries_total``)."""
from __future__ import annotations

import sqlalchemy as sa

from cia_common.metrics import gauge, register_service_metrics

from .deliveries.models import Delivery
from .spec import SUBSCRIBED_TOPICS
from .subscriptions.models import Subscription


def delivery_gauges(conn: sa.Connection, service: str):
    # Through ix_deliveries_due (status, next_attempt_at): only pending rows are read.
    pending, retrying = conn.execute(
        sa.select(sa.func.count(),
                  sa.func.coalesce(sa.func.sum(sa.case((Delivery.round_failures > 0, 1),
                                                       else_=0)), 0))
        .where(Delivery.status == "pending")).one()
    yield gauge("cia_webhook_pending", "Webhook deliveries not yet made (due or waiting).",
                service, pending)
    yield gauge("cia_webhook_retrying",
                "Pending webhook deliveries whose last attempt failed (waiting for a retry).",
                service, retrying)
    live = Subscription.deleted_at.is_(None)
    disabled, failing = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(sa.case((Subscription.active.is_(False), 1),
                                                       else_=0)), 0),
                  sa.func.coalesce(sa.func.sum(sa.case(
                      (sa.and_(Subscription.active.is_(True),
                               Subscription.consecutive_failures > 0), 1), else_=0)), 0))
        .where(live)).one()
    yield gauge("cia_subscriptions_disabled",
                "Subscriptions disabled by the notifier (410 Gone or too many failures).",
                service, disabled)
    yield gauge("cia_subscriptions_failing",
                "Active subscriptions whose last delivery attempt failed.", service, failing)


def register(app) -> None:
    def consumed() -> list[str]:
        return list(SUBSCRIBED_TOPICS)

    register_service_metrics(app, [delivery_gauges], consumed)
