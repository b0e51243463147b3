"""cia_redaction: the redaction engine of CIA Workflow, as a library.

Pure: no web framework, database, message broker or settings module. Data in
(texts, files, withheld values, censor rules, settings values), redacted text or
files and log entries out. See README.md beside this file.
"""
from __future__ import annotations

from cia_redaction.detectors import DEFAULT_COLLAR_PATTERNS, Detectors, Hit
from cia_redaction.normalise import fold, normalise
from cia_redaction.redactor import Redactor
from cia_redaction.names import Finding, PersonRecogniser
from cia_redaction.rules import LITERAL, REGEX, RELEASE, Rule
from cia_redaction.vocabulary import EXEMPTIONS, MARKERS, S31, S40
from cia_redaction.withheld import WithheldSet

__all__ = ["DEFAULT_COLLAR_PATTERNS", "Detectors", "EXEMPTIONS", "Finding", "Hit", "LITERAL",
           "MARKERS", "PersonRecogniser", "REGEX", "RELEASE", "Redactor", "Rule", "S31", "S40",
           "WithheldSet", "fold", "normalise"]
