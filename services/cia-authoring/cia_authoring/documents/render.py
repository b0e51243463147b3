"""Render a CIA to DOCX with docxtpl.

The full document and the FOI disclosure copy use the same template and the
same function; the disclosure copy is simply rendered from a redacted context
(see ``redaction.redact``), so a withheld value never enters the file — body,
headers, footers and document properties alike.

Context::

    {
      "force_name": "Metropolitan Police Service",
      "operation": {"reference", "name", "borough", "ward", "location_name",
                    "use_case", "planned_start", "planned_end", ...},
      "cia": {"version": 1, "status": "approved", "content": {...}},
      "redaction_log": [...],   # disclosure copy only: adds the "Redactions" table
      "rendered_at": "2026-05-20T09:00:00+00:00",
    }
"""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, Callable

from docx.opc.coreprops import CoreProperties
from docx.opc.oxml import serialize_part_xml
from docx.oxml.parser import parse_xml
from docxtpl import DocxTemplate
from jinja2 import TemplateError, Undefined
from lxml import etree

from cia_common.limits import ChildFailed, LimitExceeded, Limits, run_limited
from cia_common.lru import LRU

from cia_schemas.content import (
    IC_CODE_LABELS,
    PROTECTED_CHARACTERISTIC_LABELS,
    SECTION_TITLES,
    USE_CASE_LABELS,
    WATCHLIST_CATEGORY_LABELS,
    derived_false_alert_rate,
)
from cia_redaction.docx import replace_parts, scrub_docx, scrub_members
from cia_redaction.redactor import Redactor
from cia_redaction.ranks import RANK_LABELS

from cia_authoring.documents.sandbox import SecurityError, TemplateSandbox

log = logging.getLogger(__name__)
TEMPLATE_DIR = Path(__file__).with_name("templates")
TEMPLATE_PATH = TEMPLATE_DIR / "cia.docx"
NOT_PROVIDED = "Not yet provided"

_LABELS: dict[str, str] = {
    **USE_CASE_LABELS,
    **WATCHLIST_CATEGORY_LABELS,
    **RANK_LABELS,
    **PROTECTED_CHARACTERISTIC_LABELS,
    "independent_advisory_group": "Independent Advisory Group",
    "safer_neighbourhoods_board": "Safer Neighbourhoods Board",
    "council": "Council",
    "community_group": "Community group",
    "public_meeting": "Public meeting",
    "changes_requested": "Changes requested",
}


def _missing(v: Any) -> bool:
    return v is None or isinstance(v, Undefined) or (isinstance(v, str) and not v.strip())


def f_nyp(v: Any, default: str = NOT_PROVIDED) -> str:
    if _missing(v):
        return default
    if isinstance(v, bool):
        return "Yes" if v else "No"
    if isinstance(v, (list, tuple)):
        return "; ".join(str(x) for x in v) if v else default
    return str(v)


def _parse_dt(v: Any) -> datetime | None:
    if isinstance(v, datetime):
        return v
    try:
        return datetime.fromisoformat(str(v))
    except ValueError:
        return None


def f_dt(v: Any, default: str = NOT_PROVIDED) -> str:
    if _missing(v):
        return default
    d = _parse_dt(v)
    if d is None:
        return str(v)  # e.g. a redaction marker
    return f"{d:%A} {d.day} {d:%B %Y}, {d:%H:%M}{_offset(d)}"


def _offset(d: datetime) -> str:
    if d.utcoffset() is None:
        return ""
    off = d.strftime("%z")
    return f" (UTC{off[:3]}:{off[3:]})"


def f_span(start: Any, end: Any = None, default: str = NOT_PROVIDED) -> str:
    """A period: ``Thursday 14 May 2026, 10:00–18:00 (UTC+01:00)`` within one day,
    both ends written out otherwise."""
    if _missing(start):
        return default
    s = _parse_dt(start)
    e = None if _missing(end) else _parse_dt(end)
    if s is None:
        return str(start)  # e.g. a redaction marker
    if e is None:
        return f_dt(start) if _missing(end) else f"{f_dt(start)} to {f_dt(end)}"
    if s.date() == e.date() and s.utcoffset() == e.utcoffset():
        return f"{s:%A} {s.day} {s:%B %Y}, {s:%H:%M}–{e:%H:%M}{_offset(s)}"
    return f"{f_dt(start)} to {f_dt(end)}"


