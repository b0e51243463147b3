"""CIAs and their versions: create, edit (merge-patch + If-Match), submit, amend,
revise after a rejection, withdraw, read, diff (service-layer functions)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from cia_common.db import DomainEvent, PlainRead, UnitOfWork
from cia_common.errors import (Conflict, InvalidContent, NotFound, PreconditionFailed,
                               PreconditionRequired)
from cia_common.etags import IfMatch
from cia_common.events import isoformat, new_id
from cia_schemas.content import validate_draft, validate_for_submission
from cia_schemas.errors import to_json_pointers

from cia_authoring import domain
from cia_authoring.cias import audit
from cia_authoring.cias.models import Cia, CiaCount, CiaStatusCount, CiaVersion
from cia_authoring.cias.models import Document
from cia_authoring.operations import service as operations
from cia_authoring.operations.models import Operation
from cia_common.events import utcnow

CONTENT = "/content"


@dataclass
class CiaView:
    """A CIA with one of its versions: what the API represents."""
    cia: Cia
    version: CiaVersion

    @property
    def operation(self) -> Operation:
        return self.cia.operation

    @property
    def etag(self) -> str:
        return domain.make_etag(self.cia.id, self.version.number, self.version.revision)


# --------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------


def get_cia(session: Session, cia_id: str) -> Cia:
    cia = session.get(Cia, cia_id)
    if cia is None:
        raise NotFound(f"CIA {cia_id}")
    return cia


def get_version(session: Session, cia_id: str, number: int) -> CiaVersion:
    version = session.execute(
        sa.select(CiaVersion).where(CiaVersion.cia_id == cia_id, CiaVersion.number == number)
    ).scalar_one_or_none()
    if version is None:
        raise NotFound(f"Version {number} of CIA {cia_id}")
    return version


def latest(session: Session, cia_id: str) -> CiaView:
    cia = get_cia(session, cia_id)
    return CiaView(cia, get_version(session, cia_id, cia.latest_version))


# What a CIA's representation is made of, besides the version's content: the
# version row's state (number, revision, updated_at: every write to the row
# bumps the revision and sets updated_at), the operation's reference and, for
# an approved version, its stored documents (stored, re-rendered or replaced
# without a new revision). Two reads with equal keys show the same representation.
_DOCUMENT_KEY = (Document.id, Document.kind, Document.format, Document.sha256, Document.size,
                 Document.created_at, Document.template_kind, Document.template_version,
                 Document.template_sha256)


def read_key(view: CiaView) -> tuple:
    """The key of the representation of ``view`` (see ``latest_read_key``)."""
    v = view.version
    documents = ()
    if v.status in domain.APPROVED_STATUSES:
        documents = tuple(tuple(getattr(d, c.key) for c in _DOCUMENT_KEY) for d in v.documents)
    return (view.cia.id, v.number, v.revision, v.updated_at, view.operation.reference, documents)


# One statement, built once: the latest version's state and its documents (one
# row each, or one row of nulls), by the primary key and unique indexes.
_READ_KEY = (
    sa.select(Cia.latest_version, CiaVersion.revision, CiaVersion.updated_at,
              CiaVersion.status, Operation.reference, *_DOCUMENT_KEY)
    .select_from(Cia)
    .join(CiaVersion, sa.and_(CiaVersion.cia_id == Cia.id,
                              CiaVersion.number == Cia.latest_version))
    .join(Operation, Operation.id == Cia.operation_id)
    .outerjoin(Document, sa.and_(Document.cia_id == Cia.id,
                                 Document.version == Cia.latest_version))
    .where(Cia.id == sa.bindparam("cia_id"))
    .order_by(Document.kind, Document.format)
)


_READ_KEY_PLAIN = PlainRead(_READ_KEY)


def latest_read_key(source: sa.Engine | sa.Connection | Session, cia_id: str) -> tuple | None:
    """``read_key`` of the CIA's latest version, read with one plain column query (no
    content, no ORM objects); None when there is no such CIA (``latest`` says why).
    Given the engine, the query runs alone, outside a transaction (``PlainRead``)."""
    params = {"cia_id": cia_id}
    if isinstance(source, sa.Engine):
        rows = _READ_KEY_PLAIN.rows(source, params)
    else:
        conn = source.connection() if isinstance(source, Session) else source
        rows = [tuple(row) for row in conn.execute(_READ_KEY, params)]
    if not rows:
        return None
    latest_version, revision, updated_at, status, reference, document_id = rows[0][:6]
    documents = ()
    if status in domain.APPROVED_STATUSES and document_id is not None:
        documents = tuple(row[5:] for row in rows)
    return (cia_id, latest_version, revision, updated_at, reference, documents)


def version_view(session: Session, cia_id: str, number: int) -> CiaView:
    return CiaView(get_cia(session, cia_id), get_version(session, cia_id, number))


def versions(session: Session, cia_id: str) -> list[CiaVersion]:
    get_cia(session, cia_id)
    return list(session.execute(
        sa.select(CiaVersion).where(CiaVersion.cia_id == cia_id).order_by(CiaVersion.number)
    ).scalars())


def list_(session: Session, *, status: str | None = None, operation_id: str | None = None,
          borough: str | None = None, page: int = 1, page_size: int = 10,
          after: tuple | None = None) -> tuple[list[CiaView], int]:
    """CIAs with their latest version, last changed first; ``status`` filters on that
    version. ``after`` (the ``list_position`` of the last CIA of the page before)
    pages by keyset, reading no row before the page; otherwise by ``page``.

    The page's ids come from a ``cias`` index in list order (0011; with a status,
    0019's, on the CIA's own copy of its latest status), joined to what a filter
    needs only; the page's rows are then loaded by id. The total comes from the
    counts the triggers keep (all CIAs, or per status) when that is the only
    filter; otherwise it counts the same filtered ids."""
    ids = sa.select(Cia.id, Cia.updated_at)
    if status:
        ids = ids.where(Cia.status == status)
    if operation_id:
        ids = ids.where(Cia.operation_id == operation_id)
    if borough:
        ids = ids.join(Operation, Operation.id == Cia.operation_id
                       ).where(sa.func.lower(Operation.borough) == borough.lower())
    if operation_id or borough:
        total = session.execute(sa.select(sa.func.count()).select_from(ids.subquery())).scalar_one()
    elif status:
        total = int(session.execute(sa.select(sa.func.sum(CiaStatusCount.n))
                                    .where(CiaStatusCount.status == status)).scalar_one() or 0)
    else:
        # Kept by triggers (0011): a sum of a few rows, not a scan of every CIA.
        total = int(session.execute(sa.select(sa.func.sum(CiaCount.n))).scalar_one() or 0)
    page_ids = ids.order_by(Cia.updated_at.desc(), Cia.id).limit(page_size)
    if after is not None:
        at, last_id = after
        page_ids = page_ids.where(Cia.updated_at <= at,
                                  sa.or_(Cia.updated_at < at, Cia.id > last_id))
    else:
        page_ids = page_ids.offset((page - 1) * page_size)
    order = [row.id for row in session.execute(page_ids)]
    if not order:
        return [], total
    rows = session.execute(
        sa.select(Cia, CiaVersion)
        .join(CiaVersion, sa.and_(CiaVersion.cia_id == Cia.id,
                                  CiaVersion.number == Cia.latest_version))
        .where(Cia.id.in_(order))
    ).unique().all()
    by_id = {c.id: CiaView(c, v) for c, v in rows}
    _load_documents(session, [v for _c, v in rows if v.status in domain.APPROVED_STATUSES])
    return [by_id[i] for i in order if i in by_id], total


def _load_documents(session: Session, versions: list[CiaVersion]) -> None:
    """The stored documents of ``versions`` in one query (not one per version)."""
    if not versions:
        return
    found: dict[tuple, list] = {(v.cia_id, v.number): [] for v in versions}
    for doc in session.execute(
            sa.select(Document).where(Document.cia_id.in_({v.cia_id for v in versions}))
            .order_by(Document.kind, Document.format)).scalars():
        found.get((doc.cia_id, doc.version), []).append(doc)
    for v in versions:
        set_committed_value(v, "documents", found[(v.cia_id, v.number)])


def list_position(view: CiaView) -> tuple:
    """Where ``view`` stands in the list's order: what ``list_(after=...)`` takes."""
    return (view.cia.updated_at, view.cia.id)


