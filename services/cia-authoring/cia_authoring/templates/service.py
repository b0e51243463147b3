"""Templates as data (plain functions, no HTTP).

A kind of document (``cia``: the full and disclosure copies of a CIA;
``foi-response``: the FOI response letter) has numbered template versions. The
default file shipped with the service is version 0 and is in force until an
upload is activated; uploads are numbered from 1, kept forever, and checked
(``validate``) before they are kept. Uploading activates the new version;
activating an older one rolls back.

What a renderer asks for (the template in force, a given version) is in
``documents.templates``; this module keeps the versions.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.errors import Conflict, InvalidContent, NotFound
from cia_common.limits import ChildFailed, LimitExceeded, run_limited

from cia_authoring.documents import render
from cia_authoring.disclosure import rendering as copy_rendering
from cia_authoring.documents import service as rendering
from cia_authoring import uploads
from cia_authoring.domain import sha256_hex
from cia_common.events import utcnow
from cia_authoring.templates import fields, validate
from cia_authoring.documents.models import ActiveTemplate, TemplateVersion
from cia_authoring.documents.templates import (CIA, DEFAULT_VERSION, FOI_RESPONSE, Template,
                                               active, active_number, active_template,
                                               default_template, kinds, known, template_version)

DESCRIPTIONS = {
    CIA: "The full document and the disclosure copy of a CIA version.",
    FOI_RESPONSE: "The response letter to an FOI request.",
}
MAX_NOTE = 2000


# --------------------------------------------------------------------------
# Validation and preview
# --------------------------------------------------------------------------


def _example_version():
    ex = fields.example()
    return SimpleNamespace(number=1, status="approved", content=ex["content"], cia_id="example")


def _example_operation():
    op = dict(fields.example()["operation"])
    op["planned_start"] = datetime.fromisoformat(op["planned_start"])
    op["planned_end"] = datetime.fromisoformat(op["planned_end"])
    return SimpleNamespace(**op)


def render_example(kind: str, data: bytes, cfg: dict, *, disclosure: bool = False) -> bytes:
    """The example rendered with template ``data``: for a CIA the full document, or
    the disclosure copy (redacted context and the whole-document pass); for an FOI
    letter, the letter's sample case."""
    if kind == FOI_RESPONSE:
        return render.render_template(data, fields.LETTER_SAMPLE, {
            "author": cfg["FORCE_NAME"], "title": "Response letter (example)"},
            render.render_limits(cfg))
    op, version = _example_operation(), _example_version()
    template = Template(kind, -1, sha256_hex(data), data)
    if not disclosure:
        return rendering.render_full(op, version, cfg, template=template)
    ctx, model = copy_rendering.disclosure_context(op, version, cfg, [], [])
    return copy_rendering.render_disclosure_context(op, version, ctx, model, cfg, template=template)


def _checked(data: bytes, example, known: dict, limits: uploads.UploadLimits) -> list:
    uploads.check_xml_parts(data, limits)  # before anything builds a tree of a part
    return validate.check(data, example, known)


def check(kind: str, data: bytes, cfg: dict) -> None:
    """Raise ``InvalidContent`` (422) naming every problem of the template ``data``,
    or ``TooLarge`` (413) for a file over the upload limits. The file is read in a
    child process under the upload limits (time and memory)."""
    def example(d: bytes) -> None:
        render_example(kind, d, cfg)
        if kind == CIA:
            render_example(kind, d, cfg, disclosure=True)

    limits = uploads.upload_limits(cfg)
    try:
        uploads.check_package(data, limits)
        problems = run_limited(_checked, data, example, dict(fields.tree(kind).children), limits,
                               limits=limits.process, passthrough=(uploads.LimitRefused,))
    except (uploads.LimitRefused, LimitExceeded) as exc:
        raise uploads.refusal(exc) from None
    except ChildFailed as exc:
        problems = [validate.Problem("not_docx", f"The Word document cannot be read ({exc.kind}).")]
    if problems:
        raise InvalidContent([p.as_error() for p in problems],
                             detail=f"The {kind} template cannot be used: "
                                    f"{len(problems)} problem(s).")


def preview(kind: str, data: bytes, cfg: dict) -> bytes:
    """The example CIA rendered with an uploaded template (checked first); nothing is stored."""
    known(kind)
    check(kind, data, cfg)
    return render_example(kind, data, cfg)


