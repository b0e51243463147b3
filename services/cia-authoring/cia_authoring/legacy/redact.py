"""The redacted copy of a legacy document: the same pass as the born-digital copies.

One ``Redactor`` per copy holds the detectors (rank cut-off and collar forms of
the configuration), the force-wide name register, the global censor rules and
the document's own terms (each a literal rule, logged with its id); areas are
given to the PDF pass. A DOCX goes through ``cia_redaction.docx.redact_document``,
a PDF through ``cia_redaction.pdf.redact_pdf``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from cia_redaction import Redactor
from cia_redaction import docx as docx_pass
from cia_redaction import pdf as pdf_pass
from cia_redaction.rules import LITERAL, Rule

from cia_authoring.disclosure import redactors
from cia_authoring.legacy.models import DOCX

TERM_PREFIX = "term:"


@dataclass(frozen=True)
class Term:
    id: str
    text: str
    exemption: str
    reason: str


@dataclass
class Redacted:
    data: bytes
    log: list[dict]
    pages: int | None = None
    scan_pages: list[int] = field(default_factory=list)
    withheld_names: list[str] = field(default_factory=list)


def term_rule(term: Term) -> Rule:
    return Rule(id=f"{TERM_PREFIX}{term.id}", kind=LITERAL, pattern=term.text,
                exemption=term.exemption, reason=term.reason)


def redactor_for(cfg: dict, rules: list[Rule], terms: list[Term], register: list[str]) -> Redactor:
    return redactors.redactor_for(cfg, register=register, rules=rules,
                                  terms=[term_rule(t) for t in terms])


def redact(fmt: str, data: bytes, title: str, cfg: dict, *, rules: list[Rule] = (),
           terms: list[Term] = (), areas: list[pdf_pass.Area] = (),
           register: list[str] = ()) -> Redacted:
    redactor = redactor_for(cfg, list(rules), list(terms), list(register))
    if fmt == DOCX:
        out = docx_pass.redact_document(data, redactor, redactor.text(title, "/title"))
        return Redacted(out, list(redactor.log), withheld_names=_names(redactor))
    result = pdf_pass.redact_pdf(data, redactor, list(areas))
    return Redacted(result.data, result.log, result.pages, result.scan_pages, _names(redactor))


def _names(redactor: Redactor) -> list[str]:
    return list(dict.fromkeys(redactor.withheld.names))

