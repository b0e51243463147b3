"""/api/v1/operations — LFR operations (their authorisation: ``approvals.views``; their
status: ``cias.views``, each on this blueprint)."""
from __future__ import annotations

from flask_smorest import Blueprint

from cia_authoring.operations import service as operations
from cia_authoring.operations import present
from cia_authoring.roles import AUTHORS, READERS
from cia_common.web.kit import actor, guarded, unit_of_work
from cia_common.web.problems import PROBLEM_JSON
from cia_authoring.operations.schemas import (OperationCreateSchema, OperationQuerySchema,
                                              OperationSchema)
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