def f_d(v: Any, default: str = NOT_PROVIDED) -> str:
    if _missing(v):
        return default
    if isinstance(v, (date, datetime)):
        d = v
    else:
        try:
            d = date.fromisoformat(str(v)[:10])
        except ValueError:
            return str(v)
    return f"{d.day} {d:%B %Y}"


def f_label(v: Any, default: str = NOT_PROVIDED) -> str:
    if _missing(v):
        return default
    if not isinstance(v, str):
        return str(v)
    if v in _LABELS:
        return _LABELS[v]
    if v.replace("_", "").isalnum() and v.islower():
        return v.replace("_", " ").capitalize()
    return v


def f_lines(v: Any, labelled: bool = False, default: str = NOT_PROVIDED) -> str:
    if _missing(v) or v == []:
        return default
    if isinstance(v, (list, tuple)):
        return "\n".join("• " + (f_label(x) if labelled else f_nyp(x)) for x in v)
    return str(v)


def f_rows(v: Any) -> list:
    if isinstance(v, (list, tuple)):
        return [x for x in v if isinstance(x, dict)]
    return []


def f_num(v: Any, default: str = NOT_PROVIDED) -> str:
    if _missing(v):
        return default
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,g}"
    return str(v)


def f_pct(v: Any, default: str = NOT_PROVIDED) -> str:
    if _missing(v):
        return default
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"{v:g}%"
    return str(v)


def f_rate(v: Any, default: str = NOT_PROVIDED) -> str:
    if _missing(v):
        return default
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if v <= 0:
            return "0%"
        return f"{v * 100:.4f}% (1 in {round(1 / v):,} faces seen)"
    return str(v)


def f_minutes(v: Any, default: str = NOT_PROVIDED) -> str:
    if _missing(v):
        return default
    if isinstance(v, int) and not isinstance(v, bool):
        h, m = divmod(v, 60)
        return f"{v:,} minutes ({h} h {m:02d} min)"
    return str(v)


def f_yesno(v: Any, default: str = NOT_PROVIDED) -> str:
    if _missing(v):
        return default
    if isinstance(v, bool):
        return "Yes" if v else "No"
    return str(v)


def f_iclabel(v: Any) -> str:
    return IC_CODE_LABELS.get(v, "") if isinstance(v, str) else ""


def f_contact(g: Any) -> str:
    if not isinstance(g, dict):
        return "—"
    first = ", ".join(str(g[k]) for k in ("contact_name", "contact_role") if not _missing(g.get(k)))
    parts = [p for p in [first, *(str(g[k]) for k in ("contact_email", "contact_phone")
                                  if not _missing(g.get(k)))] if p]
    return "\n".join(parts) if parts else "—"


def f_owner(k: Any) -> str:
    if not isinstance(k, dict):
        return NOT_PROVIDED
    owner, role = k.get("owner"), k.get("owner_role")
    if _missing(owner):
        return f_nyp(role)
    return f"{owner} ({role})" if not _missing(role) else str(owner)


def f_fieldname(pointer: Any) -> str:
    """``/engagement_log/0/contact_name`` → ``Engagement log › entry 1 › contact name``."""
    if _missing(pointer):
        return NOT_PROVIDED
    segs = [s.replace("~1", "/").replace("~0", "~") for s in str(pointer).split("/")[1:]]
    out = []
    for i, s in enumerate(segs):
        if i == 0 and s in SECTION_TITLES:
            out.append(SECTION_TITLES[s])
        elif s.isdigit():
            out.append(f"entry {int(s) + 1}")
        else:
            out.append(s.replace("_", " "))
    # In lower case: the copy's whole-document pass reads this too, and a capital
    # word at the start of a short line is what the name model takes for a person
    # ("Header › title", "Watchlist › last reviewed").
    return " › ".join(out).lower() if out else "(whole document)"


