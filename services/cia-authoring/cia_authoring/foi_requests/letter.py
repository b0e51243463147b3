"""The response letter: a docxtpl template rendered from the case and its answers.

The template is an ordinary DOCX (default ``documents/templates/foi-response.docx``,
built by ``tools/build_foi_response_template.py``); a force replaces it with the
``FOI_RESPONSE_TEMPLATE`` setting (a file path). Context::

    force_name, reference, letter_date, received_on,
    questions:  [{number, text}]
    decision:   [paragraph, ...]
    exemptions: [{key, title, paragraphs: [...]}]   only those actually applied
    answers:    [{number, lines: [...], table: None | {rows: [{group, label, <measures>}],
                                                       total: {<measures>}, note}}]

The letter never names the requester ("Dear requester"): it is the copy the
disclosure log publishes. Every word of it goes through the public redactor
(``disclosure.redactors.public_redactor``): what every disclosure copy of the force
withholds, the name register, every censor rule, the legacy documents' terms, the
detectors and the requester in all their forms. The free texts an officer wrote
(questions, answers, notes, reasons, titles) are redacted as the context is made,
links through ``cia_redaction.links`` (cut to their host when they hold a withheld
word), and the rendered file once more whole, as a disclosure copy is. The
template's fixed text (what no variable prints) is the force's approved wording:
the personal-data detectors leave it, and the same words where a variable prints
them, since the letter carries them anyway; a value withheld elsewhere (the index,
the register, a rule, the requester) is withheld in it all the same.

A letter is made the same, byte for byte, from the same answers, data and date
(its parts are stamped with the letter's date), so the SHA-256 approved can be
checked when it is sent.
"""
from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path

from sqlalchemy.orm import Session


from cia_authoring.disclosure import redactors
from cia_authoring.legacy import service as legacy
from cia_redaction.docx import fixed_wording, scrub_docx
from cia_redaction.links import redact_url
from cia_redaction.redactor import Redactor, strings
from cia_authoring.documents import render as rendering
from cia_authoring.statistics.suppression import MEASURES
from cia_authoring.templates import fields
from cia_authoring.templates import service as templates
from cia_authoring.foi_requests import answers as kinds
from cia_authoring.foi_requests.models import FoiAnswer, FoiRequest

DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent / "documents" / "templates" / "foi-response.docx"
SUPPRESSED_MARK = "[c]"

EXEMPTION_TEXT = {
    kinds.S21: ("Section 21 — Information accessible to applicant by other means", [
        "Section 21 of the Act provides that information which is reasonably accessible to the "
        "applicant by other means is exempt information. The information identified below is "
        "already published and the link to it is given with the answer concerned.",
        "Section 21 is an absolute exemption: there is no requirement to consider the public "
        "interest.",
    ]),
    kinds.S31: ("Section 31(1)(a)(b) — Law enforcement", [
        "Section 31(1)(a) and (b) of the Act provide that information is exempt if its disclosure "
        "would, or would be likely to, prejudice the prevention or detection of crime, or the "
        "apprehension or prosecution of offenders.",
        "Harm: the withheld parts of the Community Impact Assessments reveal the tactics and "
        "capability of Live Facial Recognition deployments: the intelligence case, the positions "
        "of cameras, the composition of watchlists and operational timings not yet public. "
        "Released together, they would let those intent on avoiding detection do so, and reduce "
        "the effectiveness of future deployments.",
        "Public interest test. Considerations favouring disclosure: transparency about how the "
        "police use Live Facial Recognition, accountability for the use of public funds, and the "
        "public's confidence that each deployment is lawful, necessary and proportionate.",
        "Considerations favouring non-disclosure: disclosing tactical detail would hamper the "
        "prevention and detection of crime and so put the public at greater risk; the public "
        "interest lies in effective policing.",
        "Balance test: the force recognises the strong public interest in transparency, which "
        "the release of the assessments in redacted form serves. The public interest in "
        "preventing and detecting crime is not outweighed by disclosing the tactical detail "
        "itself, so the balance favours withholding it.",
    ]),
    kinds.S40: ("Section 40(2)&(3) — Personal information", [
        "Section 40(2) of the Act, by virtue of section 40(3A)(a), provides that personal data "
        "of someone other than the applicant is exempt if disclosing it to a member of the "
        "public would contravene any of the data protection principles.",
        "The names and contact details of officers below the rank of Superintendent, of police "
        "staff and of the staff of other agencies are their personal data. They would have no "
        "expectation that these details would be released to the world at large, and releasing "
        "them would be unfair and unlawful under the first data protection principle (Article "
        "5(1)(a) UK GDPR).",
        "In these circumstances section 40(2) is an absolute exemption: there is no requirement "
        "to consider the public interest.",
    ]),
}
EXEMPTION_ORDER = (kinds.S21, kinds.S31, kinds.S40)
CITED = {kinds.S21: "s.21", kinds.S31: "s.31(1)(a)(b)", kinds.S40: "s.40(2)&(3)"}


