"""/api/v1/operations — LFR operations and their authorisation."""
from __future__ import annotations

from flask_smorest import Blueprint


from cia_authoring.operations import service as operations
from cia_authoring.cias import present
from cia_authoring.roles import AUTHORS, READERS
from cia_common.web.kit import actor, cfg, guarded, unit_of_work
from cia_common.web.problems import PROBLEM_JSON
from cia_authoring.operations.schemas import (AuthorisationSchema, OperationCreateSchema, OperationQuerySchema, OperationSchema, OperationStatusSchema)
from cia_schemas.errors import ProblemSchema

blp = Blueprint("operations", __name__, url_prefix="/api/v1/operations",
                description="LFR operations (deployments) and their authorisation. Role planner "
                            "writes; planner, reviewer and admin read.")


@blp.route("", methods=["POST"])
@guarded(blp, *AUTHORS)
@blp.arguments(OperationCreateSchema)
@blp.response(201, OperationSchema)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The reference is already used.")
def create_operation(data):
    """Create an operation (status planned)."""
    with unit_of_work() as uow:
        op = operations.create(uow, data, actor())
        uow.commit()
        return present.operation(op, cia_id=None), 201, {"Location": f"/api/v1/operations/{op.id}"}


@blp.route("", methods=["GET"])
@guarded(blp, *READERS)
@blp.arguments(OperationQuerySchema, location="query")
@blp.response(200, OperationSchema(many=True))
@blp.paginate()
def list_operations(query, pagination_parameters):
    """List operations, newest planned start first; filter by borough, status, planned start."""
    with unit_of_work() as uow:
        items, total = operations.list_(
            uow.session, borough=query.get("borough"), status=query.get("status"),
            start_from=query.get("from_"), start_to=query.get("to"),
            page=pagination_parameters.page, page_size=pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return [present.operation(op) for op in items]


@blp.route("/<string:operation_id>", methods=["GET"])
@guarded(blp, *READERS)
@blp.response(200, OperationSchema)
def get_operation(operation_id):
    """One operation."""
    with unit_of_work() as uow:
        return present.operation(operations.get(uow.session, operation_id))


@blp.route("/<string:operation_id>/authorisation", methods=["POST"])
@guarded(blp, *AUTHORS)
@blp.arguments(AuthorisationSchema)
@blp.response(200, OperationSchema)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The operation is not planned.")
def authorise_operation(data, operation_id):
    """Record the authorisation (planned → authorised).

    The authorising officer's rank must be at least ``MIN_AUTHORISING_RANK``
    (default superintendent); a lower rank is refused with 422 on ``/officer_rank``.
    """
    with unit_of_work() as uow:
        op = operations.authorise(uow, operation_id, data, actor(), cfg())
        uow.commit()
        return present.operation(op)


@blp.route("/<string:operation_id>/status", methods=["POST"])
@guarded(blp, *AUTHORS)
@blp.arguments(OperationStatusSchema)
@blp.response(200, OperationSchema)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The transition is not allowed.")
def change_operation_status(data, operation_id):
    """Move the operation on: authorised → deployed (its CIA must have an approved
    version) → completed, or cancel a planned or authorised one.

    Cancelling withdraws the CIA's open version (draft, submitted or
    changes_requested) and emits ``cia.withdrawn``; the review service then
    cancels its open review (``review.cancelled``): action links are revoked,
    reminders stop and later decisions get 409."""
    with unit_of_work() as uow:
        op = operations.change_status(uow, operation_id, data["status"], actor())
        uow.commit()
        return present.operation(op)