FILTERS = {
    "nyp": f_nyp,
    "dt": f_dt,
    "span": f_span,
    "d": f_d,
    "label": f_label,
    "lines": f_lines,
    "rows": f_rows,
    "num": f_num,
    "pct": f_pct,
    "rate": f_rate,
    "minutes": f_minutes,
    "yesno": f_yesno,
    "iclabel": f_iclabel,
    "contact": f_contact,
    "owner": f_owner,
    "fieldname": f_fieldname,
}


def _remember(cache: LRU, key: str, make: Callable[[], Any]) -> Any:
    value = cache.get(key)
    if value is None:
        value = make()
        cache.put(key, value)
    return value


def jinja_env() -> TemplateSandbox:
    """The sandbox every template renders in, with the document helpers as filters."""
    return TemplateSandbox(FILTERS)


_ENV = jinja_env()


_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)  # as docxtpl matches them
_LISTING_CHARS = re.compile(r"[\t\n\a\f]")


class _Template(DocxTemplate):
    """docxtpl with its XML pre-processing remembered per source: the template
    file does not change while the process runs, so neither does its patched XML."""

    _patched: LRU[str, str] = LRU(64)  # a few parts per template file

    def resolve_listing(self, xml):
        # docxtpl rewrites every run of every paragraph to turn \n, \t, \a and \f
        # into Word breaks; only paragraphs holding one of them need it.
        def paragraph(m):
            text = m.group(0)
            if _LISTING_CHARS.search(text) is None:
                return text
            return super(_Template, self).resolve_listing(text)

        return _PARAGRAPH.sub(paragraph, xml)

    def patch_xml(self, src_xml):
        return _remember(self._patched, src_xml,
                         lambda: super(_Template, self).patch_xml(src_xml))


# Control characters: XML 1.0 cannot carry most of them, and docxtpl turns \a and
# \f into paragraph / page breaks. Only \t and \n are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")


