"""The index of withheld values: what every disclosure copy withholds, kept
current as copies are rendered (``rendering.store_copy``, ``copies.ensure_current``).

A letter answering an FOI request may quote a CIA without attaching it ("the
bracket above Boots at 14 North End"): its redactor (``redactors.public_redactor``)
withholds every written form any copy of the force withholds. Each form is stored
as ``WithheldSet.export`` gives it, and given back to ``WithheldSet.add_key``.

Not indexed: the name register's entries (the register is read whole anyway), and
numbers, dates and times standing alone (an s.31 value's clock times among its
parts): out of their sentence they are the letter's own dates and counts, while the
sentences that hold them are indexed. An s.31 value's other parts (a place, a call
sign, a number with its unit) are.
"""
from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_redaction import WithheldSet
from cia_redaction.parts import TIME
from cia_redaction.withheld import PART_KEY

from cia_authoring.disclosure.models import WithheldValue

_MONTH = ("(?:january|february|march|april|may|june|july|august|september|october|november"
          "|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)")
# A number, a numeric date or time, or a date written with its month's name.
_ALONE = re.compile(rf"^(?:[\d\W_]+|(?:\d{{1,2}}(?:st|nd|rd|th)? {_MONTH} \d{{4}})"
                    rf"|(?:{_MONTH} \d{{1,2}},? \d{{4}})|(?:{_MONTH} \d{{4}}))$")
SKIPPED_SOURCES = ("register",)


def indexable(key: str) -> bool:
    if key.startswith(PART_KEY):
        return not key.startswith(PART_KEY + TIME + ":")
    return not _ALONE.match(key.lstrip("^=")) or key.startswith("=")


def replace(session: Session, cia_id: str, version: int, withheld: WithheldSet) -> int:
    """The copy (``cia_id``, ``version``) now withholds ``withheld``: its rows replaced."""
    session.execute(sa.delete(WithheldValue).where(WithheldValue.cia_id == cia_id,
                                                   WithheldValue.version == version))
    rows = {}
    for key, exemption, reason, source in withheld.export():
        if source in SKIPPED_SOURCES or not indexable(key):
            continue
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        rows[digest] = {"cia_id": cia_id, "version": version, "key_sha256": digest, "key": key,
                        "exemption": exemption, "reason": reason, "source": source[:64]}
    if rows:
        session.execute(sa.insert(WithheldValue), list(rows.values()))
    return len(rows)


def load(session: Session, into: WithheldSet | None = None,
         copy: tuple[str, int] | None = None) -> WithheldSet:
    """Every form the force's copies withhold (or, with ``copy``, one copy's), in
    ``into`` (or a new set)."""
    into = into if into is not None else WithheldSet()
    query = sa.select(WithheldValue.key, WithheldValue.exemption, WithheldValue.reason,
                      WithheldValue.source).distinct().order_by(WithheldValue.key)
    if copy is not None:
        query = query.where(WithheldValue.cia_id == copy[0], WithheldValue.version == copy[1])
    for key, exemption, reason, source in session.execute(query):
        into.add_key(key, exemption, reason, source)
    return into
