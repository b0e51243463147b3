"""Release terms (service layer): an FOI officer releases a term the pass withheld as
personal data that is not (a shop, a town, an operation the name model took for a
person), for one CIA or force-wide, with a reason.

A term releases what the detectors that may be wrong found in its words — the name
model and the address pattern (``cia_redaction.redactor``) — and nothing else. It is
refused (422, saying why) when its words are withheld by what no officer's judgement
of a detector overrules: a field of a CIA (the index of withheld values, an s.31
value's parts included), the name register, a child, or a censor rule. Like a censor
rule, a term is never deleted: it is withdrawn, and its history says who released and
withdrew it, when and why; each change emits ``disclosure.release_terms_changed``, from
which the worker renders the copies in its scope again (their fingerprint names the
terms that apply, ``censor_rules.fingerprints``). The request itself renders nothing.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.db import UnitOfWork
from cia_common.errors import InvalidContent, NotFound
from cia_common.events import isoformat, utcnow
from cia_redaction import WithheldSet
from cia_redaction import rules as censor
from cia_redaction.normalise import normalise

from cia_authoring.cias.models import Cia
from cia_authoring.disclosure import censor_rules, redactors, register
from cia_authoring.disclosure.models import ReleaseTerm, WithheldValue

TERMS_CHANGED = "disclosure.release_terms_changed"
MAX_TERM = 200
# What withholds a value beyond any release term, as the refusal names it.
FIELD, REGISTER, CHILD, CENSOR_RULE = "field", "register", "child", "censor_rule"
_WHY = {
    FIELD: "it is withheld by a field of a CIA (its disclosure class)",
    REGISTER: "it is a name in the force's name register",
    CHILD: "it names a child, who is always withheld",
    CENSOR_RULE: "a censor rule withholds it",
}


def get(session: Session, term_id: str) -> ReleaseTerm:
    term = session.get(ReleaseTerm, term_id)
    if term is None:
        raise NotFound(f"Release term {term_id}")
    return term


def list_(session: Session, *, cia_id: str | None = None, scope: str | None = None,
          include_inactive: bool = False) -> list[ReleaseTerm]:
    query = sa.select(ReleaseTerm).order_by(ReleaseTerm.created_at, ReleaseTerm.id)
    if not include_inactive:
        query = query.where(ReleaseTerm.active.is_(True))
    if cia_id:
        query = query.where(ReleaseTerm.cia_id == cia_id)
    if scope == "global":
        query = query.where(ReleaseTerm.cia_id.is_(None))
    elif scope == "cia":
        query = query.where(ReleaseTerm.cia_id.is_not(None))
    return list(session.execute(query).scalars())


def withheld_beyond_release(session: Session, term: str, cia_id: str | None) -> str | None:
    """Why ``term`` cannot be released in the scope of ``cia_id`` (``None``: every CIA):
    ``field``, ``register``, ``child`` or ``censor_rule``; ``None`` if nothing but the
    detectors withholds it."""
    norm = normalise(term)
    by_field, children = WithheldSet(), WithheldSet()
    rows = sa.select(WithheldValue.key, WithheldValue.exemption, WithheldValue.reason,
                     WithheldValue.source).distinct()
    if cia_id:
        rows = rows.where(WithheldValue.cia_id == cia_id)
    for key, exemption, reason, source in session.execute(rows):
        # A field's value is indexed under its pointer; a child under the detector's name.
        if source.startswith("/"):
            by_field.add_key(key, exemption, reason, source)
        elif source == "child":
            children.add_key(key, exemption, reason, source)
    if children.find(norm):
        return CHILD
    if by_field.find(norm):
        return FIELD
    if redactors.withheld_names(register.names(session)).find(norm):
        return REGISTER
    rules = censor_rules.applicable(session, cia_id) if cia_id else censor_rules.active(session)
    for rule in rules:
        if rule.kind != censor.RELEASE and next(censor.finditer(rule.compiled(), norm.text), None):
            return CENSOR_RULE
    return None


def _check(session: Session, data: dict) -> None:
    errors = []
    term, reason, cia_id = data.get("term"), data.get("reason"), data.get("cia_id")
    if not isinstance(term, str) or len(normalise(term).text.strip()) < 2:
        errors.append({"pointer": "/term", "detail": "The term to release: at least two characters."})
    elif len(term) > MAX_TERM or any(ord(c) < 32 for c in term):
        errors.append({"pointer": "/term", "detail": f"One line of at most {MAX_TERM} characters."})
    if not isinstance(reason, str) or not reason.strip():
        errors.append({"pointer": "/reason", "detail": "Say why the term is not personal data; "
                                                       "the reason is kept with the term."})
    elif len(reason) > censor.MAX_REASON:
        errors.append({"pointer": "/reason", "detail": f"At most {censor.MAX_REASON} characters."})
    if cia_id and session.get(Cia, cia_id) is None:
        errors.append({"pointer": "/cia_id", "detail": f"CIA {cia_id} does not exist."})
    if errors:
        raise InvalidContent(errors, detail="The release term cannot be used; nothing was saved.")
    why = withheld_beyond_release(session, term, cia_id)
    if why is not None:
        raise InvalidContent(
            [{"pointer": "/term", "detail": f"Not released: {_WHY[why]}. A release term releases "
                                            "only what the name model or the address pattern "
                                            "found.", "withheld_by": why}],
            detail="The term is withheld by more than a detector; nothing was saved.")


def _changed(uow: UnitOfWork, term: ReleaseTerm, action: str, actor) -> None:
    # The term itself stays out of the event: subscribers learn that, not what.
    uow.emit(TERMS_CHANGED, term.cia_id or "global", {
        "term_id": term.id, "cia_id": term.cia_id, "action": action, "revision": term.revision,
        "by": {"sub": actor.sub, "name": actor.name}})


def create(uow: UnitOfWork, data: dict, actor) -> ReleaseTerm:
    session = uow.session
    _check(session, data)
    now = utcnow()
    term = ReleaseTerm(
        cia_id=data.get("cia_id") or None, term=normalise(data["term"]).text.strip(),
        reason=data["reason"].strip(), active=True, revision=1,
        created_by_sub=actor.sub, created_by_name=actor.name, created_at=now,
        updated_by_sub=actor.sub, updated_by_name=actor.name, updated_at=now,
        history=[{"at": isoformat(now), "by": {"sub": actor.sub, "name": actor.name},
                  "action": "created", "revision": 1}])
    session.add(term)
    session.flush()
    _changed(uow, term, "created", actor)
    return term


def withdraw(uow: UnitOfWork, term_id: str, actor) -> ReleaseTerm:
    """The term no longer applies (kept with its history); the worker renders again."""
    session = uow.session
    term = session.execute(sa.select(ReleaseTerm).where(ReleaseTerm.id == term_id)
                           .with_for_update()).scalar_one_or_none()
    if term is None:
        raise NotFound(f"Release term {term_id}")
    if not term.active:
        return term
    now = utcnow()
    term.active = False
    term.revision += 1
    term.updated_by_sub, term.updated_by_name, term.updated_at = actor.sub, actor.name, now
    term.history = [*(term.history or []), {
        "at": isoformat(now), "by": {"sub": actor.sub, "name": actor.name},
        "action": "withdrawn", "revision": term.revision}]
    session.flush()
    _changed(uow, term, "withdrawn", actor)
    return term

