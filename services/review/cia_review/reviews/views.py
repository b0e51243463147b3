"""The review API: list and read reviews, decide, reassign. Thin: parse, call a
service function in a unit of work, commit, answer."""
from __future__ import annotations

from flask import current_app, g
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from cia_common.web.auth import require_roles
from cia_common.db import UnitOfWork
from cia_common.errors import Conflict
from cia_common.web.kit import unit_of_work  # noqa: F401 - the review views use it from here

from ..reviewers import service as reviewers
from ..settings import ReviewSettings
from . import service as services
from .schemas import (
    DecisionRequestSchema,
    ReassignRequestSchema,
    ReviewQuerySchema,
    ReviewSchema,
)

blp = Blueprint("reviews", __name__, url_prefix="/api/v1/reviews",
                description="Review rounds of submitted CIA versions, and the decisions on them.")

_REFUSALS = {
    401: "No valid bearer token.",
    403: "The caller may not do this (role, conflict of interest, or not an assigned reviewer).",
    404: "No such review.",
}


def settings() -> ReviewSettings:
    return current_app.extensions["cia_review_settings"]


def commit(uow: UnitOfWork) -> None:
    try:
        uow.commit()
    except IntegrityError:
        # Two requests raced for the same decision; the database kept the first.
        raise Conflict("A conflicting change was saved at the same moment; reload and retry.") \
            from None


def _actor() -> services.Actor:
    return services.Actor(sub=g.principal.sub, name=g.principal.name)


def enrol_caller() -> None:
    """A reviewer token registers its holder in the reviewer register on first use."""
    if "reviewer" not in g.principal.roles:
        return
    with unit_of_work() as uow:
        if reviewers.enrol(uow.session, g.principal.sub, g.principal.name):
            try:
                uow.commit()
            except IntegrityError:
                pass  # registered by a concurrent request


def _document_refusals(*codes: int):
    def decorator(view):
        for code in codes:
            view = blp.alt_response(code, description=_REFUSALS.get(code, "Refused."))(view)
        return view
    return decorator


@blp.route("")
@require_roles("reviewer", "admin")
@blp.arguments(ReviewQuerySchema, location="query", as_kwargs=True)
@blp.response(200, ReviewSchema(many=True))
@blp.paginate(max_page_size=100)
@_document_refusals(401, 403)
def list_reviews(pagination_parameters, cia_id=None, state=None, assigned_to=None):
    """Find reviews, newest first (paginated; totals in the X-Pagination header)."""
    enrol_caller()
    if assigned_to == "me":
        assigned_to = g.principal.sub
    with unit_of_work() as uow:
        items, total = services.list_reviews(
            uow.session, settings(), cia_id=cia_id, state=state, assigned_to=assigned_to,
            offset=pagination_parameters.first_item, limit=pagination_parameters.page_size)
    pagination_parameters.item_count = total
    return items


@blp.route("/<review_id>")
@require_roles("reviewer", "admin")
@blp.response(200, ReviewSchema)
@_document_refusals(401, 403, 404)
def get_review(review_id):
    """One review round with its reviewers, decisions and reassignments."""
    enrol_caller()
    with unit_of_work() as uow:
        return services.get_review(uow.session, review_id, settings())


@blp.route("/<review_id>/decisions", methods=["POST"])
@require_roles("reviewer")
@blp.arguments(DecisionRequestSchema)
@blp.response(201, ReviewSchema, description="The decision was recorded; the review as it now is.")
@_document_refusals(401, 403, 404)
@blp.alt_response(409, description="The review is closed, or you already decided this round.")
@blp.alt_response(422, description="Invalid body; request_changes needs a comment.")
def decide(body, review_id):
    """Approve, request changes or reject.

    The author and the last editor of the version may not decide; when the review
    names reviewers, only they may. Enough approvals close it as approved; one
    rejection or request for changes closes it at once. A closing decision emits
    ``review.completed``.
    """
    enrol_caller()
    with unit_of_work() as uow:
        review = services.record_decision(
            uow, review_id, _actor(), body["decision"], body.get("comment"),
            body.get("section_comments"), channel="api", settings=settings())
        representation = services.describe(review, settings())
        commit(uow)
    return representation


@blp.route("/<review_id>/reassign", methods=["POST"])
@require_roles("admin", "reviewer")
@blp.arguments(ReassignRequestSchema)
@blp.response(200, ReviewSchema, description="The review with its new reviewers.")
@_document_refusals(401, 403, 404)
@blp.alt_response(409, description="The review is closed.")
@blp.alt_response(422, description="Invalid body, a reviewer not active in the register, or "
                                   "one with a conflict of interest.")
def reassign(body, review_id):
    """Replace the reviewers of an open review (admin, or one of its assigned reviewers).

    The new reviewers must be active in the reviewer register (422 names those who
    are not), and none may be the version's author or last editor. Recorded with
    its reason; removed reviewers' action links stop working and new reviewers get
    links in the ``review.reassigned`` event.
    """
    enrol_caller()
    with unit_of_work() as uow:
        review = services.reassign(
            uow, review_id, _actor(), actor_is_admin="admin" in g.principal.roles,
            reviewers=body["reviewers"], reason=body["reason"], settings=settings())
        representation = services.describe(review, settings())
        commit(uow)
    return representation
