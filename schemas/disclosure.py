"""Disclosure classes and the helper that puts them on every content field.

Every leaf field of the CIA content carries in its marshmallow ``metadata``:

- ``"x-disclosure"``: ``"open"``, ``"s40"`` or ``"s31"``;
- ``"description"``: a human description (both end up in the OpenAPI schema —
  apispec copies metadata keys that start with ``x-``);
- optionally ``"x-person-name"``: the s40 value is a person's name;
- optionally ``"x-rank-exempt-field"``: the name of a sibling field holding a
  police rank. The s40 value (a name) is released when that rank is at or above
  the configured cut-off (default Superintendent).
- optionally ``"x-published"``: an open text field in which the force publishes the
  deployment (its title, site, times, signage). A distinctive part of an s31 value
  (a place, a call sign, a count, a time) that such a field prints stays open
  elsewhere in the copy; any other open text saying it is withheld. An open number
  or date is published as it stands.

Redaction (``cia_authoring.documents.redaction``) walks these metadata; there is
no hand-written list of fields anywhere else.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields as ma_fields

# The redaction vocabulary is the library's; the content contract names it.
from cia_redaction.vocabulary import DEFAULT_REASONS, EXEMPTIONS, MARKERS, S31, S40  # noqa: F401

OPEN = "open"
DISCLOSURE_CLASSES = (OPEN, S40, S31)

DISCLOSURE_KEY = "x-disclosure"
RANK_EXEMPT_KEY = "x-rank-exempt-field"
#: Marks an ``s40`` field that holds a person's name: withholding it also
#: withholds the name's partial forms everywhere, and enters the name register.
PERSON_NAME_KEY = "x-person-name"
REASON_KEY = "x-redaction-reason"
#: Marks an open text field that publishes the deployment (see the module's docstring).
PUBLISHED_KEY = "x-published"


def field(
    kind: type[ma_fields.Field] | ma_fields.Field,
    *args: Any,
    disclosure: str = OPEN,
    description: str,
    rank_exempt_field: str | None = None,
    person_name: bool = False,
    reason: str | None = None,
    published: bool = False,
    metadata: dict | None = None,
    **kw: Any,
) -> ma_fields.Field:
    """Build a marshmallow field carrying its disclosure class.

    ``kind`` is a field class (``fields.String``) or, for containers, a class
    such as ``fields.List`` with ``*args`` (``fields.List, fields.String()``).
    """
    if disclosure not in DISCLOSURE_CLASSES:
        raise ValueError(f"unknown disclosure class {disclosure!r}")
    if rank_exempt_field and disclosure != S40:
        raise ValueError("only s40 fields can be rank-exempt")
    md = dict(metadata or {})
    md[DISCLOSURE_KEY] = disclosure
    md["description"] = description
    if rank_exempt_field:
        md[RANK_EXEMPT_KEY] = rank_exempt_field
    if person_name or rank_exempt_field:
        if disclosure != S40:
            raise ValueError("only s40 fields hold people's names")
        md[PERSON_NAME_KEY] = True
    if reason:
        md[REASON_KEY] = reason
    if published:
        if disclosure != OPEN:
            raise ValueError("only open fields publish")
        md[PUBLISHED_KEY] = True
    if isinstance(kind, ma_fields.Field):
        if args or kw:
            raise TypeError("pass a field class when giving arguments")
        kind.metadata = {**kind.metadata, **md}
        return kind
    return kind(*args, metadata=md, **kw)


def disclosure_of(f: ma_fields.Field) -> str | None:
    """The disclosure class recorded on a field, or ``None`` if absent."""
    return f.metadata.get(DISCLOSURE_KEY)
