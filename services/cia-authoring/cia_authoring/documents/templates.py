"""The templates documents are rendered with: the shipped defaults and the versions
a force uploaded (``templates`` keeps them: upload, checks, activation).

:func:`active` is what a renderer asks for: the template in force for a kind.
Template bytes are cached by SHA-256, so a render after the first does not read
the template from the database again.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.errors import NotFound

from cia_authoring.documents.models import ActiveTemplate, TemplateVersion
from cia_authoring.domain import sha256_hex

CIA = "cia"
FOI_RESPONSE = "foi-response"
DEFAULT_DIR = Path(__file__).resolve().parent / "templates"
DEFAULT_FILES = {CIA: DEFAULT_DIR / "cia.docx", FOI_RESPONSE: DEFAULT_DIR / "foi-response.docx"}
DEFAULT_VERSION = 0


@dataclass(frozen=True)
class Template:
    kind: str
    version: int
    sha256: str
    data: bytes

    def provenance(self) -> dict:
        return {"template_kind": self.kind, "template_version": self.version,
                "template_sha256": self.sha256}


def kinds() -> list[str]:
    """The kinds whose default file ships with this service (``foi-response``
    appears once its default letter template exists)."""
    return [k for k, path in DEFAULT_FILES.items() if path.is_file()]


def known(kind: str) -> None:
    """``NotFound`` for a kind no template ships for."""
    if kind not in kinds():
        raise NotFound(f"Template kind {kind!r}")


_CACHE: dict[str, bytes] = {}
_DEFAULT_CACHE: dict[str, tuple[float, Template]] = {}
_LOCK = threading.Lock()
_MAX_CACHED = 16


def default_template(kind: str) -> Template:
    """The shipped default file (version 0), re-read only when the file changes."""
    path = DEFAULT_FILES[kind]
    mtime = path.stat().st_mtime
    cached = _DEFAULT_CACHE.get(kind)
    if cached is None or cached[0] != mtime:
        data = path.read_bytes()
        cached = (mtime, Template(kind, DEFAULT_VERSION, sha256_hex(data), data))
        _DEFAULT_CACHE[kind] = cached
    return cached[1]


def _stored(session: Session, kind: str, number: int) -> Template:
    row = session.execute(
        sa.select(TemplateVersion.sha256).where(TemplateVersion.kind == kind,
                                                TemplateVersion.number == number)
    ).first()
    if row is None:
        raise NotFound(f"Version {number} of the {kind} template")
    data = _CACHE.get(row.sha256)
    if data is None:
        data = session.execute(
            sa.select(TemplateVersion.data).where(TemplateVersion.kind == kind,
                                                  TemplateVersion.number == number)
        ).scalar_one()
        with _LOCK:
            if len(_CACHE) >= _MAX_CACHED:
                _CACHE.clear()
            _CACHE[row.sha256] = data
    return Template(kind, number, row.sha256, data)


def template_version(session: Session, kind: str, number: int) -> Template:
    """A given version of a kind's template (0: the shipped default)."""
    known(kind)
    if number == DEFAULT_VERSION:
        return default_template(kind)
    return _stored(session, kind, number)


def active_number(session: Session, kind: str) -> int:
    number = session.execute(
        sa.select(ActiveTemplate.number).where(ActiveTemplate.kind == kind)).scalar()
    return DEFAULT_VERSION if number is None else number


def active(session: Session, kind: str) -> Template:
    """The template in force for ``kind``."""
    return template_version(session, kind, active_number(session, kind))


def active_template(session: Session, kind: str) -> tuple[int, str, bytes]:
    """(version, sha256, DOCX bytes) of the template in force for ``kind``; the
    shipped default file (version 0) when none was uploaded and activated."""
    t = active(session, kind)
    return t.version, t.sha256, t.data
