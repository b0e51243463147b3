"""An operation as its API representation (a plain dict the response schemas dump)."""
from __future__ import annotations

from cia_authoring.operations.models import Operation


def person(sub, name):
    return {"sub": sub, "name": name} if sub else None


# ``cia_id`` not given: read it from the operation (a query unless already loaded).
FIND = object()


def operation(op: Operation, cia_id: str | None | object = FIND) -> dict:
    out = {k: getattr(op, k) for k in (
        "id", "reference", "name", "borough", "ward", "location_name", "latitude", "longitude",
        "use_case", "planned_start", "planned_end", "watchlist_size", "watchlist_categories",
        "match_threshold", "camera_count", "status", "created_at", "updated_at")}
    out["created_by"] = person(op.created_by_sub, op.created_by_name)
    out["authorisation"] = None if op.authorised_at is None else {
        "officer_name": op.authorising_officer_name,
        "officer_rank": op.authorising_officer_rank,
        "collar_number": op.authorising_officer_collar_number,
        "authorised_at": op.authorised_at,
        "authority_reference": op.authority_reference,
        "recorded_by": person(op.authorisation_recorded_by_sub, op.authorisation_recorded_by_name),
    }
    if cia_id is FIND:
        cia_id = op.cia.id if op.cia else None
    out["cia_id"] = cia_id
    return out
