"""Censor rules (service layer): add, change, withdraw, list; and the rules that
apply to a copy, release terms included.

Every change bumps the rule's revision, appends to its history (who, when,
which fields) and emits ``disclosure.rules_changed`` in the same transaction;
the authoring worker re-renders the affected disclosure copies from it. The
request itself renders nothing.

An FOI officer's release terms (``release_terms``) are rules of the pass too
(``cia_redaction.rules.RELEASE``): ``applicable``, ``applicable_to_all`` and
``fingerprints`` give them after the censor rules, so a copy's fingerprint names
them and a copy rendered before a term changed is stale like one rendered before
a rule changed. ``active`` (what a letter or the public log may quote) gives only
the force-wide ones: a term one CIA's copy releases is that copy's judgement.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.db import UnitOfWork
from cia_common.errors import InvalidContent, NotFound
from cia_common.events import isoformat

from cia_authoring.documents import service as rendering
from cia_authoring.cias.models import Cia
from cia_authoring.cias.models import Document
from cia_common.events import utcnow
from cia_redaction import rules as censor
from cia_authoring.disclosure.models import CensorRule, ReleaseTerm

RULES_CHANGED = "disclosure.rules_changed"
EDITABLE = ("kind", "pattern", "case_sensitive", "replacement", "exemption", "reason", "active")


def as_rule(row: CensorRule) -> censor.Rule:
    return censor.Rule(id=row.id, kind=row.kind, pattern=row.pattern, exemption=row.exemption,
                       reason=row.reason, replacement=row.replacement,
                       case_sensitive=row.case_sensitive, revision=row.revision)


def as_term(row: ReleaseTerm) -> censor.Rule:
    """A release term as the pass takes it: a rule of kind ``release``."""
    return censor.Rule(id=row.id, kind=censor.RELEASE, pattern=row.term, exemption="s40",
                       reason=row.reason, revision=row.revision)


def _owned(session: Session) -> list[tuple[str | None, censor.Rule]]:
    """Every active censor rule, then every active release term, each oldest first
    (the order they apply in), with the CIA it is scoped to (``None``: global)."""
    rules = [(r.cia_id, as_rule(r)) for r in session.execute(
        sa.select(CensorRule).where(CensorRule.active.is_(True))
        .order_by(CensorRule.created_at, CensorRule.id)).scalars()]
    terms = [(t.cia_id, as_term(t)) for t in session.execute(
        sa.select(ReleaseTerm).where(ReleaseTerm.active.is_(True))
        .order_by(ReleaseTerm.created_at, ReleaseTerm.id)).scalars()]
    return rules + terms


def applicable(session: Session, cia_id: str | None) -> list[censor.Rule]:
    """Active global rules and terms and the CIA's own, in the order they apply in."""
    return applicable_to_all(session)(cia_id)


def active(session: Session) -> list[censor.Rule]:
    """Every active censor rule, global or of any CIA, oldest first, and the global
    release terms."""
    return [rule for owner, rule in _owned(session)
            if rule.kind != censor.RELEASE or owner is None]


class RuleSets:
    """``applicable`` for every CIA from one query: call it with the CIA id."""

    def __init__(self, pairs: list[tuple[str | None, censor.Rule]]) -> None:
        self._pairs = pairs
        # The CIAs with rules or terms of their own: every other CIA has the global set.
        self.owners = frozenset(owner for owner, _ in pairs if owner is not None)

    def __call__(self, cia_id: str | None) -> list[censor.Rule]:
        return [rule for owner, rule in self._pairs if owner is None or owner == cia_id]


def applicable_to_all(session: Session) -> RuleSets:
    return RuleSets(_owned(session))


def fingerprints(session: Session, cia_ids: set[str] | None = None) -> dict[str | None, str]:
    """Fingerprint of the applicable rules per CIA (key ``None``: a CIA with no own rules)."""
    pairs = _owned(session)
    out: dict[str | None, str] = {None: censor.fingerprint([r for owner, r in pairs if owner is None])}
    for cia_id in {owner for owner, _ in pairs if owner is not None}:
        if cia_ids is not None and cia_id not in cia_ids:
            continue
        out[cia_id] = censor.fingerprint([r for owner, r in pairs if owner in (None, cia_id)])
    return out


def get(session: Session, rule_id: str) -> CensorRule:
    rule = session.get(CensorRule, rule_id)
    if rule is None:
        raise NotFound(f"Censor rule {rule_id}")
    return rule


