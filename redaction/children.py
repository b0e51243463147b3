"""Children: a person named with an age under 18, or described as a child or pupil.

A child's name is always withheld, whatever else applies: no rank, score or
release term lets it through. The age said beside the name is withheld with it
(``Tobias Fenwick-Osei (aged 17)`` goes whole), written in figures or words.
"""
from __future__ import annotations

import re

ADULT = 18
_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
          "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_AGE_WORDS = rf"(?:(?:{'|'.join(_TENS)})(?:[- ](?:{'|'.join(_UNITS[1:10])}))?|{'|'.join(_UNITS)})"
_AGE = rf"(?:\d{{1,2}}(?![\d.:,/]\d)|{_AGE_WORDS})\b"
_AGE_IN = re.compile(rf"\b(?:\d{{1,2}}|{_AGE_WORDS})\b", re.IGNORECASE)
_CHILD_NOUN = (r"(?:child|children|pupil|pupils|schoolboy|schoolgirl|schoolchild|boy|girl|"
               r"toddler|baby|infant|teenager|minor|juvenile|youngster|"
               r"student at [A-Z][\w' -]{0,40}?(?:School|Academy|College)|year \d{1,2} pupil)")
# What follows a name: " (17)", " (aged 17)", ", 17,", ", aged seventeen", ", a 15-year-old",
# ", a pupil at ...", " (Year 9)". A bare number after a name is not an age.
_AFTER = re.compile(
    rf"^ ?\((?:(?:aged?|age:?) )?{_AGE}(?: ?(?:years?|yrs?)(?: old)?)?\)"
    rf"|^, {_AGE},"
    rf"|^,? \(?(?:aged|age) {_AGE}(?: ?(?:years?|yrs?)(?: old)?)?\)?"
    rf"|^,? (?:who is |who was |is |was )?(?:a |an |the )?(?:{_AGE}[- ]years?[- ]old|{_CHILD_NOUN})\b"
    rf"|^ ?\((?:year|yr) \d{{1,2}}\)",
    re.IGNORECASE)
# What comes before a name: "pupil ", "a 15-year-old, ", "her son ", "the child, ".
_BEFORE = re.compile(
    rf"(?:\b{_AGE}[- ]years?[- ]old|\b{_CHILD_NOUN})(?: (?:called|named))?,? $", re.IGNORECASE)


# A child named in apposition after what says they are one: "A 15-year-old, Kayden Morris,",
# "A pupil at Drapers' Academy, Mason Reilly,", "pupil Leo Hart".
_NAME = r"[A-Z][a-z]+(?:['-][A-Za-z]+)*(?: [A-Z][a-z]+(?:['-][A-Za-z]+)*){0,2}"
APPOSITION_RE = re.compile(
    rf"(?:\b{_AGE}[- ]years?[- ]old|\b(?i:{_CHILD_NOUN}))(?: at [A-Z][\w' -]{{0,40}}?(?:School|Academy|College))?"
    rf"(?: (?:called|named))?,? (?P<name>{_NAME})(?=[,.;)]| (?:asked|said|wrote|was|is|drew|told|had|has))")


def named_children(text: str):
    """``(start, end)`` of each child named right after what says they are one."""
    for m in APPOSITION_RE.finditer(text):
        if _is_child(m):
            yield m.start("name"), m.end("name")


def age_value(word: str) -> int | None:
    word = word.lower().replace("-", " ")
    if word.isdigit():
        return int(word)
    if word in _UNITS:
        return _UNITS.index(word)
    parts = word.split()
    if parts and parts[0] in _TENS:
        return _TENS[parts[0]] + (_UNITS.index(parts[1]) if len(parts) > 1 else 0)
    return None


def child_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` widened to the age said beside it if the person at
    ``text[start:end]`` is a child; ``None`` if nothing says so."""
    m = _AFTER.match(text[end:end + 80])
    if m and _is_child(m):
        return start, end + len(m.group().rstrip(", "))
    before = text[max(0, start - 60):start]
    m = _BEFORE.search(before)
    if m and _is_child(m):
        return start, end
    return None


def _is_child(m: re.Match) -> bool:
    age = _AGE_IN.search(m.group())
    if age is None:
        return True  # said to be a child or a pupil
    if re.search(r"\((?:year|yr) ", m.group(), re.IGNORECASE):
        return True  # a school year
    value = age_value(age.group())
    return value is not None and value < ADULT
