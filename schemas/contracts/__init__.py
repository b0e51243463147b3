"""Typed event contracts: one marshmallow schema per event type's ``data``,
grouped by the service that emits it, used by producer and consumer alike.

- producers: ``UnitOfWork.emit`` calls :func:`check_emitted` before it writes the
  outbox row, so an event that breaks its contract is never published;
- consumers: ``contract(type).load(data)`` gives typed data (unknown keys dropped);
- :mod:`cia_schemas.asyncapi` documents them all as AsyncAPI 3.0.
"""
from __future__ import annotations

from typing import Iterable

from . import authoring, notifier, review
from .base import (SOURCES, TOPICS, Contract, EventData, EventDataError, Part, Person,
                   UnregisteredEvent)

__all__ = ["CONTRACTS", "SOURCES", "TOPICS", "Contract", "EventData", "EventDataError", "Part",
           "Person", "UnregisteredEvent", "check_emitted", "contract", "load", "of_producer"]

#: Event type → its contract.
CONTRACTS: dict[str, Contract] = {
    c.type: c for c in (*authoring.contracts(), *review.contracts(), *notifier.contracts())}

_PRODUCER_OF_SOURCE = {source: service for service, source in SOURCES.items()}


def contract(event_type: str) -> Contract:
    try:
        return CONTRACTS[event_type]
    except KeyError:
        raise UnregisteredEvent(event_type, "no contract for this event type") from None


def load(event_type: str, data: dict | None) -> dict:
    """``data`` of an event of ``event_type`` as its consumers read it."""
    return contract(event_type).load(data)


def of_producer(service: str) -> list[Contract]:
    return [c for c in CONTRACTS.values() if c.producer == service]


def check_emitted(source: str, event_type: str, data, validated: Iterable[str] = ()) -> None:
    """Raise :class:`EventDataError` unless the service at ``source`` may emit
    ``event_type`` with ``data``. Sources that are not one of the services (tools,
    tests of the event machinery) are not bound by the services' contracts."""
    producer = _PRODUCER_OF_SOURCE.get(source)
    if producer is None:
        return
    found = contract(event_type)
    if found.producer != producer:
        raise UnregisteredEvent(event_type, f"{found.producer} emits it, not {producer}")
    found.check(data, validated)
