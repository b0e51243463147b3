"""The authoring worker's handlers for disclosure copies (``fn(uow, event, cfg)``).

- ``disclosure.rules_changed`` (emitted when a censor rule is added or changed)
  and ``disclosure.release_terms_changed`` (a release term added or withdrawn):
  fan out one ``disclosure.rerender_requested`` per disclosure copy in the rule's
  or term's scope, so each copy is re-rendered in its own transaction;
- ``disclosure.rerender_requested``: re-renders one copy if its rules changed;
- ``cia.approved``: a copy rendered at approval gets the rules that already apply.

After the last two, names a render added to the force-wide name register are
propagated: each copy whose CIA may hold one is asked to render again
(``force``: its rules did not change, the register did).

All are idempotent: a copy whose redacted context is unchanged is left alone.
"""
from __future__ import annotations

import functools

from cia_common.db import UnitOfWork
from cia_common.events import CloudEvent

from cia_authoring.documents import service as rendering
from cia_authoring.disclosure import register
from cia_authoring.disclosure import copies

RERENDER_REQUESTED = "disclosure.rerender_requested"


def on_rules_changed(uow: UnitOfWork, event: CloudEvent, cfg: dict) -> None:
    scope = event.data.get("cia_id")
    for cia_id, number in copies.disclosure_copies_in_scope(uow.session, scope):
        uow.emit(RERENDER_REQUESTED, cia_id, {
            "cia_id": cia_id, "version": number, "rule_id": event.data.get("rule_id"),
            "cause": event.id})


def on_release_terms_changed(uow: UnitOfWork, event: CloudEvent, cfg: dict) -> None:
    scope = event.data.get("cia_id")
    cause = f"release term {event.data.get('term_id')} {event.data.get('action')}"
    for cia_id, number in copies.disclosure_copies_in_scope(uow.session, scope):
        uow.emit(RERENDER_REQUESTED, cia_id, {
            "cia_id": cia_id, "version": number, "rule_id": None, "cause": cause})


def on_rerender_requested(uow: UnitOfWork, event: CloudEvent, cfg: dict) -> None:
    force = bool(event.data.get("force"))
    rule_id = event.data.get("rule_id")
    reason = (event.data.get("cause") if force or not rule_id
              else f"censor rule {rule_id} changed")
    copies.ensure_current(uow, str(event.data["cia_id"]), int(event.data["version"]), cfg,
                          reason=reason, force=force)
    propagate_register(uow)


def on_cia_approved(uow: UnitOfWork, event: CloudEvent, cfg: dict) -> None:
    copies.ensure_current(uow, str(event.data["cia_id"]), int(event.data["version"]), cfg,
                          reason="censor rules applying at approval")
    propagate_register(uow)


def propagate_register(uow: UnitOfWork) -> None:
    entries = register.unpropagated(uow.session)
    requested: set[tuple[str, int]] = set()
    for entry in entries:
        for cia_id, number in register.copies_naming(uow.session, entry.name, rendering.DISCLOSURE):
            if (cia_id, number) not in requested:
                requested.add((cia_id, number))
                uow.emit(RERENDER_REQUESTED, cia_id, {
                    "cia_id": cia_id, "version": number, "rule_id": None, "force": True,
                    "cause": "a name entered the force's name register"})
    register.mark_propagated(entries)


def handlers(cfg: dict) -> dict:
    """Event type -> handler ``(uow, event)`` with the configuration bound."""
    out = {}
    for event_type, fn in (("disclosure.rules_changed", on_rules_changed),
                           ("disclosure.release_terms_changed", on_release_terms_changed),
                           (RERENDER_REQUESTED, on_rerender_requested),
                           ("cia.approved", on_cia_approved)):
        bound = functools.partial(fn, cfg=cfg)
        functools.update_wrapper(bound, fn)
        out[event_type] = bound
    return out
