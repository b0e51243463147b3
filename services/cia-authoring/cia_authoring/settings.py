"""Configuration keys of the authoring service, on top of ``cia_common.config``.

``MIN_AUTHORISING_RANK`` (env ``CIA_MIN_AUTHORISING_RANK``, default ``superintendent``)
    Lowest rank an authorising officer may hold; a lower rank is refused (422).
``DISCLOSURE_RANK_CUTOFF`` (env ``CIA_DISCLOSURE_RANK_CUTOFF``, default ``superintendent``)
    Names of officers at or above this rank are released in disclosure copies;
    names below it are withheld under s.40(2).
``DISCLOSURE_NAME_MODEL`` (env ``CIA_DISCLOSURE_NAME_MODEL``, default true)
    Names in free text are also found by the name model (``cia_redaction.names``),
    not only after a rank or title; off, only the patterns run.
``DISCLOSURE_NAME_REVIEW_BELOW`` (env ``CIA_DISCLOSURE_NAME_REVIEW_BELOW``, default 0.5)
    A model finding scored below this is still withheld, and listed in the
    redaction log for the FOI officer to release (release terms) if they judge so.
``FORCE_NAME`` (env ``CIA_FORCE_NAME``, from ``cia_common.config``)
    Printed in documents and used as their author property (never a person).
``SOFFICE`` (env ``CIA_SOFFICE``, default: ``soffice`` on the PATH)
    The LibreOffice binary that converts DOCX to PDF.
``PDF_TIMEOUT_SECONDS`` (env ``CIA_PDF_TIMEOUT_SECONDS``, default 120)
    Longest a single DOCX → PDF conversion may run before it is killed.
``PDF_RENDER_AHEAD`` (env ``CIA_PDF_RENDER_AHEAD``, default true)
    The worker converts the stored DOCX of every approved version to PDF soon
    after approval; when false (or when that fails) the PDF is made on its first
    request instead. Either way it is stored once.
``COLLAR_PATTERNS`` (env ``CIA_COLLAR_PATTERNS``, a JSON array of regular expressions)
    How collar and warrant numbers are written in this force; a named group
    ``number`` marks what is withheld (else the whole match). Default: the MPS
    forms in ``cia_redaction.detectors.DEFAULT_COLLAR_PATTERNS``.
Upload limits (``cia_authoring.uploads``): a legacy document or a Word template is
read in a child process bounded in time and memory; over a limit it is refused (413,
or 422 for time) naming the limit, and the web process keeps its memory.

``UPLOAD_PARSE_SECONDS`` (env ``CIA_UPLOAD_PARSE_SECONDS``, default 10)
    Wall-clock budget for reading one upload (checking, redacting, a page preview).
``UPLOAD_MAX_EXPANDED_BYTES`` (env ``CIA_UPLOAD_MAX_EXPANDED_BYTES``, default 128 MiB)
    What the parts of a zip (DOCX) may expand to, together.
``UPLOAD_MAX_PARTS`` (env ``CIA_UPLOAD_MAX_PARTS``, default 2000)
    Parts (zip entries) of a DOCX.
``UPLOAD_MAX_XML_ELEMENTS`` (env ``CIA_UPLOAD_MAX_XML_ELEMENTS``, default 1,000,000)
    XML elements in any one part of a DOCX.
``UPLOAD_MAX_PAGES`` (env ``CIA_UPLOAD_MAX_PAGES``, default 2000)
    Pages of a PDF, as its page tree claims them.
``UNTRUSTED_MEMORY_MB`` (env ``CIA_UNTRUSTED_MEMORY_MB``, default 768)
    Memory the child process reading an upload, or rendering a force's template,
    may map beyond what the service process already maps.
``TEMPLATE_RENDER_SECONDS`` (env ``CIA_TEMPLATE_RENDER_SECONDS``, default 20)
    Wall-clock budget of one render with a force's template (a shipped template
    renders in the process itself).

``LEGACY_FLATTEN_DPI`` (env ``CIA_LEGACY_FLATTEN_DPI``, default 200)
    Resolution of the page images a legacy PDF's disclosure copy is rebuilt from
    (and read back by OCR at); 150 to 300 are sensible.
``LEGACY_PAGE_SECONDS`` (env ``CIA_LEGACY_PAGE_SECONDS``, default 120)
    Wall-clock budget of one page's flattening and OCR in the worker.

``SIGHT_DPI`` (env ``CIA_SIGHT_DPI``, default 150)
    Resolution at which the check by sight renders each page of an FOI-facing file
    (a disclosure copy as LibreOffice renders it, a letter) before OCR: the lowest at
    which Tesseract read every planted value of 8 and 9 pt text (``docs/legacy-documents.md``).
``SIGHT_SECONDS`` (env ``CIA_SIGHT_SECONDS``, default 300)
    Wall-clock budget of one step of a check (the page images' keys, or the OCR of
    as many pages as there are cores) in a limited child process.
``SIGHT_AHEAD`` (env ``CIA_SIGHT_AHEAD``, default true)
    The worker reads every disclosure copy by sight as soon as it is made, so that
    it is ready to release; false: only a copy whose release was asked for (the
    release answers 409 ``checking`` until it is read). Never skips the check.
``SIGHT_WAIT_SECONDS`` (env ``CIA_SIGHT_WAIT_SECONDS``, default 10)
    How long a release or a send waits for the worker's check of its file before it
    answers 409 ``checking`` with the check's progress.

``STATS_SUPPRESSION_THRESHOLD`` (env ``CIA_STATS_SUPPRESSION_THRESHOLD``, default 4)
    Statistics counts from 1 to this value are shown as suppressed (read in
    ``statistics/service.py``).

Rank names are those of ``cia_redaction.ranks.RANKS``; an unknown one stops the
service at start-up rather than at the first request.
"""
from __future__ import annotations