def template_path(cfg: dict) -> Path:
    """``FOI_RESPONSE_TEMPLATE``: config, then env ``CIA_FOI_RESPONSE_TEMPLATE``, then the default."""
    configured = cfg.get("FOI_RESPONSE_TEMPLATE") or os.environ.get("CIA_FOI_RESPONSE_TEMPLATE")
    return Path(configured) if configured else DEFAULT_TEMPLATE


# The letter template cannot be rendered (a force's template with a broken tag).
TemplateError = rendering.TemplateRenderError


SAMPLE_CONTEXT = fields.LETTER_SAMPLE


def check_template(cfg: dict) -> None:
    """A configured template that cannot be read or rendered stops the service at start-up."""
    path = template_path(cfg)
    if not path.is_file():
        raise ValueError(f"FOI_RESPONSE_TEMPLATE={str(path)!r} is not a readable DOCX file")
    try:
        render(path.read_bytes(), SAMPLE_CONTEXT, force_name="Force", reference="check", cfg=cfg)
    except TemplateError as exc:
        raise ValueError(f"FOI_RESPONSE_TEMPLATE={str(path)!r}: {exc}") from None


def template_bytes(session: Session | None, cfg: dict) -> bytes:
    """The letter template: the version uploaded and activated by an admin
    (``PUT /api/v1/templates/foi-response``) if any; else the force's file
    (``FOI_RESPONSE_TEMPLATE``); else the shipped default."""
    if session is not None and \
            templates.active_number(session, templates.FOI_RESPONSE) != templates.DEFAULT_VERSION:
        return templates.active(session, templates.FOI_RESPONSE).data
    return template_path(cfg).read_bytes()


