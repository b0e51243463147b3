"""The AsyncAPI 3.0 document of the events, generated from :mod:`cia_schemas.contracts`.

Channels are the Kafka topics (one per producing service), messages are the
CloudEvents types. A message's payload is the whole CloudEvent (structured
mode: the envelope and its ``data`` travel together as the record's JSON value,
and a webhook body is the same JSON), with ``data`` typed by the contract; the
CIA content inside ``cia.submitted`` keeps each field's ``x-disclosure``.

``document()`` covers the whole system (``docs/asyncapi.json``);
``document("review")`` only the channels that service sends to or reads from
(its ``GET /asyncapi.json``).
"""
from __future__ import annotations

import json
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from .contracts import CONTRACTS, SOURCES, TOPICS, Contract
from .events import CloudEventSchema

ASYNCAPI_VERSION = "3.0.0"
SERVICES = tuple(TOPICS)
#: Whose topics each service's worker reads.
READS = {
    "authoring": ("review", "authoring"),
    "review": ("authoring",),
    "notifier": ("authoring", "review"),
}
TITLES = {
    "authoring": "cia-authoring",
    "review": "review",
    "notifier": "notifier",
}
ENVELOPE = "CloudEvent"


def receivers(contract: Contract) -> tuple[str, ...]:
    """Services that handle events of this type. The notifier turns every event on
    the topics it reads into webhooks, so it receives them all."""
    out = list(contract.consumers)
    if contract.producer in READS["notifier"] and "notifier" not in out:
        out.append("notifier")
    return tuple(out)


def _channel_id(producer: str) -> str:
    return f"{producer}Events"


@cache
def _schemas() -> dict:
    """JSON Schemas of the envelope and every data schema, by component name, from
    apispec's marshmallow converter (OpenAPI 3.1 output is JSON Schema 2020-12)."""
    spec = APISpec(title="events", version="1", openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin()])
    spec.components.schema(ENVELOPE, schema=CloudEventSchema)
    for contract in CONTRACTS.values():
        name = contract.schema.__name__
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=contract.schema)
    return spec.to_dict()["components"]["schemas"]


def _message(contract: Contract) -> dict:
    return {
        "name": contract.type,
        "title": contract.type,
        "summary": contract.summary,
        "contentType": "application/json",
        "payload": {"allOf": [
            {"$ref": f"#/components/schemas/{ENVELOPE}"},
            {"type": "object", "required": ["type", "source", "data"], "properties": {
                "type": {"const": contract.type},
                "source": {"const": contract.source},
                "data": {"$ref": f"#/components/schemas/{contract.schema.__name__}"},
            }},
        ]},
        "bindings": {"kafka": {"bindingVersion": "0.5.0", "key": {
            "type": "string",
            "description": "The event's subject: the CIA id for CIA and review events, so "
                           "one CIA's events stay in order."}}},
        "x-producer": contract.producer,
        "x-consumers": list(receivers(contract)),
    }


def _refs(schema, found: set[str]) -> None:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in schema.values():
            _refs(value, found)
    elif isinstance(schema, list):
        for value in schema:
            _refs(value, found)


def _used(messages: dict, schemas: dict) -> dict:
    """Only the schemas the chosen messages reach, in a stable order."""
    found: set[str] = set()
    _refs(messages, found)
    todo = list(found)
    while todo:
        more: set[str] = set()
        _refs(schemas[todo.pop()], more)
        todo.extend(more - found)
        found |= more
    return {name: schemas[name] for name in sorted(found)}


def document(service: str | None = None) -> dict:
    """The AsyncAPI document of the whole system, or of one service's channels."""
    if service is not None and service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    chosen = (service,) if service else SERVICES
    contracts = sorted(CONTRACTS.values(), key=lambda c: (SERVICES.index(c.producer), c.type))
    sent = {s: [c for c in contracts if c.producer == s] for s in chosen}
    received = {s: [c for c in contracts if s in receivers(c)] for s in chosen}
    in_use = [c for c in contracts if any(c in sent[s] or c in received[s] for s in chosen)]

    channels: dict = {}
    for producer in SERVICES:
        mine = [c for c in in_use if c.producer == producer]
        if mine:
            channels[_channel_id(producer)] = {
                "address": TOPICS[producer],
                "title": TOPICS[producer],
                "description": f"Events of the {TITLES[producer]} service; the dead letters of "
                               f"its readers go to {TOPICS[producer]}.dlq. Test runs and "
                               "deployments may put a prefix before the name.",
                "messages": {c.type: {"$ref": f"#/components/messages/{c.type}"} for c in mine},
            }

    operations: dict = {}
    for s in chosen:
        if sent[s]:
            operations[f"{s}Sends"] = _operation("send", s, s, sent[s])
        for producer in READS[s]:
            mine = [c for c in received[s] if c.producer == producer]
            if mine:
                operations[f"{s}Receives{producer.title()}Events"] = \
                    _operation("receive", s, producer, mine)

    messages = {c.type: _message(c) for c in in_use}
    title = "CIA Workflow events" + (f" — {TITLES[service]} service" if service else "")
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": title,
            "version": "1.0.0",
            "description": "CloudEvents 1.0 in structured JSON mode, published through a "
                           "transactional outbox; every webhook body is one of these events. "
                           "Producers validate the data against these schemas before "
                           "publishing; consumers ignore keys they do not know.",
        },
        "defaultContentType": "application/json",
        "servers": {"kafka": {"host": "127.0.0.1:9092", "protocol": "kafka",
                              "description": "The local broker of ./infra/run.sh "
                                             "(KAFKA_BOOTSTRAP_SERVERS elsewhere)."}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": _used(messages, _schemas())},
    }


def _operation(action: str, service: str, producer: str, contracts: list[Contract]) -> dict:
    channel = _channel_id(producer)
    verb = "publishes" if action == "send" else "handles"
    return {
        "action": action,
        "title": f"{TITLES[service]} {verb} {TOPICS[producer]}",
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{c.type}"} for c in contracts],
    }


def to_json(doc: dict) -> str:
    """The form ``docs/asyncapi.json`` is kept in (stable, so a diff shows a change)."""
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


__all__ = ["READS", "SERVICES", "SOURCES", "document", "receivers", "to_json"]
