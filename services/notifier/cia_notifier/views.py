"""HTTP endpoints of the notifier: subscriptions and the delivery log (role admin)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, g
from flask_smorest import Blueprint

from cia_common.auth import require_roles
from cia_common.config import event_source, events_topic
from cia_common.web import db

from . import services
from .models import Delivery, Subscription
from .schemas import (DeliveryListArgsSchema, DeliverySchema, ProblemSchema,
                      SubscriptionCreateSchema, SubscriptionListArgsSchema, SubscriptionPatchSchema,
                      SubscriptionSchema, SubscriptionWithSecretSchema)
from .settings import Settings

blp = Blueprint("subscriptions", __name__, url_prefix="/api/v1",
                description="Webhook subscriptions and their delivery log. Role: admin.")

PROBLEM = "application/problem+json"


def _problems(*codes):
    """Document the problem responses an endpoint can give."""
    texts = {401: "No or invalid bearer token.", 403: "The token lacks the admin role.",
             404: "No such resource.", 409: "Conflict with the current state.",
             422: "Invalid fields, each named by a JSON pointer."}

    def decorator(view):
        for code in codes:
            view = blp.alt_response(code, schema=ProblemSchema, description=texts[code],
                                    content_type=PROBLEM)(view)
        return view
    return decorator


def _settings() -> Settings:
    return Settings.from_config(current_app.config)


def _uow():
    return db().unit_of_work(source=event_source("notifier"),
                             topic=events_topic(current_app.config, "notifier"))


def _view(sub: Subscription, secret: str | None = None) -> dict:
    now = datetime.now(timezone.utc)
    ends = sub.previous_secret_expires_at
    out = {c: getattr(sub, c) for c in (
        "id", "url", "description", "event_types", "recipient", "reviewer_sub", "format", "active",
        "disabled_reason", "disabled_at", "consecutive_failures", "last_success_at",
        "last_failure_at", "created_by", "created_at", "updated_at")}
    out["secret_rotation_ends_at"] = ends if ends and ends > now else None
    if secret:
        out["secret"] = secret
    return out


def _delivery_view(delivery: Delivery) -> dict:
    out = {c: getattr(delivery, c) for c in (
        "id", "subscription_id", "event_id", "event_type", "subject", "status", "attempt_count",
        "next_attempt_at", "last_status_code", "last_error", "created_at", "delivered_at")}
    out["webhook_id"] = delivery.event_id
    out["attempts"] = [{"attempt_no": a.attempt_no, "at": a.at, "status_code": a.status_code,
                        "latency_ms": a.latency_ms, "error": a.error} for a in delivery.attempts]
    return out


@blp.route("/subscriptions", methods=["POST"])
@require_roles("admin")
@blp.arguments(SubscriptionCreateSchema)
@blp.response(201, SubscriptionWithSecretSchema)
@_problems(401, 403, 422)
def create_subscription(body):
    """Subscribe a URL to events; the answer carries the signing secret, once."""
    with _uow() as uow:
        sub, secret = services.create_subscription(uow.session, _settings(),
                                                   created_by=g.principal.sub, **body)
        uow.commit()
        return _view(sub, secret), 201, {"Location": f"/api/v1/subscriptions/{sub.id}"}


@blp.route("/subscriptions", methods=["GET"])
@require_roles("admin")
@blp.arguments(SubscriptionListArgsSchema, location="query")
@blp.response(200, SubscriptionSchema(many=True))
@blp.paginate()
@_problems(401, 403)
def list_subscriptions(args, pagination_parameters):
    """List subscriptions (pagination metadata in the X-Pagination header)."""
    with db().sessions() as session:
        items, total = services.list_subscriptions(
            session, offset=pagination_parameters.first_item,
            limit=pagination_parameters.page_size, active=args.get("active"))
        pagination_parameters.item_count = total
        return [_view(s) for s in items]


@blp.route("/subscriptions/<sub_id>", methods=["GET"])
@require_roles("admin")
@blp.response(200, SubscriptionSchema)
@_problems(401, 403, 404)
def get_subscription(sub_id):
    """One subscription (never its secret)."""
    with db().sessions() as session:
        return _view(services.get_subscription(session, sub_id))


@blp.route("/subscriptions/<sub_id>", methods=["PATCH"])
@require_roles("admin")
@blp.arguments(SubscriptionPatchSchema)
@blp.response(200, SubscriptionWithSecretSchema)
@_problems(401, 403, 404, 422)
def patch_subscription(body, sub_id):
    """Change URL, filters, format or state; `rotate_secret: true` returns a new secret once."""
    with _uow() as uow:
        sub, secret = services.update_subscription(uow, _settings(), sub_id, body)
        uow.commit()
        return _view(sub, secret)


@blp.route("/subscriptions/<sub_id>", methods=["DELETE"])
@require_roles("admin")
@blp.response(204)
@_problems(401, 403, 404)
def delete_subscription(sub_id):
    """Delete a subscription; its pending deliveries are cancelled, its log is kept."""
    with _uow() as uow:
        services.delete_subscription(uow.session, sub_id)
        uow.commit()
    return None


@blp.route("/subscriptions/<sub_id>/deliveries", methods=["GET"])
@require_roles("admin")
@blp.arguments(DeliveryListArgsSchema, location="query")
@blp.response(200, DeliverySchema(many=True))
@blp.paginate()
@_problems(401, 403, 404)
def list_deliveries(args, sub_id, pagination_parameters):
    """A subscription's deliveries, newest first, each with its attempts."""
    with db().sessions() as session:
        items, total = services.list_deliveries(
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
    with _uow() as uow:
        delivery = services.redeliver(uow.session, delivery_id)
        body = _delivery_view(delivery)
        uow.commit()
        return body
