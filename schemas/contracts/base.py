"""The pieces every event contract is made of: the data schema's base class,
shared field types, and :class:`Contract` (one event type, its producer, its
topic and its data schema)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone
from typing import Any, ClassVar, Iterable

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

#: One events topic per producing service; the key of every message is its subject
#: (the CIA id for CIA and review events).
TOPICS = {
    "authoring": "cia.authoring.events",
    "review": "cia.review.events",
    "notifier": "cia.notifier.events",
}
#: The CloudEvents ``source`` of each producing service.
SOURCES = {
    "authoring": "/cia-workflow/authoring",
    "review": "/cia-workflow/review",
    "notifier": "/cia-workflow/notifier",
}


class EventDataError(ValueError):
    """A producer built event data its contract does not allow (a bug, not bad input)."""

    def __init__(self, event_type: str, errors: dict | list | str):
        super().__init__(f"{event_type} data breaks its contract: {errors}")
        self.event_type = event_type
        self.errors = errors


class UnregisteredEvent(EventDataError):
    """A producer emitted a type that has no contract (or another producer's type)."""


class EventData(Schema):
    """The ``data`` of one event type.

    ``required=True`` marks what the producer always sends (the AsyncAPI
    ``required`` list). Consumers load more leniently (:meth:`Contract.load`):
    unknown keys are dropped, so producers can add fields, and only the fields
    named in ``consumer_requires`` must be there, so events written before a
    field existed still load.
    """

    class Meta:
        unknown = RAISE

    consumer_requires: ClassVar[tuple[str, ...]] = ()


class Part(Schema):
    """An object inside event data. Keys it does not declare are dropped, not
    refused: the fields it requires still catch a rename."""

    class Meta:
        unknown = EXCLUDE


class Person(Part):
    """Who did something: the identity provider's subject and display name."""

    sub = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name = fields.String(required=True, allow_none=True)


class ValidatedRaw(fields.Nested):
    """A nested object that producers validate against its schema and that
    consumers receive exactly as sent (no conversion, e.g. dates stay text)."""

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        if not isinstance(value, dict):
            raise self.make_error("type", input=value, type=type(value).__name__)
        return value


def person(description: str, **kwargs) -> fields.Nested:
    kwargs.setdefault("required", True)
    return fields.Nested(Person, metadata={"description": description}, **kwargs)


def text(description: str, **kwargs) -> fields.String:
    kwargs.setdefault("required", True)
    return fields.String(metadata={"description": description}, **kwargs)


def url(description: str, **kwargs) -> fields.String:
    # Checked where it is made (configuration, request validation), only typed here.
    kwargs.setdefault("required", True)
    return fields.String(metadata={"description": description, "format": "uri"}, **kwargs)


def integer(description: str, **kwargs) -> fields.Integer:
    kwargs.setdefault("required", True)
    # strict=False: a number sent as text still loads, as it always has.
    return fields.Integer(strict=False, metadata={"description": description}, **kwargs)


def moment(description: str, **kwargs) -> fields.AwareDateTime:
    kwargs.setdefault("required", True)
    return fields.AwareDateTime(format="iso", default_timezone=timezone.utc,
                                metadata={"description": description}, **kwargs)


def day(description: str, **kwargs) -> fields.Date:
    kwargs.setdefault("required", True)
    return fields.Date(metadata={"description": description}, **kwargs)


def cia_id(**kwargs) -> fields.String:
    return text("The CIA's id.", validate=validate.Length(min=1, max=64), **kwargs)


def version_number(**kwargs) -> fields.Integer:
    return integer("The CIA version's number.", validate=validate.Range(min=1), **kwargs)


def sha256(description: str, **kwargs) -> fields.String:
    return text(description, **kwargs)


def strings(description: str, **kwargs) -> fields.List:
    kwargs.setdefault("required", True)
    return fields.List(fields.String(), metadata={"description": description}, **kwargs)


@dataclass(frozen=True)
class Contract:
    """One event type: who emits it, where it goes, what its data is."""

    type: str
    producer: str
    schema: type[EventData]
    summary: str
    #: Services with a handler for this type (the notifier takes every type on
    #: the topics it subscribes to, so it is not listed).
    consumers: tuple[str, ...] = ()

    @property
    def topic(self) -> str:
        return TOPICS[self.producer]

    @property
    def source(self) -> str:
        return SOURCES[self.producer]

    def errors(self, data: Any, validated: Iterable[str] = ()) -> dict:
        """What is wrong with ``data`` as a producer's: unknown keys, missing or
        ill-typed fields, and nested objects that break their own schema (except those
        named in ``validated``: the producer has just validated them, at least as
        strictly, in the same request)."""
        schema = _strict(self.schema)
        errors = schema.validate(data) if isinstance(data, dict) else {"_schema": ["Not an object."]}
        if errors:
            return errors
        for name, f in schema.fields.items():
            value = data.get(f.data_key or name)
            if isinstance(f, ValidatedRaw) and value is not None \
                    and (f.data_key or name) not in validated:
                nested = f.schema.validate(value)
                if nested:
                    errors[f.data_key or name] = nested
        return errors

    def check(self, data: Any, validated: Iterable[str] = ()) -> None:
        errors = self.errors(data, validated)
        if errors:
            raise EventDataError(self.type, errors)

    def load(self, data: dict | None) -> dict:
        """The data as a consumer reads it: typed values, unknown keys dropped,
        every declared field present (``None`` when the event did not carry it).
        Raises :class:`marshmallow.ValidationError`."""
        schema = _lenient(self.schema)
        given = {k: v for k, v in (data or {}).items() if v is not None}
        missing = [n for n in self.schema.consumer_requires if n not in given]
        if missing:
            raise ValidationError({n: ["Missing data for required field."] for n in missing})
        loaded = schema.load(given, partial=True)
        return {name: loaded.get(name) for name in schema.fields} | loaded


_STRICT: dict[type, Schema] = {}
_LENIENT: dict[type, Schema] = {}


def _strict(cls: type[EventData]) -> Schema:
    # A built schema keeps no per-call state, so one instance serves every thread.
    if cls not in _STRICT:
        _STRICT[cls] = cls(unknown=RAISE)
    return _STRICT[cls]


def _lenient(cls: type[EventData]) -> Schema:
    if cls not in _LENIENT:
        _LENIENT[cls] = cls(unknown=EXCLUDE)
    return _LENIENT[cls]
