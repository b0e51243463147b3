"""HTTP endpoints of the delivery log: a subscription's deliveries, redelivery (role admin)."""
from __future__ import annotations

from flask_smorest import Blueprint

from cia_common.web import db
from cia_common.web.kit import problems, unit_of_work
from cia_common.web.auth import require_roles

from . import service
from .models import Delivery
from .schemas import DeliveryListArgsSchema, DeliverySchema

blp = Blueprint("deliveries", __name__, url_prefix="/api/v1",
                description="The delivery log of webhook subscriptions. Role: admin.")

ADMIN_ONLY = {403: "The token lacks the admin role."}


def _problems(*codes):
    return problems(blp, *codes, texts=ADMIN_ONLY)


def _delivery_view(delivery: Delivery) -> dict:
    out = {c: getattr(delivery, c) for c in (
        "id", "subscription_id", "event_id", "event_type", "subject", "status", "attempt_count",
        "next_attempt_at", "last_status_code", "last_error", "created_at", "delivered_at")}
    out["webhook_id"] = delivery.event_id
    out["attempts"] = [{"attempt_no": a.attempt_no, "at": a.at, "status_code": a.status_code,
                        "latency_ms": a.latency_ms, "error": a.error} for a in delivery.attempts]
    return out


@blp.route("/subscriptions/<sub_id>/deliveries", methods=["GET"])
@require_roles("admin")
@blp.arguments(DeliveryListArgsSchema, location="query")
@blp.response(200, DeliverySchema(many=True))
@blp.paginate()
@_problems(401, 403, 404)
def list_deliveries(args, sub_id, pagination_parameters):
    """A subscription's deliveries, newest first, each with its attempts."""
    with db().sessions() as session:
        items, total = service.list_deliveries(
            session, sub_id, offset=pagination_parameters.first_item,
            limit=pagination_parameters.page_size, status=args.get("status"))
        pagination_parameters.item_count = total
        return [_delivery_view(d) for d in items]


@blp.route("/deliveries/<delivery_id>/redeliver", methods=["POST"])
@require_roles("admin")
@blp.response(202, DeliverySchema)
@_problems(401, 403, 404, 409)
def redeliver(delivery_id):
    """Send a delivery again now (same webhook-id), with a fresh retry schedule."""
    with unit_of_work() as uow:
        delivery = service.redeliver(uow.session, delivery_id)
        body = _delivery_view(delivery)
        uow.commit()
        return body
