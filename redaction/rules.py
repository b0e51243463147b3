"""Censor rules: the FOI team's own redactions, applied on top of the schema's.

A rule matches literal text or a regular expression, case-insensitive unless
asked otherwise, on normalised text (``normalise``): a literal ``John Smith``
also finds ``JOHN\u00a0SMITH`` and ``John\u200bSmith``. Every expression runs
on RE2, a linear-time engine, so no rule can hang a worker (``(q+)+z`` runs in
linear time); constructs RE2 refuses (back-references, look-around) are refused
with 422. A literal is escaped text, safe on any engine. Replacements are literal.

Rules run inside the one redaction pass (``redactor.Redactor``) over every text
of the output; markers and earlier replacements are never rewritten. Each
(field, rule) that matched is logged with the rule's id.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator

import re2

from cia_redaction.vocabulary import EXEMPTIONS, MARKERS

from cia_redaction.normalise import normalise

LITERAL, REGEX = "literal", "regex"
KINDS = (LITERAL, REGEX)
# An FOI officer's release term: a detected term (a shop, a place, an operation
# taken for a person) that the detectors' hits on it no longer withhold. It is a
# rule of its own kind so that it is fingerprinted, and copies re-rendered, as
# censor rules are; it never withholds anything, and never releases a value
# withheld by its field, the register or a censor rule, nor a child.
RELEASE = "release"
MAX_PATTERN = 500
MAX_REPLACEMENT = 200
MAX_REASON = 1000
# Bounds RE2's memory for one compiled pattern (its time is linear anyway).
_MAX_MEM = 8 << 20


class UnsafePattern(ValueError):
    """A pattern RE2 refuses: invalid, or needing backtracking."""


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    pattern: str
    exemption: str  # s40 | s31
    reason: str
    replacement: str | None = None
    case_sensitive: bool = False
    revision: int = 1

    @property
    def marker(self) -> str:
        return self.replacement or MARKERS[self.exemption]

    def compiled(self):
        return compile_pattern(self.kind, self.pattern, self.case_sensitive)


@lru_cache(maxsize=1024)
def compile_pattern(kind: str, pattern: str, case_sensitive: bool):
    options = re2.Options()
    options.case_sensitive = bool(case_sensitive)
    options.log_errors = False
    options.max_mem = _MAX_MEM
    if kind == LITERAL:
        # Escaped words joined by optional spaces cannot backtrack badly:
        # Python's engine serves them, without RE2's per-call re-encoding.
        words = normalise(pattern).text.split()
        return re.compile(r"\s*".join(re.escape(w) for w in words),
                          0 if case_sensitive else re.IGNORECASE)
    source = pattern
    try:
        return re2.compile(source, options)
    except re2.error as exc:
        raise UnsafePattern(_re2_message(exc)) from None


def _re2_message(exc: Exception) -> str:
    msg = exc.args[0] if exc.args else str(exc)
    if isinstance(msg, bytes):
        msg = msg.decode("utf-8", "replace")
    if "invalid perl operator" in msg or "invalid escape sequence" in msg:
        msg += " (back-references and look-around are not supported: patterns must run in linear time)"
    return msg


def finditer(rx, text: str) -> Iterator[tuple[int, int]]:
    """Spans of ``rx`` (an RE2 or, for literals, a ``re`` pattern) in ``text``."""
    for m in rx.finditer(text):
        if m.end() > m.start():
            yield m.start(), m.end()


def validate(kind: Any, pattern: Any, exemption: Any, reason: Any, replacement: Any = None,
             case_sensitive: bool = False) -> list[dict]:
    """``[{pointer, detail}]`` for a rule that cannot be used; empty when it can."""
    errors: list[dict] = []

    def err(field: str, detail: str) -> None:
        errors.append({"pointer": f"/{field}", "detail": detail})

    if kind not in KINDS:
        err("kind", "Use literal or regex.")
    if exemption not in EXEMPTIONS:
        err("exemption", "Use s40 (s.40(2) personal information) or s31 (s.31(1)(a)(b) law enforcement).")
    if not isinstance(reason, str) or not reason.strip():
        err("reason", "Say why this text is withheld; the reason is printed in the redaction log.")
    elif len(reason) > MAX_REASON:
        err("reason", f"At most {MAX_REASON} characters.")
    if replacement is not None and (not isinstance(replacement, str) or len(replacement) > MAX_REPLACEMENT
                                    or any(ord(c) < 32 for c in replacement)):
        err("replacement", f"One line of at most {MAX_REPLACEMENT} characters.")
    if not isinstance(pattern, str) or not pattern.strip():
        err("pattern", "The text or regular expression to withhold is required.")
        return errors
    if len(pattern) > MAX_PATTERN:
        err("pattern", f"At most {MAX_PATTERN} characters.")
        return errors
    if kind == LITERAL and len(pattern.strip()) < 2:
        err("pattern", "A literal needs at least two characters.")
        return errors
    if kind not in KINDS:
        return errors
    try:
        rx = compile_pattern(kind, pattern, bool(case_sensitive))
    except UnsafePattern as exc:
        err("pattern", f"Not a usable regular expression: {exc}.")
        return errors
    if rx.search("") is not None:
        err("pattern", "The expression matches empty text; it would withhold nothing useful "
                       "and mark every field.")
        return errors
    # The log and the document print these: they must not carry what the rule withholds.
    if isinstance(reason, str) and rx.search(normalise(reason).text):
        err("reason", "The reason contains the text the rule withholds.")
    if isinstance(replacement, str) and replacement and rx.search(normalise(replacement).text):
        err("replacement", "The replacement contains the text the rule withholds.")
    return errors


# The version of the redaction pass (normalisation, detectors, withheld-value
# matching). Raise it when a change there may redact more: every copy's
# fingerprint then differs, and the worker renders them all again (which also
# writes each copy's forms into the authoring service's index of withheld values).
PASS_VERSION = "2026-12-07.5"  # a surname that is also a common word ("Ward") kept after a rank


def fingerprint(rules: list[Rule]) -> str:
    """Names exactly which rules (and which revision of each), in order, and the
    version of the pass that applied them."""
    body = json.dumps([PASS_VERSION, *([r.id, r.revision] for r in rules)], separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


NO_RULES = fingerprint([])