def _fmt(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


@dataclass
class Resolved:
    """The answers resolved against the data, shared by the letter and the attachments."""
    answers: dict[int, FoiAnswer]
    disclosed: dict[int, kinds.Disclosed]
    statistics: dict[int, dict]

    @property
    def attached_legacy(self) -> list[kinds.Legacy]:
        seen, out = set(), []
        for number in sorted(self.disclosed):
            for d in self.disclosed[number].attached_legacy:
                if d.item.document.id not in seen:
                    seen.add(d.item.document.id)
                    out.append(d)
        return out

    @property
    def attached_copies(self) -> list[kinds.Copy]:
        seen, out = set(), []
        for number in sorted(self.disclosed):
            for c in self.disclosed[number].attached:
                key = (c.item.cia_id, c.item.version)
                if key not in seen:
                    seen.add(key)
                    out.append(c)
        return out

    def exemptions(self) -> list[str]:
        applied: set[str] = set()
        for number, ans in self.answers.items():
            if ans.kind == kinds.PUBLISHED:
                applied.add(kinds.S21)
            elif ans.kind == kinds.EXEMPT:
                applied.update(ans.body.get("exemptions") or [])
            elif ans.kind == kinds.DISCLOSED:
                d = self.disclosed[number]
                if d.published or d.published_legacy:
                    applied.add(kinds.S21)
                for c in [*d.attached, *d.attached_legacy]:
                    applied.update(c.exemptions)
        return [e for e in EXEMPTION_ORDER if e in applied]


def resolve(session: Session, req: FoiRequest, answers: list[FoiAnswer], cfg: dict) -> Resolved:
    by_number = {a.number: a for a in answers}
    disclosed = {a.number: kinds.resolve_disclosed(session, a.body, cfg)
                 for a in answers if a.kind == kinds.DISCLOSED}
    stats = {a.number: kinds.resolve_statistics(session, a.body, cfg)
             for a in answers if a.kind == kinds.STATISTICS}
    return Resolved(by_number, disclosed, stats)


def requester_of(req: FoiRequest) -> redactors.Requester:
    return redactors.Requester(req.requester_name, req.requester_email, req.requester_address,
                               req.requester_phone)


def redactor_for(session: Session, req: FoiRequest, cfg: dict) -> Redactor:
    """The public redactor, with the requester of ``req`` and the legacy documents' terms."""
    return redactors.public_redactor(session, cfg, terms=legacy.all_terms(session),
                                     requester=requester_of(req))


@dataclass
class Clean:
    """The pass over the letter's words, remembering each text it changed (its
    redacted form: what the approver is shown beside each redaction)."""
    redactor: Redactor
    redacted: dict[str, str] = field(default_factory=dict)

    def __call__(self, text: str | None, pointer: str = "/") -> str:
        out = self.redactor.text(text or "", pointer)
        if out != (text or ""):
            self.redacted[pointer] = out
        return out

    def url(self, url: str | None, pointer: str) -> str:
        out = redact_url(self.redactor, url or "", pointer)
        if out != (url or ""):
            self.redacted[pointer] = out
        return out


def _cell(value) -> str:
    return SUPPRESSED_MARK if isinstance(value, dict) and value.get("suppressed") else str(value)


def _table(result: dict) -> dict:
    return {
        "rows": [{"group": r["group"], "label": r["label"], **{m: _cell(r[m]) for m in MEASURES}}
                 for r in result["rows"]],
        "total": {m: _cell(result["total"][m]) for m in MEASURES},
        "note": (f"{result['deployments']} deployment(s) with figures by IC code. "
                 f"{SUPPRESSED_MARK}: a count from 1 to {result['suppression']['threshold']}, "
                 "or one that would let such a count be worked out, is suppressed to protect "
                 "the individuals concerned."),
    }


def _answer_lines(number: int, ans: FoiAnswer | None, res: Resolved, clean: Clean
                  ) -> tuple[list[str], dict | None]:
    if ans is None:
        return ["Not yet answered."], None
    body = ans.body
    at = f"/answers/{number}"
    if ans.kind == kinds.DISCLOSED:
        d = res.disclosed[number]
        attached = [*d.attached, *d.attached_legacy]
        redacted = sum(1 for c in attached if c.redactions)
        lines = [f"{d.located} Community Impact Assessment(s) located for "
                 f"{kinds.period_text(body)}. {len(attached)} attached, of which {redacted} "
                 "redacted."]

        def redactions(c) -> str:
            cited = ", ".join(CITED[e] for e in EXEMPTION_ORDER if e in c.exemptions)
            return f"{c.redactions} redaction(s) under {cited}." if c.redactions \
                else "disclosed in full."

        for c in d.attached:
            lines.append(f"{c.item.reference} (version {c.item.version}): {redactions(c)}")
        for c in d.attached_legacy:
            lines.append(f"{c.item.reference}, {clean(c.item.document.title, _title(c))} (a "
                         f"document written before the system): {redactions(c)}")
        for i, c in enumerate(d.published):
            lines.append(f"{c.item.reference}: already published (s.21), available at "
                         f"{clean.url(c.published_url, f'{at}/published/{i}/url')}")
        for c in d.published_legacy:
            lines.append(f"{c.item.reference}, {clean(c.item.document.title, _title(c))}: already "
                         f"published (s.21), available at "
                         f"{clean.url(c.published_url, _title(c)[:-len('title')] + 'published_url')}")
        if body.get("note"):
            lines.append(clean(body["note"], f"{at}/note"))
        return lines, None
    if ans.kind == kinds.STATISTICS:
        result = res.statistics[number]
        lines = [f"True alerts, false alerts and their engagements by IC code for "
                 f"{kinds.period_text(body)}, from the post-deployment reviews of the deployments."]
        if body.get("note"):
            lines.append(clean(body["note"], f"{at}/note"))
        return lines, _table(result)
    if ans.kind == kinds.PUBLISHED:
        lines = ["This information is already published (s.21) and available at "
                 + clean.url(body["url"], f"{at}/url")]
        if body.get("note"):
            lines.append(clean(body["note"], f"{at}/note"))
        return lines, None
    if ans.kind == kinds.NOT_HELD:
        return ["The information is not held. " + clean(body["reason"], f"{at}/reason")], None
    if ans.kind == kinds.EXEMPT:
        cited = ", ".join(CITED[e] for e in EXEMPTION_ORDER if e in body["exemptions"])
        return [f"This information is exempt under {cited}. "
                + clean(body["reasoning"], f"{at}/reasoning")], None
    return [clean(body["text"], f"{at}/text")], None


def _title(c: kinds.Legacy) -> str:
    return f"/legacy_documents/{c.item.document.id}/title"


def free_texts(req: FoiRequest, res: Resolved) -> list[str]:
    """What officers wrote that the letter prints: collected before any is redacted, so
    that a name found after a rank in one is withheld in all."""
    texts = [q["text"] for q in req.questions]
    for ans in res.answers.values():
        texts.extend(strings({k: v for k, v in ans.body.items()
                              if k in ("note", "text", "reason", "reasoning")}))
    for d in res.disclosed.values():
        texts.extend(c.item.document.title for c in d.legacy)
    return texts


def _decision(res: Resolved, exemptions: list[str]) -> list[str]:
    kinds_given = {a.kind for a in res.answers.values()}
    if kinds_given and kinds_given <= {kinds.NOT_HELD}:
        return ["The force does not hold the information you requested (section 1(1)(a) of "
                "the Act)."]
    lines = []
    if exemptions:
        lines.append("The force holds some of the information you requested. It is provided "
                     "below and in the attached documents, except where an exemption applies. "
                     "This letter is a refusal notice under section 17 of the Act for the "
                     "information withheld: the exemptions applied ("
                     + ", ".join(CITED[e] for e in exemptions) + ") and the reasons are set "
                     "out below.")
    else:
        lines.append("The information you requested is provided below and in the attached "
                     "documents.")
    if kinds.NOT_HELD in kinds_given:
        lines.append("Some of the information you requested is not held; this is stated "
                     "against the question concerned.")
    return lines


def context(req: FoiRequest, res: Resolved, cfg: dict, letter_date: date, clean: Clean) -> dict:
    clean.redactor.collect(free_texts(req, res))
    exemptions = res.exemptions()
    answers = []
    for q in req.questions:
        lines, table = _answer_lines(q["number"], res.answers.get(q["number"]), res, clean)
        answers.append({"number": q["number"], "lines": lines, "table": table})
    return {
        "force_name": cfg.get("FORCE_NAME") or "",
        "reference": req.reference,
        "letter_date": _fmt(letter_date),
        "received_on": _fmt(req.received_on),
        "questions": [{"number": q["number"], "text": clean(q["text"], f"/questions/{i}/text")}
                      for i, q in enumerate(req.questions)],
        "decision": _decision(res, exemptions),
        "exemptions": [{"key": e, "title": EXEMPTION_TEXT[e][0], "paragraphs": EXEMPTION_TEXT[e][1]}
                       for e in exemptions],
        "answers": answers,
    }


def render(template: bytes, ctx: dict, *, force_name: str, reference: str,
           cfg: dict | None = None, created: date | None = None) -> bytes:
    """The letter DOCX. The properties come from us only: a replaced template's
    author or comments (a person's name) must not travel with the letter."""
    moment = datetime.combine(created, time(0), tzinfo=timezone.utc) if created else None
    return rendering.render_template(template, ctx, {
        "author": force_name or "FOI", "title": f"Response to FOI request {reference}",
        "subject": "Freedom of Information response",
        "created": moment.isoformat() if moment else None}, rendering.render_limits(cfg))


@dataclass
class Letter:
    docx: bytes
    log: list[dict]
    redacted: dict[str, str]


def make(session: Session, req: FoiRequest, res: Resolved, cfg: dict, letter_date: date) -> Letter:
    """The letter dated ``letter_date``, through the public redactor (its words, then the
    whole file), with the redactions made and the redacted form of each text changed."""
    clean = Clean(redactor_for(session, req, cfg))
    template = template_bytes(session, cfg)
    # The template's fixed text is the force's own wording, activated by an admin (the
    # ICO's postal address is no one's personal data): the detectors leave it, while
    # withheld values and censor rules still apply to it (Redactor.approve_wording).
    clean.redactor.approve_wording(fixed_wording(template))
    ctx = context(req, res, cfg, letter_date, clean)
    data = render(template, ctx, force_name=cfg.get("FORCE_NAME") or "",
                  reference=req.reference, cfg=cfg, created=letter_date)
    # Whatever the template prints (its own text, a force's wording) passes too.
    data = scrub_docx(data, clean.redactor)
    return Letter(settled(data, letter_date), list(clean.redactor.log), clean.redacted)


def settled(data: bytes, day: date) -> bytes:
    """The DOCX with every part stamped ``day``: the same letter is the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            stamped = zipfile.ZipInfo(info.filename, date_time=(max(day.year, 1980), day.month,
                                                                day.day, 0, 0, 0))
            stamped.compress_type = zipfile.ZIP_DEFLATED
            stamped.external_attr = 0o644 << 16
            dst.writestr(stamped, src.read(info))
    return out.getvalue()