import json
import os
import re

from cia_common.config import event_source, load_config
from cia_common.db import Database, UnitOfWork
from cia_common.settings import ServiceSettings
from cia_redaction.ranks import rank_level

from cia_authoring import uploads
from cia_authoring.cias import audit

SERVICE = "authoring"
SOURCE = event_source("authoring")


def authoring_defaults() -> dict:
    env = os.environ
    return {
        "MIN_AUTHORISING_RANK": env.get("CIA_MIN_AUTHORISING_RANK", "superintendent"),
        "DISCLOSURE_RANK_CUTOFF": env.get("CIA_DISCLOSURE_RANK_CUTOFF", "superintendent"),
        "SOFFICE": env.get("CIA_SOFFICE") or None,
        "PDF_TIMEOUT_SECONDS": float(env.get("CIA_PDF_TIMEOUT_SECONDS", "120")),
        "PDF_RENDER_AHEAD": env.get("CIA_PDF_RENDER_AHEAD", "true").strip().lower()
        in {"1", "true", "yes", "on"},
        "COLLAR_PATTERNS": _patterns(env.get("CIA_COLLAR_PATTERNS")),
        "DISCLOSURE_NAME_MODEL": env.get("CIA_DISCLOSURE_NAME_MODEL", "true").strip().lower()
        in {"1", "true", "yes", "on"},
        "DISCLOSURE_NAME_REVIEW_BELOW": float(env.get("CIA_DISCLOSURE_NAME_REVIEW_BELOW") or 0.5),
        **{key: float(env.get(f"CIA_{key}") or default) for key, default in uploads.DEFAULTS.items()},
        "TEMPLATE_RENDER_SECONDS": float(env.get("CIA_TEMPLATE_RENDER_SECONDS") or 20),
        "LEGACY_FLATTEN_DPI": int(env.get("CIA_LEGACY_FLATTEN_DPI") or 200),
        "LEGACY_PAGE_SECONDS": float(env.get("CIA_LEGACY_PAGE_SECONDS") or 120),
        "SIGHT_DPI": int(env.get("CIA_SIGHT_DPI") or 150),
        "SIGHT_SECONDS": float(env.get("CIA_SIGHT_SECONDS") or 300),
        "SIGHT_WAIT_SECONDS": float(env.get("CIA_SIGHT_WAIT_SECONDS") or 10),
        "SIGHT_AHEAD": env.get("CIA_SIGHT_AHEAD", "true").strip().lower()
                       not in ("0", "false", "no", "off"),
    }


def _patterns(raw: str | None) -> tuple[str, ...] | None:
    if not raw:
        return None
    try:
        patterns = json.loads(raw)
    except ValueError:
        raise ValueError("CIA_COLLAR_PATTERNS must be a JSON array of regular expressions") from None
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ValueError("CIA_COLLAR_PATTERNS must be a JSON array of regular expressions")
    return tuple(patterns)


def with_defaults(config: dict | None) -> dict:
    merged = {**authoring_defaults(), **(config or {})}
    check(merged)
    return merged


def check(cfg: dict) -> None:
    for pattern in cfg.get("COLLAR_PATTERNS") or ():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"COLLAR_PATTERNS: {pattern!r} is not a valid expression: {exc}") from None
    for key in ("MIN_AUTHORISING_RANK", "DISCLOSURE_RANK_CUTOFF"):
        try:
            rank_level(cfg[key])
        except ValueError:
            raise ValueError(f"{key}={cfg[key]!r} is not a known rank") from None


def load(config: dict | None = None) -> dict:
    """The full configuration of the authoring service (common keys included)."""
    return load_config(SERVICE, with_defaults(config))


def service_settings(cfg: dict) -> ServiceSettings:
    """The typed settings every process of the service derives from; the audit
    trail records each change its units of work record."""
    return ServiceSettings.of(cfg, recorder=audit.record)


def unit_of_work(db: Database, cfg: dict) -> UnitOfWork:
    """The one way to open a unit of work in authoring (events and audit together)."""
    return service_settings(cfg).unit_of_work(db)
