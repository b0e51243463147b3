"""The one way an FOI-facing output gets its redactor.

Every output a requester or an FOI officer receives — disclosure copies, legacy
documents, bundles and their index, the deployment grid, response letters, the
public log — is redacted by a ``cia_redaction.Redactor`` built here, from what
the system knows for that output:

- the detectors, configured by the rank cut-off, the force's collar forms and
  the name model (on or off, and the score below which its findings are listed
  for review);
- the values the output withholds by their fields (a copy's field-level step);
- the force-wide name register (names withheld in any CIA);
- censor rules and, for a legacy document, the FOI officer's own terms;
- the requester of an FOI request, in every form (name, forename, initials, e-mail
  address and its local part, postal address, phone), for what is written back to
  them.

What the public reads without it being a disclosure copy — a response letter, the
attachments' index, the disclosure log — may quote any CIA: ``public_redactor``
brings everything the force withholds (the index of withheld values, the register,
every active censor rule, the FOI officers' terms on legacy documents).

No feature assembles a redactor from the library's parts itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from sqlalchemy.orm import Session

from cia_redaction import S40, DEFAULT_COLLAR_PATTERNS, Detectors, Redactor, Rule, WithheldSet
from cia_redaction.names import REVIEW_BELOW, PersonRecogniser
from cia_redaction.withheld import REGISTER_FORMS

from cia_authoring.disclosure import censor_rules, register, withheld_index

REGISTER_REASON = ("Name withheld in a CIA of this force (the name register): personal information "
                   "(FOIA s.40(2)&(3)).")
REQUESTER_REASON = "Personal information of the requester."


@dataclass(frozen=True)
class Requester:
    name: str | None
    email: str | None
    address: str | None = None
    phone: str | None = None


def detectors_for(cfg: dict) -> Detectors:
    return _detectors(cfg.get("DISCLOSURE_RANK_CUTOFF", "superintendent"),
                      tuple(cfg.get("COLLAR_PATTERNS") or DEFAULT_COLLAR_PATTERNS),
                      bool(cfg.get("DISCLOSURE_NAME_MODEL", True)),
                      float(cfg.get("DISCLOSURE_NAME_REVIEW_BELOW", REVIEW_BELOW)))


@lru_cache(maxsize=8)
def _detectors(cutoff: str, collar_patterns: tuple[str, ...], name_model: bool,
               review_below: float) -> Detectors:
    # One per configuration: it keeps what it found in texts it has seen. The
    # model itself is loaded once per process (cia_redaction.names.load).
    people = PersonRecogniser(review_below=review_below) if name_model else None
    return Detectors(cutoff, collar_patterns, people=people)


def withheld_names(register: Iterable[str], withheld: WithheldSet | None = None) -> WithheldSet:
    """``withheld`` (or a new set) with every name of the register in all its forms."""
    withheld = withheld if withheld is not None else WithheldSet()
    for name in register:
        # A person named in another CIA: the forms that say who they are, not the
        # forename alone (another Bernadette here is someone else).
        withheld.add_name(name, S40, REGISTER_REASON, "register", forms=REGISTER_FORMS)
    return withheld


def redactor_for(cfg: dict, *, withheld: WithheldSet | None = None, register: Iterable[str] = (),
                 rules: Iterable[Rule] = (), terms: Iterable[Rule] = (),
                 requester: Requester | None = None) -> Redactor:
    """The redactor of one output: ``withheld`` (the values its fields withhold, or a
    set shared by several outputs) with the ``register``'s names and the
    ``requester`` added, the censor ``rules`` and ``terms``, and the detectors of
    ``cfg``."""
    withheld = withheld_names(register, withheld)
    if requester is not None:
        withheld.add_person(requester.name, S40, REQUESTER_REASON, "requester",
                            email=requester.email, address=requester.address,
                            phone=requester.phone)
    return Redactor(detectors_for(cfg), withheld, [*rules, *terms])


def public_redactor(session: Session, cfg: dict, *, terms: Iterable[Rule] = (),
                    requester: Requester | None = None) -> Redactor:
    """The redactor of what the public reads beyond a disclosure copy: every value any
    copy withholds (``withheld_index``), the register, every active censor rule (of
    any CIA: a letter may quote any of them), the legacy documents' ``terms`` (the
    legacy feature reads them) and the ``requester``."""
    return redactor_for(cfg, withheld=withheld_index.load(session),
                        register=register.names(session),
                        rules=censor_rules.active(session), terms=terms, requester=requester)