def list_(session: Session, *, cia_id: str | None = None, scope: str | None = None,
          include_inactive: bool = False) -> list[CensorRule]:
    query = sa.select(CensorRule).order_by(CensorRule.created_at, CensorRule.id)
    if not include_inactive:
        query = query.where(CensorRule.active.is_(True))
    if cia_id:
        query = query.where(CensorRule.cia_id == cia_id)
    if scope == "global":
        query = query.where(CensorRule.cia_id.is_(None))
    elif scope == "cia":
        query = query.where(CensorRule.cia_id.is_not(None))
    return list(session.execute(query).scalars())


def _check(data: dict) -> None:
    errors = censor.validate(data.get("kind"), data.get("pattern"), data.get("exemption"),
                             data.get("reason"), data.get("replacement"),
                             bool(data.get("case_sensitive")))
    if errors:
        raise InvalidContent(errors, detail="The censor rule cannot be used; nothing was saved.")


def affected_copies(session: Session, cia_id: str | None) -> int:
    query = sa.select(sa.func.count()).select_from(Document).where(
        Document.kind == rendering.DISCLOSURE, Document.format == "docx")
    if cia_id:
        query = query.where(Document.cia_id == cia_id)
    return session.execute(query).scalar_one()


def _changed(uow: UnitOfWork, rule: CensorRule, action: str, actor) -> None:
    uow.emit(RULES_CHANGED, rule.cia_id or "global", {
        "rule_id": rule.id, "cia_id": rule.cia_id, "action": action, "revision": rule.revision,
        "by": {"sub": actor.sub, "name": actor.name},
    })


def create(uow: UnitOfWork, data: dict, actor) -> CensorRule:
    session = uow.session
    cia_id = data.get("cia_id")
    if cia_id and session.get(Cia, cia_id) is None:
        raise InvalidContent([{"pointer": "/cia_id", "detail": f"CIA {cia_id} does not exist."}])
    _check(data)
    now = utcnow()
    rule = CensorRule(
        cia_id=cia_id or None, kind=data["kind"], pattern=data["pattern"],
        case_sensitive=bool(data.get("case_sensitive")), replacement=data.get("replacement") or None,
        exemption=data["exemption"], reason=data["reason"].strip(), active=True, revision=1,
        created_by_sub=actor.sub, created_by_name=actor.name, created_at=now,
        updated_by_sub=actor.sub, updated_by_name=actor.name, updated_at=now,
        history=[{"at": isoformat(now), "by": {"sub": actor.sub, "name": actor.name},
                  "action": "created", "revision": 1}],
    )
    session.add(rule)
    session.flush()
    _changed(uow, rule, "created", actor)
    return rule


def update(uow: UnitOfWork, rule_id: str, changes: dict, actor) -> CensorRule:
    session = uow.session
    rule = session.execute(sa.select(CensorRule).where(CensorRule.id == rule_id)
                           .with_for_update()).scalar_one_or_none()
    if rule is None:
        raise NotFound(f"Censor rule {rule_id}")
    current = {k: getattr(rule, k) for k in EDITABLE}
    wanted = {**current, **{k: v for k, v in changes.items() if k in EDITABLE}}
    if "replacement" in changes and not changes["replacement"]:
        wanted["replacement"] = None
    if isinstance(wanted.get("reason"), str):
        wanted["reason"] = wanted["reason"].strip()
    _check(wanted)
    changed = sorted(k for k in EDITABLE if wanted[k] != current[k])
    if not changed:
        return rule
    now = utcnow()
    for k in changed:
        setattr(rule, k, wanted[k])
    rule.revision += 1
    rule.updated_by_sub, rule.updated_by_name, rule.updated_at = actor.sub, actor.name, now
    action = ("withdrawn" if changed == ["active"] and not rule.active else
              "restored" if changed == ["active"] else "changed")
    rule.history = [*(rule.history or []), {
        "at": isoformat(now), "by": {"sub": actor.sub, "name": actor.name},
        "action": action, "revision": rule.revision, "changed": changed}]
    session.flush()
    _changed(uow, rule, action, actor)
    return rule


def withdraw(uow: UnitOfWork, rule_id: str, actor) -> CensorRule:
    """Rules are never deleted (their history stays); a withdrawn rule no longer applies."""
    return update(uow, rule_id, {"active": False}, actor)
