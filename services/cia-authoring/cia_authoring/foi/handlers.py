"""The authoring worker's handlers for disclosure copies (``fn(uow, event, cfg)``).

- ``disclosure.rules_changed`` (emitted when a censor rule is added or changed):
  fans out one ``disclosure.rerender_requested`` per disclosure copy in the
  rule's scope, so each copy is re-rendered in its own transaction;
- ``disclosure.rerender_requested``: re-renders one copy if its rules changed;
- ``cia.approved``: a copy rendered at approval gets the rules that already apply.

All three are idempotent: a copy already rendered with the current rules is left alone.
"""
from __future__ import annotations

import functools

from cia_common.db import UnitOfWork
from cia_common.events import CloudEvent

from . import copies

RERENDER_REQUESTED = "disclosure.rerender_requested"


def on_rules_changed(uow: UnitOfWork, event: CloudEvent, cfg: dict) -> None:
    scope = event.data.get("cia_id")
    for cia_id, number in copies.disclosure_copies_in_scope(uow.session, scope):
        uow.emit(RERENDER_REQUESTED, cia_id, {
            "cia_id": cia_id, "version": number, "rule_id": event.data.get("rule_id"),
            "cause": event.id})


def on_rerender_requested(uow: UnitOfWork, event: CloudEvent, cfg: dict) -> None:
    copies.ensure_current(uow, str(event.data["cia_id"]), int(event.data["version"]), cfg,
                          reason=f"censor rule {event.data.get('rule_id')} changed")


def on_cia_approved(uow: UnitOfWork, event: CloudEvent, cfg: dict) -> None:
    copies.ensure_current(uow, str(event.data["cia_id"]), int(event.data["version"]), cfg,
                          reason="censor rules applying at approval")


def handlers(cfg: dict) -> dict:
    """Event type -> handler ``(uow, event)`` with the configuration bound."""
    out = {}
    for event_type, fn in (("disclosure.rules_changed", on_rules_changed),
                           (RERENDER_REQUESTED, on_rerender_requested),
                           ("cia.approved", on_cia_approved)):
        bound = functools.partial(fn, cfg=cfg)
        functools.update_wrapper(bound, fn)
        out[event_type] = bound
    return out