# --------------------------------------------------------------------------
# Versions
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionInfo:
    kind: str
    version: int
    sha256: str
    size: int
    active: bool
    filename: str | None = None
    note: str | None = None
    uploaded_by: dict | None = None
    uploaded_at: datetime | None = None


def versions(session: Session, kind: str) -> list[VersionInfo]:
    """Every version of a kind, the shipped default (0) first."""
    known(kind)
    current = active_number(session, kind)
    default = default_template(kind)
    out = [VersionInfo(kind, DEFAULT_VERSION, default.sha256, len(default.data),
                       current == DEFAULT_VERSION, "default", "The default shipped with the service.")]
    rows = session.execute(
        sa.select(TemplateVersion.number, TemplateVersion.sha256, TemplateVersion.size,
                  TemplateVersion.filename, TemplateVersion.note, TemplateVersion.uploaded_by_sub,
                  TemplateVersion.uploaded_by_name, TemplateVersion.uploaded_at)
        .where(TemplateVersion.kind == kind).order_by(TemplateVersion.number))
    for r in rows:
        out.append(VersionInfo(kind, r.number, r.sha256, r.size, r.number == current, r.filename,
                               r.note, {"sub": r.uploaded_by_sub, "name": r.uploaded_by_name},
                               r.uploaded_at))
    return out


def version_info(session: Session, kind: str, number: int) -> VersionInfo:
    for v in versions(session, kind):
        if v.version == number:
            return v
    raise NotFound(f"Version {number} of the {kind} template")


def summary(session: Session, kind: str) -> dict:
    return {"kind": kind, "description": DESCRIPTIONS[kind],
            "active": version_info(session, kind, active_number(session, kind))}


def _lock_kind(session: Session, kind: str) -> ActiveTemplate | None:
    """Serialises uploads and activations of a kind (the row lock on PostgreSQL)."""
    return session.execute(
        sa.select(ActiveTemplate).where(ActiveTemplate.kind == kind).with_for_update()
        .execution_options(populate_existing=True)).scalar_one_or_none()


def _activate(session: Session, kind: str, number: int, actor) -> None:
    row = _lock_kind(session, kind)
    now = utcnow()
    if row is None:
        session.add(ActiveTemplate(kind=kind, number=number, activated_by_sub=actor.sub,
                                   activated_by_name=actor.name, activated_at=now))
    else:
        row.number, row.activated_by_sub, row.activated_by_name = number, actor.sub, actor.name
        row.activated_at = now
    session.flush()


def upload(uow, kind: str, data: bytes, filename: str | None, note: str | None, actor,
           cfg: dict) -> VersionInfo:
    """Check, keep and activate a new version of ``kind``'s template."""
    known(kind)
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidContent([{"pointer": "/note", "location": "body",
                               "detail": f"At most {MAX_NOTE} characters."}])
    check(kind, data, cfg)  # before anything is written
    session = uow.session
    _lock_kind(session, kind)
    number = (session.execute(sa.select(sa.func.max(TemplateVersion.number))
                              .where(TemplateVersion.kind == kind)).scalar() or 0) + 1
    digest = sha256_hex(data)
    session.add(TemplateVersion(kind=kind, number=number, sha256=digest, size=len(data),
                                data=data, filename=(filename or None) and filename[:255],
                                note=note, uploaded_by_sub=actor.sub,
                                uploaded_by_name=actor.name, uploaded_at=utcnow()))
    session.flush()
    _activate(session, kind, number, actor)
    return version_info(session, kind, number)


def activate(uow, kind: str, number: int, actor) -> VersionInfo:
    """Put version ``number`` (0: the shipped default) back in force."""
    known(kind)
    template_version(uow.session, kind, number)  # 404 for an unknown version
    if active_number(uow.session, kind) == number:
        raise Conflict(f"Version {number} of the {kind} template is already in force.")
    _activate(uow.session, kind, number, actor)
    return version_info(uow.session, kind, number)


__all__ = ["CIA", "FOI_RESPONSE", "Template", "activate", "active", "active_template", "check",
           "default_template", "kinds", "preview", "template_version", "upload", "versions"]
