"""Use cases that end in an approval, besides a review's decision (``decisions``)."""
from __future__ import annotations

from cia_common.db import UnitOfWork

from cia_authoring.approvals import decisions
from cia_authoring.operations import service as operations
from cia_authoring.operations.models import Operation


def authorise(uow: UnitOfWork, operation_id: str, data: dict, actor, cfg: dict) -> Operation:
    """Record the operation's authorisation; a CIA approval that review granted while
    the operation was still unauthorised takes effect now, in the same transaction."""
    op = operations.authorise(uow, operation_id, data, actor, cfg)
    decisions.release_blocked_approval(uow, op, cfg)
    return op
