"""The one redaction pass every FOI-facing text goes through.

A ``Redactor`` holds what one output withholds — the values withheld by
their fields, the name register, the censor rules and the detectors — and
redacts any text or structure of texts with it, logging each redaction with
the pointer it was found at, its exemption, the detector or rule that found it
and why. Markers already in a text are never rewritten.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from cia_redaction.vocabulary import EXEMPTIONS, MARKERS, S40
from cia_redaction.pointers import join_pointer

import cia_redaction.rules as rules_mod
from cia_redaction.detectors import Detectors, Hit
from cia_redaction.normalise import compact_normalised, fold, normalise
from cia_redaction.withheld import WithheldSet

_S40_NAME_REASON = ("Name withheld elsewhere in this copy or in another CIA (the name register): "
                    "personal information (FOIA s.40(2)&(3)).")


_JOINED_PLACES = re.compile(r"( and | & |, | / )")
# Normalised texts, shared by every pass in the process: a template's own wording
# and common phrases recur in every copy. Bounded; a Normalised never changes.
_NORMALISED: dict[str, object] = {}
_NORMALISED_MAX = 20_000


@dataclass
class Redactor:
    detectors: Detectors
    withheld: WithheldSet = field(default_factory=WithheldSet)
    rules: list[rules_mod.Rule] = field(default_factory=list)
    log: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Release terms are rules of their own kind: what they name, the detectors
        # no longer withhold (see rules.RELEASE).
        self.released = frozenset(fold(r.pattern) for r in self.rules if r.kind == rules_mod.RELEASE)
        self.rules = [r for r in self.rules if r.kind != rules_mod.RELEASE]
        self._compiled = [(r, r.compiled()) for r in self.rules]
        protected = sorted({*MARKERS.values(), *(r.marker for r in self.rules)}, key=len, reverse=True)
        self._splitter = re.compile("(" + "|".join(re.escape(p) for p in protected) + ")")
        self._logged: set[tuple] = set()
        # Texts this redactor produced or found clean: the pass over the
        # rendered file meets most of them again, one per paragraph.
        self._clean: set[str] = set()
        self._rules_found: dict[str, list] = {}
        self._wording: tuple[str, ...] = ()

    def approve_wording(self, wording: Iterable[str]) -> None:
        """``wording`` is the force's own (a letter template's fixed text, which an
        administrator activated): what a personal-data detector finds in it is not
        withheld, there or where a variable prints the same words again (the letter
        prints them anyway). Withheld values and censor rules still apply to it, so a
        value withheld elsewhere never escapes through the wording."""
        self._wording = tuple(fold(w) for w in wording if w and w.strip())
        self._clean.clear()  # what was clean before may read otherwise now, and back

    # -- collecting ------------------------------------------------------------
    def collect(self, node: Any) -> None:
        """Withhold everywhere what rules and rank-aware name detection find in ``node``.

        Run over the whole output before ``tree`` so that a name or a rule's
        match found in one place is also withheld where only a partial form
        of it appears."""
        segments = [segment for text in strings(node) for segment in self._splitter.split(text)[::2]]
        # The name model reads every text of the output in one batch.
        self.detectors.prepare(self._normalise(segment).text for segment in segments)
        for segment in segments:
            norm = self._normalise(segment)
            for hit in self.detectors.persons(norm.text):
                # A name the model is unsure of is withheld where it stands, not
                # looked for elsewhere: a town taken for a person once must not
                # be redacted all through the copy.
                unsure = hit.score is not None and hit.score < self.detectors.review_below
                if hit.name and not unsure and not self._is_released(hit, norm.text):
                    self.withheld.add_name(hit.name, S40, _S40_NAME_REASON, hit.detector,
                                           child=hit.detector == "child")
            for rule, start, end in self._rule_hits(norm):
                o_start, o_end = norm.span(start, end)
                self.withheld.add(segment[o_start:o_end], rule.exemption, rule.reason,
                                  f"rule:{rule.id}")

    def prepare(self, texts: Iterable[str]) -> None:
        """Let the name model read ``texts`` in one batch before they are redacted one
        by one (a rendered file's paragraphs)."""
        self.detectors.prepare(self._normalise(segment).text for text in texts
                               if text and text not in self._clean
                               for segment in self._splitter.split(text)[::2] if segment)

    def terms(self) -> list[tuple[str, str, str]]:
        """What this pass withholds as fixed text — withheld values, the name register,
        literal rules and terms — as ``(text, exemption, reason)``: for a reading that
        needs a tolerance (OCR), where patterns alone would miss a misread letter."""
        out = list(self.withheld.values())
        out += [(r.pattern, r.exemption, r.reason) for r in self.rules if r.kind == rules_mod.LITERAL]
        return out

    # -- redacting ---------------------------------------------------------------
    def tree(self, node: Any, pointer: str = "") -> Any:
        if isinstance(node, dict):
            return {k: self.tree(v, join_pointer(pointer, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [self.tree(v, join_pointer(pointer, i)) for i, v in enumerate(node)]
        if isinstance(node, str):
            return self.text(node, pointer)
        return node

    def text(self, text: str, pointer: str = "/") -> str:
        if not text or text in self._clean:
            return text
        parts = self._splitter.split(text)
        changed = False
        # Odd indexes are the markers the split kept.
        for i in range(0, len(parts), 2):
            if parts[i]:
                new = self._segment(parts[i], pointer or "/")
                if new is not parts[i]:
                    parts[i], changed = new, True
        out = "".join(parts) if changed else text
        self._clean.add(out)
        return out

    def place(self, text: str, pointer: str = "/") -> str:
        """``text`` redacted as the value of a field that names a place (a location,
        a borough): each place it joins ("Barking and Dagenham") read as "in <place>",
        so that the pass's own place rule keeps a town the model alone would take for
        a one-word name; a full name stays a name."""
        return "".join(self._place(part, pointer) if i % 2 == 0 else part
                       for i, part in enumerate(_JOINED_PLACES.split(text)))

    def _place(self, text: str, pointer: str) -> str:
        if not text:
            return text
        lead = "in "
        out, pos = [], 0
        for start, end, marker in self.spans(lead + text, pointer):
            start, end = max(start - len(lead), 0), end - len(lead)
            if end <= 0:
                continue
            out.append(text[pos:max(start, pos)])
            out.append(marker)
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def _normalise(self, text: str):
        norm = _NORMALISED.get(text)
        if norm is None:
            if len(_NORMALISED) >= _NORMALISED_MAX:
                _NORMALISED.clear()
            norm = _NORMALISED[text] = normalise(text)
        return norm

    def _rule_hits(self, norm) -> list[tuple[rules_mod.Rule, int, int]]:
        hits = self._rules_found.get(norm.text)
        if hits is None:
            hits = self._rules_found[norm.text] = [
                (rule, start, end) for rule, rx in self._compiled
                for start, end in rules_mod.finditer(rx, norm.text)]
        return hits

    def spans(self, text: str, pointer: str = "/") -> list[tuple[int, int, str]]:
        """Where ``text`` would be redacted: ``(start, end, marker)`` in ``text``, in order,
        each logged as ``text`` would log it (for outputs that cannot hold a marker in
        place, such as a PDF page, whose words are removed by area)."""
        out, offset = [], 0
        for i, part in enumerate(self._splitter.split(text)):
            if i % 2 == 0 and part:
                out.extend((offset + s, offset + e, m) for s, e, m in self._spans(part, pointer or "/"))
            offset += len(part)
        return out

    def _segment(self, text: str, pointer: str) -> str:
        spans = self._spans(text, pointer)
        if not spans:
            return text
        out, pos = [], 0
        for start, end, marker in spans:
            out.append(text[pos:start])
            out.append(marker)
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def _spans(self, text: str, pointer: str) -> list[tuple[int, int, str]]:
        out = []
        for start, end, marker, hit, rule_id in self._merged(text):
            out.append((start, end, marker))
            self._record(pointer, hit, rule_id, text[start:end])
        return out

    def findings(self, text: str) -> list[tuple[int, int, Hit, str | None]]:
        """Where ``text`` would be redacted and by what: ``(start, end, hit, rule id)``,
        the hit's detector naming the kind; nothing is logged (a check, not a copy)."""
        out, offset = [], 0
        for i, part in enumerate(self._splitter.split(text)):
            if i % 2 == 0 and part:
                out.extend((offset + s, offset + e, hit, rule_id)
                           for s, e, _m, hit, rule_id in self._merged(part))
            offset += len(part)
        return out

    def _merged(self, text: str) -> list[tuple[int, int, str, Hit, str | None]]:
        norm = self._normalise(text)
        hits: list[tuple[Hit, str, str | None]] = []  # (hit, marker, rule id)
        for rule, start, end in self._rule_hits(norm):
            hits.append((Hit(start, end, "censor_rule", rule.exemption, rule.reason),
                         rule.marker, rule.id))
        # Detectors before withheld values: of two hits on the same span, the
        # first is logged, and a detector says more about what was found.
        for hit in self.detectors.find(norm.text):
            if not self._is_released(hit, norm.text) and not self._in_wording(hit, norm.text):
                hits.append((hit, MARKERS[hit.exemption], None))
        for hit in self.withheld.find(norm, compact_normalised(norm.text)) if len(self.withheld) else ():
            hits.append((hit, MARKERS[hit.exemption], None))
        if not hits:
            return []
        spans = []
        for hit, marker, rule_id in hits:
            start, end = norm.span(hit.start, hit.end)
            if end > start:
                spans.append((start, end, marker, hit, rule_id))
        spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        out: list[list] = []
        for start, end, marker, hit, rule_id in spans:
            if out and start < out[-1][1]:
                if end > out[-1][1]:  # overlaps the previous one: extend it
                    out[-1][1] = end
                continue
            out.append([start, end, marker, hit, rule_id])
        return [tuple(s) for s in out]

    def _in_wording(self, hit: Hit, text: str) -> bool:
        if not self._wording or hit.detector == "child":
            return False
        term = fold(text[hit.start:hit.end])
        if not term:
            return False
        # As whole words: "Ian" is not approved by a wording that says "Guardian".
        whole = re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)")
        return any(whole.search(wording) for wording in self._wording)

    def _is_released(self, hit: Hit, text: str) -> bool:
        if not hit.releasable:
            return False
        term = text[hit.start:hit.end]
        if hit.detector == "person_model" and self.withheld.is_released(term):
            return True  # the rank rule released this name: the model does not overrule it
        return bool(self.released) and fold(term) in self.released

    def _record(self, pointer: str, hit: Hit, rule_id: str | None, term: str) -> None:
        # A finding the model is unsure of is listed on its own, with the term, for
        # the FOI officer to release (a release term) if it is not personal data.
        review = hit.score is not None and hit.score < self.detectors.review_below
        key = (pointer, hit.detector, rule_id, hit.reason, term if review else None)
        if key in self._logged:
            return
        self._logged.add(key)
        entry = {"pointer": pointer, "exemption": EXEMPTIONS[hit.exemption],
                 "reason": hit.reason, "rule_id": rule_id, "detector": hit.detector}
        if hit.score is not None:
            entry["score"] = hit.score
        if review:
            entry.update(review=True, term=term)
        self.log.append(entry)


def strings(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)
    elif isinstance(node, str):
        yield node
