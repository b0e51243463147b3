"""Configuration keys of the authoring service, on top of ``cia_common.config``.

``MIN_AUTHORISING_RANK`` (env ``CIA_MIN_AUTHORISING_RANK``, default ``superintendent``)
    Lowest rank an authorising officer may hold; a lower rank is refused (422).
``DISCLOSURE_RANK_CUTOFF`` (env ``CIA_DISCLOSURE_RANK_CUTOFF``, default ``superintendent``)
    Names of officers at or above this rank are released in disclosure copies;
    names below it are withheld under s.40(2).
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
    forms in ``disclosure.detectors.DEFAULT_COLLAR_PATTERNS``.
``STATS_SUPPRESSION_THRESHOLD`` (env ``CIA_STATS_SUPPRESSION_THRESHOLD``, default 4)
    Statistics counts from 1 to this value are shown as suppressed (read in
    ``statistics/service.py``).

Rank names are those of ``cia_schemas.ranks.RANKS``; an unknown one stops the
service at start-up rather than at the first request.
"""
from __future__ import annotations

import json
import os
import re

from cia_common.config import event_source, load_config
from cia_common.db import Database, UnitOfWork
from cia_common.settings import ServiceSettings
from cia_schemas.ranks import rank_level

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
