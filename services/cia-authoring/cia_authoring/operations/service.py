"""Operations: create, list, authorise, change status (service-layer functions).

What an operation's change means for its CIA is the CIA feature's and the approvals'
(``cias.service.change_operation_status``, ``approvals.service.authorise``)."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cia_common.db import UnitOfWork
from cia_common.errors import Conflict, InvalidContent, NotFound
from cia_schemas.errors import to_json_pointers
from cia_schemas.operation import authorisation_rank_errors

from cia_authoring import domain
from cia_authoring.operations.models import Operation
from cia_common.events import utcnow


def get(session: Session, operation_id: str) -> Operation:
    op = session.get(Operation, operation_id)
    if op is None:
        raise NotFound(f"Operation {operation_id}")
    return op


def create(uow: UnitOfWork, data: dict, actor) -> Operation:
    """``data`` is a loaded ``OperationCreateSchema``."""
    session = uow.session
    data = {k: _utc(v) if isinstance(v, datetime) else v for k, v in data.items()}
    op = Operation(**data, status=domain.PLANNED, created_by_sub=actor.sub,
                   created_by_name=actor.name)
    session.add(op)
    try:
        # The unique index on the reference decides (no SELECT first): it alone is
        # right when two requests race for one reference anyway.
        session.flush()
    except IntegrityError:
        raise _duplicate(data["reference"]) from None
    return op


def _utc(moment: datetime) -> datetime:
    # Stored and shown in UTC whatever offset the client used.
    return moment.astimezone(timezone.utc)


def _duplicate(reference: str) -> Conflict:
    return Conflict(f"An operation with reference {reference} already exists.",
                    errors=[{"pointer": "/reference", "detail": "This reference is already used."}])


def list_(session: Session, *, borough: str | None = None, status: str | None = None,
          start_from: datetime | None = None, start_to: datetime | None = None,
          page: int = 1, page_size: int = 10) -> tuple[list[Operation], int]:
    query = sa.select(Operation)
    if borough:
        query = query.where(sa.func.lower(Operation.borough) == borough.lower())
    if status:
        query = query.where(Operation.status == status)
    if start_from:
        query = query.where(Operation.planned_start >= start_from)
    if start_to:
        query = query.where(Operation.planned_start < start_to)
    total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    items = session.execute(
        query.order_by(Operation.planned_start.desc(), Operation.reference)
        .limit(page_size).offset((page - 1) * page_size)
    ).unique().scalars().all()
    return list(items), total


def lock(session: Session, operation_id: str) -> Operation:
    op = session.execute(
        sa.select(Operation).where(Operation.id == operation_id).with_for_update(of=Operation)
        .execution_options(populate_existing=True)
    ).unique().scalar_one_or_none()
    if op is None:
        raise NotFound(f"Operation {operation_id}")
    return op


def authorise(uow: UnitOfWork, operation_id: str, data: dict, actor, cfg: dict) -> Operation:
    """Record the authorisation; the officer's rank must meet ``MIN_AUTHORISING_RANK``.
    (A CIA approval held for it takes effect in the same transaction:
    ``approvals.service.authorise``.)"""
    rank_errors = authorisation_rank_errors(data, cfg["MIN_AUTHORISING_RANK"])
    if rank_errors:
        raise InvalidContent(to_json_pointers(rank_errors),
                             detail="The authorising officer's rank is too low.")
    # One statement: the UPDATE locks the row, checks the status the transition
    # needs and answers the row as written. Only when it matches nothing is the row
    # read, to say why (no such operation, or not planned).
    op = uow.session.execute(
        sa.update(Operation)
        .where(Operation.id == operation_id, Operation.status == domain.PLANNED)
        .values(authorising_officer_name=data["officer_name"],
                authorising_officer_rank=data["officer_rank"],
                authorising_officer_collar_number=data["collar_number"],
                authorised_at=_utc(data["authorised_at"]),
                authority_reference=data["authority_reference"],
                authorisation_recorded_by_sub=actor.sub,
                authorisation_recorded_by_name=actor.name,
                status=domain.AUTHORISED, updated_at=utcnow())
        .returning(Operation)
        .execution_options(populate_existing=True, synchronize_session=False)
    ).scalar_one_or_none()
    if op is None:
        current = lock(uow.session, operation_id)  # NotFound when there is none
        try:
            domain.check_can_authorise(current.status)
        except domain.DomainError as exc:
            raise Conflict(str(exc)) from None
        # Planned again by now cannot happen (nothing moves an operation back).
        raise Conflict("The operation changed while it was being authorised; try again.")
    return op


def set_status(uow: UnitOfWork, op: Operation, target: str, *, cia_approved: bool) -> Operation:
    """Move a locked operation on (what its CIA must have: ``cia_approved``); the
    CIA feature does what follows for the CIA (``cias.service.change_operation_status``)."""
    if target == domain.AUTHORISED:
        raise Conflict("Record the authorisation through POST /api/v1/operations/{id}/authorisation.")
    try:
        domain.check_operation_transition(op.status, target, cia_approved=cia_approved)
    except domain.DomainError as exc:
        raise Conflict(str(exc)) from None
    op.status = target
    op.updated_at = utcnow()
    uow.session.flush()
    return op
