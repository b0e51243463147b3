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
from functools import lru_cache

_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
           "\u02bc": "'", "\uff07": "'", "`": "'", "\u00b4": "'"}
_EXTRA_DASHES = {"\u2212", "\u2043", "\ufe63", "\uff0d", "\u2e3a", "\u2e3b", "\u30fc"}
_ASCII_SPACE = re.compile(r"\s+")
# An ASCII text is its own normal form unless it has these.
_NEEDS_FOLDING = re.compile(r"[^\S ]|  |`")
_NOT_ALNUM = re.compile(r"[\W_]+")


class Normalised:
    """A normalised text and the way back to its original."""

    __slots__ = ("text", "original", "_starts")

    def __init__(self, text: str, original: str, starts: tuple[int, ...] | None = None):
        self.text = text
        self.original = original
        # starts[i]: index in the original of the character that produced
        # text[i], plus a sentinel; None while not needed (most texts have no
        # match) or when the text is its own normal form.
        self._starts = starts

    @property
    def starts(self) -> tuple[int, ...]:
        if self._starts is None:
            self._starts = (tuple(range(len(self.original) + 1)) if self.text == self.original
                            else _ascii_starts(self.original))
        return self._starts

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span behind ``text[start:end]``."""
        if self.text is self.original or self.text == self.original:
            return start, end
        starts = self.starts
        if start >= end:
            return starts[start], starts[start]
        o_end = starts[end - 1] + 1
        # Take along what normalisation dropped right after the match
        # (combining marks, zero-width characters): nothing of it may remain.
        while o_end < len(self.original) and _is_dropped(self.original[o_end]):
            o_end += 1
        return starts[start], o_end


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
        folded = _ASCII_SPACE.sub(" ", text).replace("`", "'") if _NEEDS_FOLDING.search(text) else text
        return Normalised(folded, text)
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
    return Normalised("".join(out), text, tuple(starts))


def _ascii_starts(text: str) -> tuple[int, ...]:
    starts: list[int] = []
    pos = 0
    for m in _ASCII_SPACE.finditer(text):
        starts.extend(range(pos, m.start()))
        starts.append(m.start())
        pos = m.end()
    starts.extend(range(pos, len(text) + 1))
    return tuple(starts)


def fold(text: str) -> str:
    """The normalised form, case-folded and trimmed: the key two texts compare by."""
    return normalise(text).text.strip().casefold()


def compact(text: str) -> str:
    """Letters and digits only, case-folded: a cheap test of whether a value can occur."""
    return _NOT_ALNUM.sub("", fold(text))


def compact_normalised(text: str) -> str:
    """``compact`` of a text that is already normalised."""
    return _NOT_ALNUM.sub("", text.casefold())
