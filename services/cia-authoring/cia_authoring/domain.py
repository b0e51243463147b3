"""Pure rules of the authoring service: state transitions, editability, JSON
merge-patch, field-level diff, ETags and the audit hash chain.

Nothing here touches Flask or SQLAlchemy, so every rule is unit-testable alone.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cia_common.errors import Conflict
from cia_schemas.diff import diff  # noqa: F401 - the version diff, shared with the review service

# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class DomainError(Conflict):
    """A request that breaks a business rule (answered as a conflict)."""


class TransitionNotAllowed(DomainError):
    pass


class NotEditable(DomainError):
    pass


# --------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------

PLANNED, AUTHORISED, DEPLOYED, COMPLETED, CANCELLED = (
    "planned", "authorised", "deployed", "completed", "cancelled")

OPERATION_TRANSITIONS: dict[str, frozenset[str]] = {
    PLANNED: frozenset({AUTHORISED, CANCELLED}),
    AUTHORISED: frozenset({DEPLOYED, CANCELLED}),
    DEPLOYED: frozenset({COMPLETED}),
    COMPLETED: frozenset(),
    CANCELLED: frozenset(),
}


def check_operation_transition(current: str, target: str, *, cia_approved: bool) -> None:
    """Raise unless an operation may move from ``current`` to ``target``.

    ``cia_approved``: the operation's CIA has an approved version — an LFR
    deployment may not go ahead without one.
    """
    if target not in OPERATION_TRANSITIONS:
        raise TransitionNotAllowed(f"Unknown operation status {target!r}.")
    if target == current:
        raise TransitionNotAllowed(f"The operation is already {current}.")
    if target not in OPERATION_TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(OPERATION_TRANSITIONS.get(current, ()))) or "none"
        raise TransitionNotAllowed(
            f"An operation cannot go from {current} to {target} (allowed: {allowed}).")
    if target == DEPLOYED and not cia_approved:
        raise TransitionNotAllowed(
            "The operation cannot be deployed before its CIA has an approved version.")


def check_can_authorise(current: str) -> None:
    if current != PLANNED:
        raise TransitionNotAllowed(
            f"Only a planned operation can be authorised; this one is {current}.")


def check_can_open_cia(operation_status: str) -> None:
    if operation_status == CANCELLED:
        raise TransitionNotAllowed("The operation is cancelled; it cannot get a CIA.")


def approval_blocker(operation_status: str, operation_reference: str) -> str | None:
    """Why an approved review cannot take effect yet, or ``None`` if it can.

    A CIA is approved only for an operation that has been authorised (and
    later states follow authorisation, so they count too).
    """
    if operation_status == CANCELLED:
        return f"Operation {operation_reference} is cancelled."
    if operation_status == PLANNED:
        return f"Operation {operation_reference} has not been authorised yet."
    return None


# --------------------------------------------------------------------------
# CIA versions
# --------------------------------------------------------------------------

DRAFT, SUBMITTED, CHANGES_REQUESTED, APPROVED, SUPERSEDED, WITHDRAWN = (
    "draft", "submitted", "changes_requested", "approved", "superseded", "withdrawn")

EDITABLE_STATUSES = frozenset({DRAFT, CHANGES_REQUESTED})
OPEN_STATUSES = frozenset({DRAFT, SUBMITTED, CHANGES_REQUESTED})
APPROVED_STATUSES = frozenset({APPROVED, SUPERSEDED})  # were approved, documents stored
IMMUTABLE_STATUSES = frozenset({APPROVED, SUPERSEDED, WITHDRAWN})

# Review outcome -> the version's new status.
OUTCOME_STATUS = {
    "approved": APPROVED,
    "changes_requested": CHANGES_REQUESTED,
    "rejected": WITHDRAWN,
}
REJECTED_REASON = "rejected by review"


def cancelled_reason(operation_reference: str) -> str:
    return f"operation {operation_reference} cancelled"


def was_rejected(status: str, status_reason: str | None) -> bool:
    return status == WITHDRAWN and status_reason == REJECTED_REASON


def _way_out(status: str, status_reason: str | None) -> str:
    # Every refusal names the next step, so that no state is a dead end.
    if was_rejected(status, status_reason):
        return " A rejected version is revised: a revision opens the next version as a draft from it."
    if status == APPROVED:
        return " An approved version is amended: an amendment opens the next version as a draft."
    return ""


def check_editable(status: str, number: int, status_reason: str | None = None) -> None:
    if status not in EDITABLE_STATUSES:
        raise NotEditable(
            f"Version {number} is {status}; only a draft or changes_requested version can be "
            "edited." + _way_out(status, status_reason))


def check_submittable(status: str, number: int, status_reason: str | None = None) -> None:
    if status not in EDITABLE_STATUSES:
        raise NotEditable(
            f"Version {number} is {status}; only a draft or changes_requested version can be "
            "submitted." + _way_out(status, status_reason))


def check_can_amend(statuses: list[str]) -> None:
    """Amending opens n+1 from the latest approved version; one open version at a time."""
    open_ = [s for s in statuses if s in OPEN_STATUSES]
    if open_:
        raise TransitionNotAllowed(
            f"The CIA already has an open version ({open_[0]}); finish it before amending.")
    if APPROVED not in statuses:
        raise TransitionNotAllowed(
            "The CIA has no approved version to amend; a rejected version is revised instead.")


def check_can_revise(status: str, status_reason: str | None, number: int,
                     operation_status: str, operation_reference: str) -> None:
    """A revision opens n+1 from version n, which review rejected; nothing else is revised."""
    if operation_status == CANCELLED:
        raise TransitionNotAllowed(
            f"Operation {operation_reference} is cancelled; its CIA cannot be revised.")
    if not was_rejected(status, status_reason):
        detail = f"{status} ({status_reason})" if status_reason else status
        raise TransitionNotAllowed(
            f"Version {number} is {detail}; only a version rejected by review can be revised."
            + _way_out(status, status_reason))


def withdrawable_on_cancellation(status: str) -> bool:
    """Cancelling the operation withdraws the CIA's open version (its review is cancelled)."""
    return status in OPEN_STATUSES