def diff_versions(session: Session, cia_id: str, number: int, against: int) -> list[dict]:
    new = get_version(session, cia_id, number)
    old = get_version(session, cia_id, against)
    return domain.diff(old.content, new.content)


# --------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------


def _content_errors(content: dict, operation: Operation, *, submission: bool) -> list[dict]:
    messages = validate_for_submission(content) if submission else validate_draft(content)
    errors = to_json_pointers(messages, CONTENT)
    mismatch = domain.content_reference_error(content, operation.reference)
    if mismatch:
        errors.append({"pointer": f"{CONTENT}/header/operation_reference", "detail": mismatch})
    return errors


def create(uow: UnitOfWork, operation_id: str, content: dict, actor) -> CiaView:
    session = uow.session
    op = session.get(Operation, operation_id)
    if op is None:
        raise InvalidContent([{"pointer": "/operation_id",
                               "detail": f"Operation {operation_id} does not exist."}])
    try:
        domain.check_can_open_cia(op.status)
    except domain.DomainError as exc:
        raise Conflict(str(exc)) from None
    errors = _content_errors(content, op, submission=False)
    if errors:
        raise InvalidContent(errors, detail="The CIA content has invalid fields; nothing was saved.")
    # Ids made here, so that each row is written once with its final values: the CIA
    # (with its audit head) and its audit entry, then its version (which refers to it).
    # Its rows flush here (the outbox row is written at once): a second CIA of the
    # operation fails on the unique index.
    cia = Cia(id=new_id(), operation_id=op.id, latest_version=1, created_by_sub=actor.sub,
              created_by_name=actor.name, audit_seq=0)
    version = CiaVersion(
        id=new_id(), cia_id=cia.id, number=1, status=domain.DRAFT, content=content,
        content_sha256=domain.content_hash(content), revision=1,
        author_sub=actor.sub, author_name=actor.name,
        last_editor_sub=actor.sub, last_editor_name=actor.name,
    )
    session.add(cia)
    # Known already: set without the relationship's events (which would load the
    # operation's other side, its CIA, to update it).
    set_committed_value(cia, "operation", op)
    try:
        uow.record(DomainEvent("cia.created", cia.id, _brief(cia, version), actor=actor,
                               version=1, content_sha256=version.content_sha256))
        session.flush()
    except IntegrityError:
        # The unique index on the operation decides (no SELECT first, which a
        # concurrent request could pass too); the transaction is spent, so the CIA
        # that is there is looked up after it, to name it.
        uow.rollback()
        existing = session.execute(sa.select(Cia.id).where(Cia.operation_id == op.id)).scalar()
        raise _one_per_operation(op, existing) from None
    session.add(version)
    return CiaView(cia, version)


