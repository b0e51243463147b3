"""Censor rules: the FOI team's own redactions, applied on top of the schema's.

Pure functions. A rule matches literal text (whitespace-tolerant, so a name
broken across lines still matches) or a regular expression, case-insensitive
unless asked otherwise, and replaces every match by its replacement text (the
exemption's marker by default). Replacements are literal: a regex
back-reference cannot put the matched text back.

Rules run after the schema redaction, in order, over every string the
disclosure copy shows (the CIA content and the operation fields); markers and
earlier replacements are never rewritten. Each (field, rule) that matched is
logged as ``{"pointer", "rule_id", "exemption", "reason"}``.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cia_schemas.disclosure import EXEMPTIONS, MARKERS
from cia_schemas.errors import join_pointer

LITERAL, REGEX = "literal", "regex"
KINDS = (LITERAL, REGEX)
MAX_PATTERN = 500
MAX_REPLACEMENT = 200
MAX_REASON = 1000


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

    def regex(self) -> re.Pattern:
        return compile_pattern(self.kind, self.pattern, self.case_sensitive)


def compile_pattern(kind: str, pattern: str, case_sensitive: bool) -> re.Pattern:
    flags = 0 if case_sensitive else re.IGNORECASE
    if kind == LITERAL:
        words = pattern.split()
        return re.compile(r"\s+".join(re.escape(w) for w in words), flags)
    return re.compile(pattern, flags)


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
    except re.error as exc:
        err("pattern", f"Not a valid regular expression: {exc}.")
        return errors
    if rx.search("") is not None:
        err("pattern", "The expression matches empty text; it would withhold nothing useful "
                       "and mark every field.")
        return errors
    # The log and the document print these: they must not carry what the rule withholds.
    if isinstance(reason, str) and rx.search(reason):
        err("reason", "The reason contains the text the rule withholds.")
    if isinstance(replacement, str) and replacement and rx.search(replacement):
        err("replacement", "The replacement contains the text the rule withholds.")
    return errors


def fingerprint(rules: list[Rule]) -> str:
    """Names exactly which rules (and which revision of each), in order."""
    body = json.dumps([[r.id, r.revision] for r in rules], separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


NO_RULES = fingerprint([])


def apply(node: Any, rules: list[Rule], pointer: str = "") -> tuple[Any, list[dict]]:
    """``(censored copy of node, log)``; ``node`` is not modified."""
    log: list[dict] = []
    if not rules:
        return node, log
    compiled = [(r, r.regex()) for r in rules]
    protected = sorted({*MARKERS.values(), *(r.marker for r in rules)}, key=len, reverse=True)
    splitter = re.compile("(" + "|".join(re.escape(p) for p in protected) + ")")
    return _walk(node, pointer, compiled, splitter, log), log


def _walk(node: Any, pointer: str, compiled, splitter, log: list[dict]) -> Any:
    if isinstance(node, dict):
        return {k: _walk(v, join_pointer(pointer, k), compiled, splitter, log)
                for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v, join_pointer(pointer, i), compiled, splitter, log)
                for i, v in enumerate(node)]
    if not isinstance(node, str):
        return node
    text = node
    for rule, rx in compiled:
        parts = splitter.split(text)
        hit = False
        # Odd indexes are the protected markers the split kept.
        for i in range(0, len(parts), 2):
            new, n = rx.subn(lambda _m, marker=rule.marker: marker, parts[i])
            if n:
                parts[i], hit = new, True
        if hit:
            text = "".join(parts)
            log.append({"pointer": pointer or "/", "rule_id": rule.id,
                        "exemption": EXEMPTIONS[rule.exemption], "reason": rule.reason})
    return text