def _clean(node: Any) -> Any:
    if isinstance(node, str):
        return _CONTROL.sub("", node.replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(node, dict):
        return {k: _clean(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_clean(v) for v in node]
    return node


def _prepare(context: dict) -> dict:
    ctx = _clean(copy.deepcopy(context))
    cia = ctx.get("cia")
    content = cia.get("content") if isinstance(cia, dict) else None
    pdr = content.get("post_deployment_review") if isinstance(content, dict) else None
    if isinstance(pdr, dict) and pdr.get("false_alert_rate") is None:
        rate = derived_false_alert_rate(pdr)
        if rate is not None:
            pdr["false_alert_rate"] = rate
    ctx.setdefault("rendered_at", datetime.now(timezone.utc).isoformat())
    return ctx


class TemplateRenderError(ValueError):
    """A template that cannot be rendered; the message names the problem, never the
    template's text or anything of the process."""


# The files shipped with the service are ours; anything else is a force's upload
# (or a configured file) and renders in a child process under limits.
_SHIPPED = frozenset(hashlib.sha256(p.read_bytes()).hexdigest() for p in TEMPLATE_DIR.glob("*.docx"))


def shipped(template: bytes) -> bool:
    return hashlib.sha256(template).hexdigest() in _SHIPPED


def render_limits(cfg: dict | None = None) -> Limits:
    """``TEMPLATE_RENDER_SECONDS`` and ``UNTRUSTED_MEMORY_MB`` (settings)."""
    cfg = cfg or {}
    return Limits(seconds=float(cfg.get("TEMPLATE_RENDER_SECONDS") or 20),
                  memory_bytes=int(cfg.get("UNTRUSTED_MEMORY_MB") or 768) * 1024 * 1024)


def render_template(template: bytes, context: dict, properties: dict[str, str],
                    limits: Limits | None = None, redactor: Redactor | None = None) -> bytes:
    """Render a DOCX ``template`` with ``context`` in the sandbox; the document's
    core properties are exactly ``properties`` (title, subject, author, created)
    and nothing of the template's. An upload renders in a child process within
    ``limits``; a failure of any kind is a ``TemplateRenderError`` and no document.
    With a ``redactor``, the whole-document pass (``cia_redaction.docx``) runs over
    every part of the file before it is returned."""
    if shipped(template):
        return _render(template, context, properties, redactor)
    try:
        data = run_limited(_render, template, context, properties,
                           limits=limits or render_limits(), passthrough=(TemplateRenderError,))
    except LimitExceeded as exc:
        raise TemplateRenderError(f"Rendering the template was stopped: {exc}.") from None
    except ChildFailed as exc:
        log.error("a template render failed (%s)", exc.kind)
        raise TemplateRenderError(f"The template cannot be rendered ({exc.kind}).") from None
    # Here, not in the child: the pass logs what it withholds.
    return data if redactor is None else scrub_docx(data, redactor)


def _render(template: bytes, context: dict, properties: dict[str, str],
            redactor: Redactor | None = None) -> bytes:
    try:
        package = _remember(_PACKAGES, hashlib.sha256(template).hexdigest(),
                            lambda: _Package.read(template))
        if package.body is None:
            data = _render_whole(template, context, properties)
        else:
            made = package.render(context, properties)
    except SecurityError:
        raise TemplateRenderError("The template uses an expression the sandbox refuses: an "
                                  "attribute or operation outside the documented helpers.") from None
    except TemplateError as exc:
        raise TemplateRenderError(f"The template cannot be rendered: {exc.message}") from None
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise TemplateRenderError(f"The template cannot be read ({type(exc).__name__}).") from None
    if package.body is None:
        return data if redactor is None else scrub_docx(data, redactor)
    if redactor is not None:
        made.update(package.scrub(made, redactor))
    return replace_parts(package.data, made)


def _render_whole(template: bytes, context: dict, properties: dict[str, str]) -> bytes:
    """docxtpl's own render: the package loaded, rendered in place and saved."""
    tpl = _Template(io.BytesIO(template))
    tpl.render(context, jinja_env=_ENV, autoescape=True)
    _set_properties(tpl.docx.core_properties, properties)
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()


_PACKAGES: LRU[str, "_Package"] = LRU(16)  # shipped templates, by SHA-256
_BODY = re.compile(r"<w:body(?:\s[^>]*)?/>")
_BODY_OPEN = re.compile(r"^<w:body(?:\s[^>]*)?>")
_BODY_CLOSE = "</w:body>"
_FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
# The core properties docxtpl renders as templates (its own list).
_RENDERED_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")


@dataclass(frozen=True)
class _Package:
    """A template's package read once per process and rendered as docxtpl renders it,
    without loading and saving the whole package each time: the template as
    python-docx saves it (the parts its relationships reach, nothing else), the body,
    headers and footers patched for Jinja, and the text around the body. A render
    writes the parts it makes and copies every other member as stored: the styles
    are most of a package's bytes and never change."""

    data: bytes
    main: str  # the document part's member
    body: str | None  # the body's patched source inside <w:body>; None: render whole
    around: tuple[str, str]  # the document part before and after that source
    parts: tuple[tuple[str, str], ...]  # (member, patched source): headers, footers
    core: tuple[str, bytes]  # (member, the template's core properties as saved)
    properties: tuple[str, ...]  # the template's own core properties, rendered in turn

    @classmethod
    def read(cls, template: bytes) -> "_Package":
        tpl = _Template(io.BytesIO(template))
        tpl.init_docx()
        doc = tpl.docx
        core = doc.core_properties  # made now if the template has none, as a render would
        properties = tuple(getattr(core, name) for name in _RENDERED_PROPERTIES)
        core_part = doc.part.package._core_properties_part
        buf = io.BytesIO()
        doc.save(buf)
        data = buf.getvalue()
        core_member = (str(core_part.partname).lstrip("/"), serialize_part_xml(core_part.element))
        main = str(doc.part.partname).lstrip("/")
        if any(part.content_type == _FOOTNOTES for part in doc.part.package.parts):
            # docxtpl renders footnotes once per section, over its own output: rare
            # enough to leave to docxtpl itself.
            return cls(data, main, None, ("", ""), (), core_member, properties)
        body = _BODY_OPEN.sub("", tpl.patch_xml(tpl.get_xml()), count=1)
        shell = copy.deepcopy(doc._element)
        for child in list(shell.body):
            shell.body.remove(child)
        shell.body.text = None
        shell_xml = etree.tostring(shell, encoding="unicode")
        around = _BODY.split(shell_xml)
        if len(around) != 2 or not body.endswith(_BODY_CLOSE):
            return cls(data, main, None, ("", ""), (), core_member, properties)
        # The body's own tag, without the namespaces the document's tag declares.
        opening = _BODY.search(shell_xml).group(0)[:-2] + ">"
        around = (around[0] + opening, _BODY_CLOSE + around[1])
        parts: dict[str, str] = {}
        for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
            for _key, part in tpl.get_headers_footers(uri):
                parts[str(part.partname).lstrip("/")] = tpl.patch_xml(tpl.get_part_xml(part))
        return cls(data, main, body[:-len(_BODY_CLOSE)], around, tuple(parts.items()), core_member,
                   properties)

    def render(self, context: dict, properties: dict[str, str]) -> dict[str, bytes]:
        """The parts a render makes: the document, headers, footers, core properties."""
        tpl = _Template(None)
        tpl.docx_ids_index = 1000  # as docxtpl's render_init numbers drawings
        _ENV.autoescape = True
        inner = tpl.render_xml_part(self.body, None, context, _ENV)
        tree = tpl.fix_tables(self.around[0] + inner + self.around[1])
        tpl.fix_docpr_ids(tree)
        changed = {self.main: serialize_part_xml(tree)}
        for member, source in self.parts:
            # Parsed as python-docx loads a part docxtpl hands it, and saved alike.
            xml = tpl.render_xml_part(source, None, context, _ENV).encode("utf-8")
            changed[member] = serialize_part_xml(parse_xml(xml))
        # Rendered and set as docxtpl does, before _set_properties sets every one of
        # them: a template that fails there fails here, and the part is the same.
        element = parse_xml(self.core[1])
        core = CoreProperties(element)
        for name, initial in zip(_RENDERED_PROPERTIES, self.properties):
            setattr(core, name, _ENV.from_string(initial).render(context))
        _set_properties(core, properties)
        changed[self.core[0]] = serialize_part_xml(element)
        return changed

    def scrub(self, made: dict[str, bytes], redactor: Redactor) -> dict[str, bytes]:
        """The whole-document pass over the file ``made`` completes, member by member
        in its order, the parts made read as they are, not zipped and read back."""
        with zipfile.ZipFile(io.BytesIO(self.data)) as src:
            return scrub_members(((name, partial(made.__getitem__, name) if name in made
                                   else partial(src.read, name)) for name in src.namelist()),
                                 redactor)


def _set_properties(cp, properties: dict[str, str]) -> None:
    author = properties.get("author") or ""
    cp.author = cp.last_modified_by = author
    cp.title = properties.get("title") or ""
    cp.subject = properties.get("subject") or ""
    cp.comments = cp.keywords = cp.category = cp.content_status = cp.identifier = cp.version = ""
    cp.language = "en-GB"
    cp.revision = 1
    when = _parse_dt(properties.get("created")) or datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    cp.created = cp.modified = when.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)


def render_docx(
    context: dict,
    *,
    title: str,
    author_label: str,
    template_path: Path | str = TEMPLATE_PATH,
    template: bytes | None = None,
    limits: Limits | None = None,
    redactor: Redactor | None = None,
) -> bytes:
    """Render a CIA template with ``context`` and return the DOCX bytes.

    ``template`` is the DOCX of the template (a force's upload); without it,
    the file at ``template_path`` (the shipped default). ``author_label`` (the
    force name, never a person) becomes the document's author and
    last-modified-by; ``title`` its title. No comments, keywords or other
    free-text properties are carried over from anywhere. With a ``redactor`` (a
    disclosure copy), the whole-document pass runs over every part of the file.
    """
    ctx = _prepare(context)
    data = template if template is not None else Path(template_path).read_bytes()
    return render_template(data, ctx, {"title": title, "author": author_label,
                                       "subject": "Community Impact Assessment",
                                       "created": ctx.get("rendered_at")}, limits, redactor)