def _one_per_operation(op: Operation, existing: str | None) -> Conflict:
    extra = {"cia_id": existing} if existing else {}
    return Conflict(f"Operation {op.reference} already has a CIA; there is one CIA per operation. "
                    "Amend it once approved, or revise it after a rejection.", **extra)


def _brief(cia: Cia, version: CiaVersion) -> dict:
    return {"cia_id": cia.id, "version": version.number,
            "operation_reference": cia.operation.reference}


def _locked_latest(uow: UnitOfWork, cia_id: str) -> CiaView:
    """The CIA, locked (``audit.lock_cia``'s lock), with its operation and its latest
    version, in one statement."""
    row = uow.session.execute(
        sa.select(Cia, CiaVersion)
        .join(CiaVersion, sa.and_(CiaVersion.cia_id == Cia.id,
                                  CiaVersion.number == Cia.latest_version))
        .where(Cia.id == cia_id).with_for_update(of=Cia)
        .execution_options(populate_existing=True)
    ).unique().first()
    if row is None:
        raise NotFound(f"CIA {cia_id}")
    return CiaView(*row)


def _precondition_required() -> PreconditionRequired:
    return PreconditionRequired("This write needs an If-Match header with the CIA's current "
                                "ETag (from GET /api/v1/cias/{id}).")


