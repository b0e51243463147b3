"""The review service's gauges on /metrics: open and overdue reviews."""
from __future__ import annotations

import sqlalchemy as sa

from cia_common.events import utcnow
from cia_common.metrics import gauge, register_service_metrics

from .reviews.models import Review
from .reviews.policy import ReviewState
from .spec import build_spec


def review_gauges(conn: sa.Connection, service: str):
    # Both counted through ix_reviews_state_due (state, due_at).
    open_ = Review.state == ReviewState.OPEN.value
    count = conn.execute(sa.select(sa.func.count()).select_from(Review).where(open_)).scalar_one()
    overdue = conn.execute(sa.select(sa.func.count()).select_from(Review)
                           .where(open_, Review.due_at <= utcnow())).scalar_one()
    yield gauge("cia_reviews_open", "Review rounds open.", service, count)
    yield gauge("cia_reviews_overdue", "Open review rounds past their due time.", service, overdue)


def register(app) -> None:
    def consumed() -> list[str]:
        return build_spec(app.config).subscribe_to

    register_service_metrics(app, [review_gauges], consumed)
