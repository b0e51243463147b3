"""HTTP endpoints of webhook subscriptions (role admin)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, g
from flask_smorest import Blueprint

from cia_common.web import db
from cia_common.web.kit import problems, unit_of_work
from cia_common.web.auth import require_roles

from ..settings import Settings
from . import service
from .models import Subscription
from .schemas import (SubscriptionCreateSchema, SubscriptionListArgsSchema,
                      SubscriptionPatchSchema, SubscriptionSchema, SubscriptionWithSecretSchema)

blp = Blueprint("subscriptions", __name__, url_prefix="/api/v1",
                description="Webhook subscriptions. Role: admin.")

ADMIN_ONLY = {403: "The token lacks the admin role."}


def _problems(*codes):
    return problems(blp, *codes, texts=ADMIN_ONLY)


def _settings() -> Settings:
    return Settings.from_config(current_app.config)


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


@blp.route("/subscriptions", methods=["POST"])
@require_roles("admin")
@blp.arguments(SubscriptionCreateSchema)
@blp.response(201, SubscriptionWithSecretSchema)
@_problems(401, 403, 422)
def create_subscription(body):
    """Subscribe a URL to events; the answer carries the signing secret, once."""
    with unit_of_work() as uow:
        sub, secret = service.create_subscription(uow.session, _settings(),
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
        items, total = service.list_subscriptions(
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
        return _view(service.get_subscription(session, sub_id))


@blp.route("/subscriptions/<sub_id>", methods=["PATCH"])
@require_roles("admin")
@blp.arguments(SubscriptionPatchSchema)
@blp.response(200, SubscriptionWithSecretSchema)
@_problems(401, 403, 404, 422)
def patch_subscription(body, sub_id):
    """Change URL, filters, format or state; `rotate_secret: true` returns a new secret once."""
    with unit_of_work() as uow:
        sub, secret = service.update_subscription(uow, _settings(), sub_id, body)
        uow.commit()
        return _view(sub, secret)


@blp.route("/subscriptions/<sub_id>", methods=["DELETE"])
@require_roles("admin")
@blp.response(204)
@_problems(401, 403, 404)
def delete_subscription(sub_id):
    """Delete a subscription; its pending deliveries are cancelled, its log is kept."""
    with unit_of_work() as uow:
        service.delete_subscription(uow.session, sub_id)
        uow.commit()
    return None