def _any_version() -> PreconditionRequired:
    return PreconditionRequired("If-Match: * does not say which version you read, so it cannot "
                                "protect your edit from a lost update; send the CIA's current "
                                "ETag.")


def _check_if_match(view: CiaView, parsed: IfMatch | None, *, required: bool) -> None:
    if parsed is not None and parsed.any:
        raise _any_version()
    if parsed is None:
        if required:
            raise _precondition_required()
        return
    if not parsed.matches(view.etag):
        raise PreconditionFailed(
            "The CIA has changed since you read it; GET it again and reapply your edit.",
            current_etag=view.etag)


def _bump(uow: UnitOfWork, version: CiaVersion, expected_revision: int, **values) -> None:
    """Conditional UPDATE on the revision: the database, not the app, decides who wins."""
    values.setdefault("updated_at", utcnow())
    result = uow.session.execute(
        sa.update(CiaVersion)
        .where(CiaVersion.id == version.id, CiaVersion.revision == expected_revision)
        .values(revision=expected_revision + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise PreconditionFailed(
            "The CIA was changed by someone else at the same time; GET it again.")
    # The row is now what was just written: the loaded object takes those values as
    # committed state (not a change to flush) instead of reading the row back.
    for key, value in {"revision": expected_revision + 1, **values}.items():
        set_committed_value(version, key, value)


def patch(uow: UnitOfWork, cia_id: str, content_patch: dict, parsed: IfMatch | None,
          actor) -> CiaView:
    """Apply an RFC 7396 merge-patch to the latest version's content."""
    if parsed is None or parsed.any:  # before any lock or read
        raise _precondition_required() if parsed is None else _any_version()
    view = _locked_latest(uow, cia_id)
    _check_if_match(view, parsed, required=True)
    version = view.version
    try:
        domain.check_editable(version.status, version.number, version.status_reason)
    except domain.DomainError as exc:
        raise Conflict(str(exc)) from None
    content = domain.merge_patch(version.content, content_patch)
    if not isinstance(content, dict):
        raise InvalidContent([{"pointer": CONTENT, "detail": "Content must be an object."}])
    errors = _content_errors(content, view.operation, submission=False)
    if errors:
        raise InvalidContent(errors, detail="The edited content has invalid fields; nothing was saved.")
    new_hash = domain.content_hash(content)
    if new_hash == version.content_sha256:
        return view  # nothing changed: no new revision, no audit entry, no event
    changed = [c["pointer"] for c in domain.diff(version.content, content)]
    _bump(uow, version, version.revision, content=content, content_sha256=new_hash,
          last_editor_sub=actor.sub, last_editor_name=actor.name)
    view.cia.updated_at = utcnow()
    # Which fields changed (pointers, not values: the chain must not copy content).
    uow.record(DomainEvent("cia.updated", cia_id, _brief(view.cia, version), actor=actor,
                           version=version.number, content_sha256=new_hash,
                           detail={"changed": changed[:200], "changed_count": len(changed)}))
    return view


def submit(uow: UnitOfWork, cia_id: str, requested_reviewers: list[str],
           parsed: IfMatch | None, actor) -> CiaView:
    """Send the latest version to review; everything a reviewer needs must be there."""
    view = _locked_latest(uow, cia_id)
    _check_if_match(view, parsed, required=False)
    version, op = view.version, view.operation
    try:
        domain.check_submittable(version.status, version.number, version.status_reason)
    except domain.DomainError as exc:
        raise Conflict(str(exc)) from None
    # The state of the operation first: no point completing an outcome record too early.
    blocker = domain.post_deployment_review_blocker(
        version.content, amended_from=version.amended_from, operation_status=op.status,
        operation_reference=op.reference)
    if blocker:
        raise Conflict(blocker, errors=[{"pointer": f"{CONTENT}/{domain.POST_DEPLOYMENT_REVIEW}",
                                         "detail": blocker}])
    errors = _content_errors(version.content, op, submission=True)
    if errors:
        raise InvalidContent(errors, detail="The CIA is not ready for review; nothing was submitted.")
    now = utcnow()
    reviewers = list(dict.fromkeys(requested_reviewers))  # unique, in the order given
    _bump(uow, version, version.revision, status=domain.SUBMITTED, submitted_at=now,
          submitted_by_sub=actor.sub, submitted_by_name=actor.name,
          requested_reviewers=reviewers, approval_blocked_reason=None)
    view.cia.updated_at = now
    header = version.content.get("header") or {}
    # The content was validated for submission just above, more strictly than the
    # event's contract would again.
    uow.record(DomainEvent("cia.submitted", cia_id, actor=actor, version=version.number,
                           content_sha256=version.content_sha256, validated=("content",),
                           detail={"requested_reviewers": reviewers} if reviewers else None,
                           data={
        "cia_id": cia_id,
        "version": version.number,
        "operation_id": op.id,
        "operation_reference": op.reference,
        "operation_name": op.name,
        "title": header.get("title") or f"Community Impact Assessment {op.reference}",
        "borough": op.borough,
        "use_case": op.use_case,
        "planned_start": isoformat(op.planned_start),
        "planned_end": isoformat(op.planned_end),
        "ward": op.ward,
        "location_name": op.location_name,
        "author": {"sub": version.author_sub, "name": version.author_name},
        "last_editor": {"sub": version.last_editor_sub, "name": version.last_editor_name},
        "submitted_by": {"sub": actor.sub, "name": actor.name},
        "requested_reviewers": reviewers,
        "content_hash": version.content_sha256,
        # The full content, so the reviewer's action page can show what they approve.
        "content": version.content,
    }))
    return view


def amend(uow: UnitOfWork, cia_id: str, reason: str, actor) -> CiaView:
    """Open version n+1 as a draft from the latest approved version."""
    cia = audit.lock_cia(uow.session, cia_id)
    if cia is None:
        raise NotFound(f"CIA {cia_id}")
    all_versions = list(uow.session.execute(
        sa.select(CiaVersion).where(CiaVersion.cia_id == cia_id).order_by(CiaVersion.number)
        .execution_options(populate_existing=True)
    ).scalars())
    try:
        domain.check_can_amend([v.status for v in all_versions])
    except domain.DomainError as exc:
        raise Conflict(str(exc)) from None
    base = [v for v in all_versions if v.status == domain.APPROVED][-1]
    number = all_versions[-1].number + 1
    content = domain.amendment_content(base.content, number)
    version = CiaVersion(
        cia_id=cia_id, number=number, status=domain.DRAFT, content=content,
        content_sha256=domain.content_hash(content), revision=1,
        author_sub=actor.sub, author_name=actor.name,
        last_editor_sub=actor.sub, last_editor_name=actor.name,
        amendment_reason=reason, amended_from=base.number,
    )
    uow.session.add(version)
    cia.latest_version = number
    cia.updated_at = utcnow()
    uow.session.flush()
    uow.record(DomainEvent(
        "cia.amended", cia_id, {**_brief(cia, version), "amended_from": base.number,
                                "reason": reason},
        actor=actor, version=number, content_sha256=version.content_sha256,
        detail={"reason": reason, "amended_from": base.number}))
    return CiaView(cia, version)


def revise(uow: UnitOfWork, cia_id: str, reason: str, actor) -> CiaView:
    """Open version n+1 as a draft from version n, which review rejected.

    The rejection's decision and comments travel with the new version, so the
    planner sees what to address; it is then reviewed like any version.
    """
    view = _locked_latest(uow, cia_id)
    rejected, op = view.version, view.operation
    try:
        domain.check_can_revise(rejected.status, rejected.status_reason, rejected.number,
                                op.status, op.reference)
    except domain.DomainError as exc:
        raise Conflict(str(exc)) from None
    number = rejected.number + 1
    content = domain.amendment_content(rejected.content, number)
    version = CiaVersion(
        cia_id=cia_id, number=number, status=domain.DRAFT, content=content,
        content_sha256=domain.content_hash(content), revision=1,
        author_sub=actor.sub, author_name=actor.name,
        last_editor_sub=actor.sub, last_editor_name=actor.name,
        # Still the same amendment (or first version) that was rejected.
        amendment_reason=rejected.amendment_reason, amended_from=rejected.amended_from,
        revised_from=rejected.number, revision_reason=reason, rejection=_rejection(rejected),
    )
    uow.session.add(version)
    view.cia.latest_version = number
    view.cia.updated_at = utcnow()
    uow.session.flush()
    uow.record(DomainEvent(
        "cia.revised", cia_id, {**_brief(view.cia, version), "revised_from": rejected.number,
                                "reason": reason},
        actor=actor, version=number, content_sha256=version.content_sha256,
        detail={"reason": reason, "revised_from": rejected.number}))
    return CiaView(view.cia, version)


def _rejection(version: CiaVersion) -> dict:
    return {"version": version.number, "review_id": version.review_id,
            "decided_at": isoformat(version.decided_at) if version.decided_at else None,
            "decided_by": ({"sub": version.decided_by_sub, "name": version.decided_by_name}
                           if version.decided_by_sub else None),
            "comment": version.decision_comment,
            "section_comments": list(version.section_comments or [])}


def withdraw_open_version(uow: UnitOfWork, op: Operation, actor) -> CiaVersion | None:
    """The operation is cancelled: its CIA's open version is withdrawn, and
    ``cia.withdrawn`` tells review to cancel whatever review it has open."""
    cia_id = uow.session.execute(sa.select(Cia.id).where(Cia.operation_id == op.id)).scalar()
    if cia_id is None:
        return None
    view = _locked_latest(uow, cia_id)
    version = view.version
    if not domain.withdrawable_on_cancellation(version.status):
        return None
    previous = version.status
    reason = domain.cancelled_reason(op.reference)
    _bump(uow, version, version.revision, status=domain.WITHDRAWN, status_reason=reason)
    view.cia.updated_at = utcnow()
    uow.record(DomainEvent(
        "cia.withdrawn", cia_id, {**_brief(view.cia, version), "operation_id": op.id,
                                  "previous_status": previous, "reason": reason},
        actor=actor, version=version.number, content_sha256=version.content_sha256,
        detail={"reason": reason, "from": previous}))
    return version


def has_approved_version(session: Session, operation_id: str) -> bool:
    return session.execute(
        sa.select(CiaVersion.id).join(Cia, Cia.id == CiaVersion.cia_id)
        .where(Cia.operation_id == operation_id, CiaVersion.status == domain.APPROVED)
        .limit(1)
    ).first() is not None


def change_operation_status(uow: UnitOfWork, operation_id: str, target: str, actor) -> Operation:
    """Move the operation on; cancelling it also withdraws its CIA's open version,
    which closes that version's review."""
    op = operations.lock(uow.session, operation_id)
    operations.set_status(uow, op, target,
                          cia_approved=has_approved_version(uow.session, op.id))
    if target == domain.CANCELLED:
        withdraw_open_version(uow, op, actor)
    return op
