"""The redacted copy of a legacy document: the same pass as the born-digital copies.

One ``Redactor`` per copy holds the detectors (rank cut-off and collar forms of
the configuration), the force-wide name register, the global censor rules and
the document's own terms (each a literal rule, logged with its id); areas are
given to the PDF pass.

- A DOCX is rebuilt by allowlist (``cia_redaction.docx.rebuild_document``) and the
  rebuilt package read again part by part; one that cannot be rebuilt, or still
  holds what the pass withholds, is ``pdf_only``: its disclosure copy is made like a
  PDF's, from LibreOffice's rendering of it, and the log says why.
- A PDF's text layer is redacted for real (``cia_redaction.pdf.redact_pdf``) and
  then flattened page by page (``flatten_page``, in the worker: ``legacy.jobs``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from cia_redaction import Redactor
from cia_redaction import docx as docx_pass
from cia_redaction import flatten
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
    pdf_only: str | None = None  # why a DOCX is disclosed as a flattened PDF only
    # A PDF: the boxes its text layer's redaction left to draw, by page (1-based).
    boxes: dict[int, list[pdf_pass.Box]] = field(default_factory=dict)


def term_rule(term: Term) -> Rule:
    return Rule(id=f"{TERM_PREFIX}{term.id}", kind=LITERAL, pattern=term.text,
                exemption=term.exemption, reason=term.reason)


def redactor_for(cfg: dict, rules: list[Rule], terms: list[Term], register: list[str]) -> Redactor:
    return redactors.redactor_for(cfg, register=register, rules=rules,
                                  terms=[term_rule(t) for t in terms])


def redact(fmt: str, data: bytes, title: str, cfg: dict, *, rules: list[Rule] = (),
           terms: list[Term] = (), areas: list[pdf_pass.Area] = (),
           register: list[str] = ()) -> Redacted:
    """A DOCX rebuilt, or a PDF's text layer redacted (the first step of its copy)."""
    redactor = redactor_for(cfg, list(rules), list(terms), list(register))
    if fmt == DOCX:
        log: list[dict] = []
        try:
            out = docx_pass.rebuild_document(data, redactor, redactor.text(title, "/title"), log)
        except docx_pass.NotClean as exc:
            return _pdf_only(data, redactor, str(exc))
        residue = docx_pass.residue(out.data, redactor)
        if residue:
            return _pdf_only(data, redactor, f"after the rebuild, {residue} still held text the "
                                             "redaction withholds")
        return Redacted(out.data, [*redactor.log, *log], withheld_names=_names(redactor))
    result = pdf_pass.redact_pdf(data, redactor, list(areas))
    return Redacted(result.data, result.log, result.pages, result.scan_pages, _names(redactor),
                    boxes=result.boxes)


def _pdf_only(data: bytes, redactor: Redactor, why: str) -> Redacted:
    note = f"The Word file cannot be made clean ({why}): its disclosure copy is a flattened PDF only."
    entry = {"pointer": "/document", "exemption": "", "rule_id": None, "detector": "allowlist",
             "reason": note}
    return Redacted(b"", [entry], withheld_names=_names(redactor), pdf_only=note)


def flatten_page(redacted: bytes, index: int, redactor: Redactor, dpi: int,
                 boxes: list[pdf_pass.Box] = ()) -> flatten.FlatPage:
    """One page of a redacted PDF as a flattened page (in a limited child, per page),
    with the ``boxes`` its text layer's redaction left to draw on it."""
    return flatten.flatten_page(redacted, index, redactor, dpi, list(boxes))


def _names(redactor: Redactor) -> list[str]:
    return list(dict.fromkeys(redactor.withheld.names))
