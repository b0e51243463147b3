"""One normalisation for every comparison the redaction makes.

Text is matched after NFKD with combining marks dropped (so ``José`` and
``Jose``, ``＠`` and ``@``, ``ﬁ`` and ``fi`` meet), with zero-width, soft-hyphen
and other format characters removed, every space variant folded to one space
(runs collapsed), every dash variant folded to ``-`` and curly quotes to
``'``. Case is kept: matchers that ignore case say so themselves.

``Normalised.span`` maps a match in the normalised text back to the original,
so a redaction removes exactly the original characters, including the
invisible ones inside and right after the match.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
           "\u02bc": "'", "\uff07": "'", "`": "'", "\u00b4": "'"}
_EXTRA_DASHES = {"\u2212", "\u2043", "\ufe63", "\uff0d", "\u2e3a", "\u2e3b", "\u30fc"}
_ASCII_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Normalised:
    text: str
    # starts[i]: index in the original of the character that produced text[i];
    # one sentinel more, the original's length.
    starts: tuple[int, ...]
    original: str

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span behind ``text[start:end]``."""
        if start >= end:
            return self.starts[start], self.starts[start]
        o_end = self.starts[end - 1] + 1
        # Take along what normalisation dropped right after the match
        # (combining marks, zero-width characters): nothing of it may remain.
        while o_end < len(self.original) and _is_dropped(self.original[o_end]):
            o_end += 1
        return self.starts[start], o_end


def _is_dropped(c: str) -> bool:
    return unicodedata.category(c) in ("Cf", "Mn", "Me")


@lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    cat = unicodedata.category(c)
    if cat in ("Cf", "Mn", "Me") or c == "\u00ad":
        return ""
    out = []
    for ch in unicodedata.normalize("NFKD", c):
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Cf", "Mn", "Me"):
            continue
        if ch.isspace() or unicodedata.category(ch) in ("Zs", "Zl", "Zp"):
            ch = " "
        elif unicodedata.category(ch) == "Pd" or ch in _EXTRA_DASHES:
            ch = "-"
        else:
            ch = _QUOTES.get(ch, ch)
        out.append(ch)
    return "".join(out)


def normalise(text: str) -> Normalised:
    if text.isascii():
        return _normalise_ascii(text)
    out: list[str] = []
    starts: list[int] = []
    for i, c in enumerate(text):
        folded = _fold_char(c) if not c.isascii() else (" " if c.isspace() else _QUOTES.get(c, c))
        for ch in folded:
            if ch == " " and out and out[-1] == " ":
                continue
            out.append(ch)
            starts.append(i)
    starts.append(len(text))
    return Normalised("".join(out), tuple(starts), text)


def _normalise_ascii(text: str) -> Normalised:
    out: list[str] = []
    starts: list[int] = []
    pos = 0
    for m in _ASCII_SPACE.finditer(text):
        if m.start() > pos:
            out.append(text[pos:m.start()].replace("`", "'"))
            starts.extend(range(pos, m.start()))
        out.append(" ")
        starts.append(m.start())
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:].replace("`", "'"))
        starts.extend(range(pos, len(text)))
    starts.append(len(text))
    return Normalised("".join(out), tuple(starts), text)


def fold(text: str) -> str:
    """The normalised form, case-folded and trimmed: the key two texts compare by."""
    return normalise(text).text.strip().casefold()


def compact(text: str) -> str:
    """Letters and digits only, case-folded: a cheap test of whether a value can occur."""
    return "".join(ch for ch in fold(text) if ch.isalnum())
