"""The reviewer register API (admin): ``/api/v1/reviewers``."""
from __future__ import annotations

from flask_smorest import Blueprint

from cia_common.web.auth import require_roles

from ..reviews.views import commit, settings, unit_of_work
from . import service as reviewers
from .schemas import (
    ReviewerCreateSchema,
    ReviewerPatchSchema,
    ReviewerQuerySchema,
    ReviewerSchema,
)

blp = Blueprint("reviewers", __name__, url_prefix="/api/v1/reviewers",
                description="The reviewer register: who may be assigned reviews, receive "
                            "action links and be named by integrations.")


@blp.route("")
@require_roles("admin")
@blp.arguments(ReviewerQuerySchema, location="query", as_kwargs=True)
@blp.response(200, ReviewerSchema(many=True))
@blp.paginate(max_page_size=100)
@blp.alt_response(401, description="No valid bearer token.")
@blp.alt_response(403, description="Not an admin.")
def list_reviewers(pagination_parameters, active=None):
    """The register, by sub (paginated; totals in the X-Pagination header)."""
    with unit_of_work() as uow:
        reviewers.seed(uow.session, settings())  # those the settings name, listed from the start
        uow.commit()
        rows, total = reviewers.list_reviewers(
            uow.session, active=active, offset=pagination_parameters.first_item,
            limit=pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return [reviewers.describe(r) for r in rows]


@blp.route("", methods=["POST"])
@require_roles("admin")
@blp.arguments(ReviewerCreateSchema)
@blp.response(201, ReviewerSchema)
@blp.alt_response(401, description="No valid bearer token.")
@blp.alt_response(403, description="Not an admin.")
@blp.alt_response(409, description="The sub is already registered.")
def create_reviewer(body):
    """Register a reviewer (active unless said otherwise)."""
    with unit_of_work() as uow:
        reviewer = reviewers.create(uow.session, **body)
        representation = reviewers.describe(reviewer)
        commit(uow)
    return representation


@blp.route("/<sub>")
@require_roles("admin")
@blp.response(200, ReviewerSchema)
@blp.alt_response(401, description="No valid bearer token.")
@blp.alt_response(403, description="Not an admin.")
@blp.alt_response(404, description="Not in the register.")
def get_reviewer(sub):
    """One entry of the register."""
    with unit_of_work() as uow:
        return reviewers.describe(reviewers.get(uow.session, sub))


@blp.route("/<sub>", methods=["PATCH"])
@require_roles("admin")
@blp.arguments(ReviewerPatchSchema)
@blp.response(200, ReviewerSchema)
@blp.alt_response(401, description="No valid bearer token.")
@blp.alt_response(403, description="Not an admin.")
@blp.alt_response(404, description="Not in the register.")
def update_reviewer(body, sub):
    """Change a reviewer's name, e-mail or whether they are active.

    Deactivating revokes their outstanding action links; they are no longer
    assigned reviews, and their decisions through any channel are refused.
    """
    with unit_of_work() as uow:
        reviewer = reviewers.update(uow.session, sub, body)
        representation = reviewers.describe(reviewer)
        commit(uow)
    return representation