def review_outcome_status(outcome: str) -> str:
    try:
        return OUTCOME_STATUS[outcome]
    except KeyError:
        raise ValueError(f"unknown review outcome {outcome!r}") from None


def review_applies_to(status: str) -> bool:
    """A review decision only lands on a version that is still under review."""
    return status == SUBMITTED


# --------------------------------------------------------------------------
# Post-deployment review (content section 13)
# --------------------------------------------------------------------------

POST_DEPLOYMENT_REVIEW = "post_deployment_review"


def has_post_deployment_review(content: Any) -> bool:
    return isinstance(content, dict) and bool(content.get(POST_DEPLOYMENT_REVIEW))


def post_deployment_review_blocker(content: Any, *, amended_from: int | None,
                                   operation_status: str, operation_reference: str) -> str | None:
    """Why a version carrying the outcome record cannot go to review, or ``None``.

    The outcome record is written after the deployment, by an amendment of the
    approved CIA; a first version cannot carry it.
    """
    if not has_post_deployment_review(content):
        return None
    if amended_from is None:
        return ("The post-deployment review is recorded by an amendment after the deployment; "
                "remove it from this first version, or amend the CIA once it is approved and "
                "the operation deployed.")
    if operation_status not in (DEPLOYED, COMPLETED):
        return (f"Operation {operation_reference} is {operation_status}; a post-deployment review "
                "can be submitted only once the operation has been marked deployed.")
    return None


def approval_completes_operation(content: Any, operation_status: str) -> bool:
    """Approving the outcome record of a deployed operation completes the operation."""
    return has_post_deployment_review(content) and operation_status == DEPLOYED


# --------------------------------------------------------------------------
# Content: canonical JSON, hash, merge-patch, diff
# --------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """One spelling per value, so hashes are stable across processes and backends."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def content_hash(content: Any) -> str:
    return sha256_hex(canonical_json(content))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge-patch; returns a new value, ``target`` is untouched.

    An object patch merges recursively and ``null`` removes a member; anything
    else (arrays included) replaces the target wholesale.
    """
    if not isinstance(patch, dict):
        return _deep_copy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _deep_copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def content_reference_error(content: dict, operation_reference: str) -> str | None:
    """The content's header, if it names an operation, must name this one."""
    header = content.get("header") if isinstance(content, dict) else None
    ref = header.get("operation_reference") if isinstance(header, dict) else None
    if ref is not None and ref != operation_reference:
        return (f"The content names operation {ref!r} but this CIA belongs to "
                f"{operation_reference!r}.")
    return None


def amendment_content(approved_content: dict, new_version: int) -> dict:
    """Content of a new version (amendment or revision): the content it starts from,
    with its header renumbered."""
    content = _deep_copy(approved_content)
    header = content.get("header")
    if isinstance(header, dict):
        if "version" in header:
            header["version"] = new_version
        if "status" in header:
            header["status"] = DRAFT
    return content


# --------------------------------------------------------------------------
# ETags (RFC 9110 §8.8.3); If-Match is parsed by the API (cia_common.etags)
# --------------------------------------------------------------------------


def make_etag(cia_id: str, version: int, revision: int) -> str:
    """A strong ETag naming exactly one state of one version row."""
    return f'"{cia_id}.v{version}.r{revision}"'


# --------------------------------------------------------------------------
# Audit hash chain
# --------------------------------------------------------------------------

GENESIS_HASH = "0" * 64

AUDIT_FIELDS = ("cia_id", "seq", "actor_sub", "actor_name", "action", "version", "at",
                "content_sha256", "detail")


def audit_entry_hash(prev_hash: str, entry: dict) -> str:
    """entry_hash = sha256(prev_hash + canonical JSON of the entry's fields)."""
    body = {k: entry.get(k) for k in AUDIT_FIELDS}
    return sha256_hex(prev_hash + canonical_json(body))


@dataclass(frozen=True)
class ChainBreak:
    index: int
    seq: int | None
    reason: str


def verify_chain(entries: list[dict]) -> ChainBreak | None:
    """Check one CIA's audit entries, in ``seq`` order; the first break or ``None``."""
    prev = GENESIS_HASH
    for i, entry in enumerate(entries):
        seq = entry.get("seq")
        if seq != i + 1:
            return ChainBreak(i, seq, f"expected seq {i + 1}, found {seq}")
        if entry.get("prev_hash") != prev:
            return ChainBreak(i, seq, "prev_hash does not match the previous entry's hash")
        expected = audit_entry_hash(prev, entry)
        if entry.get("entry_hash") != expected:
            return ChainBreak(i, seq, "entry_hash does not match the entry's contents")
        prev = entry["entry_hash"]
    return None
