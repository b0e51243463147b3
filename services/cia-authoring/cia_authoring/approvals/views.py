"""``POST /api/v1/operations/{id}/authorisation``, on the operations' routes: recording
the authorisation may release a CIA approval held for it."""
from __future__ import annotations

from cia_common.web.kit import actor, cfg, guarded, unit_of_work
from cia_common.web.problems import PROBLEM_JSON
from cia_schemas.errors import ProblemSchema

from cia_authoring.approvals import service as approvals
from cia_authoring.operations import present
from cia_authoring.operations.schemas import AuthorisationSchema, OperationSchema
from cia_authoring.operations.views import blp
from cia_authoring.roles import AUTHORS


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
        op = approvals.authorise(uow, operation_id, data, actor(), cfg())
        uow.commit()
        return present.operation(op)
