"""The distinctive parts of an s.31 value: what says it again in other words.

An s.31 field (``the bracket above Boots at 14 North End``) is withheld whole, and
its sentences wherever they are quoted; but an open text can say the same thing in
other words (``the camera above Boots``). What makes the value tactical is in its
parts, and each part is withheld wherever it appears, in any written form:

- proper-noun phrases (a shop, a building, a landmark), with the house number before
  one: ``Boots``, ``14 North End``, ``Whitgift Centre``; found with their capital
  (``boots`` in lower case is footwear). A phrase after a rank or title is a person,
  whom the name machinery and the rank rule decide on;
- codes and call signs, letters with digits in any case, spacing or hyphenation:
  ``BRAVO-17``, ``Bravo 17``, ``bravo17``, and for a word of the phonetic alphabet
  its letter (``B-17``), as radio logs shorten it;
- numbers with their units: ``3 cameras`` (``three cameras``, ``3-camera``),
  ``12,431 images``, ``20 metres`` (``20m``), in figures or words;
- clock times, in the 24-hour and 12-hour forms and with ``hrs``: ``09:15``,
  ``9.15am``, ``0915 hrs``.

Each part has a canonical ``key`` (what two written forms share), a readable
``term`` and a ``pattern`` that finds every form of it in normalised text
(``normalise``); ``part_of_key`` rebuilds a part from its key, so that what one
output withheld can be withheld again in another (the index of withheld values).

Words that start a sentence are capitalised by grammar, not by being names: one is
taken as a proper noun only when the same value writes it with a capital elsewhere.
Bare numbers, dates and durations in days, weeks or months are not parts: out of
their sentence they are any text's own dates and counts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator

from cia_redaction.addresses import STREET_WORDS
from cia_redaction.detectors import RANK_AT_START_RE, RANK_BEFORE_RE
from cia_redaction.normalise import normalise

PROPER, CODE, QUANTITY, TIME = "proper", "code", "quantity", "time"

# The phonetic alphabet: a call sign is often one of these words and a number.
# (November is left out: "November 14" is a date.)
PHONETIC = ("alpha alfa bravo charlie delta echo foxtrot golf hotel india juliet juliett kilo "
            "lima mike oscar papa quebec romeo sierra tango uniform victor whiskey "
            "whisky xray x-ray yankee zulu").split()

# Capitalised words that are ordinary words of a CIA, not what names a place: on
# their own they are no part (a phrase that holds one, such as ``North End``, is).
COMMON = frozenset(w.casefold() for w in """
January February March April May June July August September October November December
Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mon Tue Tues Wed Thu Thur Thurs Fri
Sat Sun Gold Silver Bronze North South East West Northern Southern Eastern Western Central
Upper Lower Great Little Old New Saint St Mr Mrs Ms Dr The A An And Or Of In On At By To For
With From Police Met Metropolitan Service Force Council Borough Ward Town City County London
England Britain UK Station Centre Center Street Road Lane Avenue Hill Park High Square Market
Shop Store Bank Bus Stop Stops Entrance Exit Gate Corner End Side Bridge Tower House Hall Court
Church School Operation Op Team Unit Officer Officers Inspector Sergeant Constable Chief
Superintendent Commander Commissioner LFR CCTV ANPR IAG SNB BID FOI ICO MPS BTP DPIA CIA EIA
SIO NPCC APP NCA PCSO NHS TfL DLR CPS IC IC1 IC2 IC3 IC4 IC5 IC6 IC9 Live Facial Recognition
Camera Cameras Van Vans Mast Bracket Deployment Briefing Watchlist Images Zone Area No Nos Number
Yes Not None All Any
""".split()) | frozenset(w.casefold() for w in STREET_WORDS) | frozenset(PHONETIC)
_CONNECTORS = ("of", "&", "the", "upon", "de", "la", "le")

_CAP_WORD = r"(?:[A-Z][A-Za-z]*(?:'[A-Za-z]+|-[A-Za-z]+)*|[A-Z]{2,}\d*)"
# A run of capitalised words, joined by a space or a connector ("Marks & Spencer",
# "Bank of England"), with a house number before it if it has one.
_PROPER_RE = re.compile(
    rf"(?<![\w'-])(?P<number>\d{{1,4}}[A-Za-z]? )?(?P<phrase>{_CAP_WORD}"
    rf"(?: (?:(?:{'|'.join(_CONNECTORS)}) )?{_CAP_WORD})*)(?![\w'-])")
_SENTENCE_START = re.compile(r"(?:^|[.!?;:]\s+|\n\s*|[\"(]\s*)$")

_SEP = r"(?: ?[._/-] ?| )?"
_PHONETIC_RE = "|".join(sorted((re.escape(w) for w in PHONETIC), key=len, reverse=True))
_CODE_RES = (
    # Bravo 17, BRAVO-17, bravo17: a word of the phonetic alphabet, in any case.
    re.compile(rf"(?<![\w-])(?P<letters>(?i:{_PHONETIC_RE})){_SEP}(?P<digits>\d{{1,4}})(?![\w-])"),
    # TX-7, CAM 03, K9: capitals and digits.
    re.compile(r"(?<![\w-])(?P<letters>[A-Z]{1,6})[ /-]?(?P<digits>\d{1,6})(?![\w-])"),
    # cam3, Delta4a: letters glued to digits, in any case.
    re.compile(r"(?<![\w-])(?P<letters>[A-Za-z]{2,10})(?P<digits>\d{1,6})(?![\w-])"),
)
# Letters that make an ordinary abbreviation with a number, not a code: IC3 (an
# ethnicity code), A4, a year range.
_NOT_CODES = frozenset("ic a am pm".split())

_UNITS: dict[str, tuple[str, ...]] = {
    "camera": ("cameras", "camera"), "van": ("vans", "van"), "mast": ("masts", "mast"),
    "image": ("images", "image", "photographs", "photos"), "face": ("faces", "face"),
    "person": ("people", "persons", "person", "individuals", "individual"),
    "entry": ("entries", "entry"), "record": ("records", "record"),
    "subject": ("subjects", "subject"), "officer": ("officers", "officer"),
    "alert": ("alerts", "alert"), "match": ("matches", "match"),
    "metre": ("metres", "metre", "meters", "meter", "m"),
    "kilometre": ("kilometres", "kilometre", "kilometers", "kilometer", "km"),
    "mile": ("miles", "mile"), "yard": ("yards", "yard", "yds", "yd"),
    "foot": ("feet", "foot", "ft"), "minute": ("minutes", "minute", "mins", "min"),
    "hour": ("hours", "hour", "hrs", "hr"),
}
_UNIT_OF = {form: unit for unit, forms in _UNITS.items() for form in forms}
_NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                 "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_WORD_NUMBER = (rf"(?:(?:{'|'.join(_TENS)})(?:[- ](?:{'|'.join(_NUMBER_WORDS[1:10])}))?"
                rf"|{'|'.join(_NUMBER_WORDS)})")
_DIGITS = r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?"
_ALL_UNITS = "|".join(sorted(map(re.escape, _UNIT_OF), key=len, reverse=True))
_QUANTITY_RE = re.compile(
    rf"(?<![\w.,-])(?P<number>{_DIGITS}|(?i:{_WORD_NUMBER}))[ -]?(?P<unit>(?i:{_ALL_UNITS}))(?![\w-])")

# A figure with a unit, a percentage or money is a measure, not a time (1.20 metres).
_NOT_A_MEASURE = rf"(?! ?(?:%|(?i:{_ALL_UNITS}|pounds|pence|per ?cent|percent)\b))"
_TIME_RES = (
    # 09:15, 13.00, 21:30, 9:15am, 9.15 p.m.: a one-digit hour with a dot needs am or pm.
    re.compile(r"(?<![\w.:,+£$€-])(?:(?P<h>[01]?\d|2[0-3]):|(?P<h2>[01]\d|2[0-3])\.|(?P<h3>\d)\.(?=\d\d ?[ap]\.?m\b))"
               r"(?P<m>[0-5]\d)(?: ?(?P<ap>[ap])\.?m\b\.?)?(?![\w:]|\.\d)" + _NOT_A_MEASURE,
               re.IGNORECASE),
    # 9am, 10 p.m.
    re.compile(r"(?<![\w.:,+£$€-])(?P<h>1[0-2]|0?[1-9]) ?(?P<ap>[ap])\.?m\b\.?", re.IGNORECASE),
    # 0915 hrs, 2130h, 0915 hours
    re.compile(r"(?<![\w.:,+£$€-])(?P<h>[01]\d|2[0-3])(?P<m>[0-5]\d) ?(?:hrs|hours|h)\b",
               re.IGNORECASE),
)


@dataclass(frozen=True)
class Part:
    kind: str
    key: str  # "kind:canonical" — what every written form of the part shares
    term: str  # a readable form, for a reading that needs a tolerance (OCR)
    pattern: re.Pattern  # every written form, on normalised text
    # Letters or digits every written form contains (folded): a cheap pre-check;
    # empty when the forms share none (``3 cameras`` and ``three cameras``).
    probe: str
    # A number that is this part where an open field prints it alone (a watchlist size).
    number: re.Pattern | None = None

    def found_in(self, text: str) -> bool:
        """Whether ``text`` (normalised) prints this part: a number of three digits or
        more counts printed alone too."""
        return bool(self.pattern.search(text) or (self.number and self.number.search(text)))


def parts(text: str) -> list[Part]:
    """The distinctive parts of ``text``, each once."""
    norm = normalise(text).text
    out: dict[str, Part] = {}
    for part in (*_propers(norm), *_codes(norm), *_quantities(norm), *_times(norm)):
        out.setdefault(part.key, part)
    return list(out.values())


def part_of_key(key: str) -> Part | None:
    """The part whose ``key`` this is (``None`` for a key this version cannot read)."""
    kind, _, body = key.partition(":")
    try:
        if kind == PROPER:
            return _proper(body)
        if kind == CODE:
            letters, digits = body.split("|")
            return _code(letters, digits)
        if kind == QUANTITY:
            number, unit = body.split("|")
            return _quantity(number, unit)
        if kind == TIME:
            h, m = body.split(":")
            return _time(int(h), int(m))
    except (ValueError, KeyError):
        return None
    return None


# -- proper-noun phrases ---------------------------------------------------------
def _propers(text: str) -> Iterator[Part]:
    matches = list(_PROPER_RE.finditer(text))
    # Capitalised words written where no sentence starts: those are names for sure.
    named = {w.casefold() for m in matches if not _starts_sentence(text, m.start("phrase"))
             for w in m.group("phrase").split()}
    for m in matches:
        if RANK_AT_START_RE.match(m.group("phrase") + " ") or RANK_BEFORE_RE.search(
                text[max(0, m.start("phrase") - 48):m.start("phrase")]):
            continue  # a person: the rank rule decides, not s.31
        words = m.group("phrase").split()
        if _starts_sentence(text, m.start("phrase")) and words[0].casefold() not in named:
            words = words[1:]  # capitalised by grammar
            number = None
        else:
            number = m.group("number")
        while words and words[0].casefold() in _CONNECTORS:
            words = words[1:]
        while words and words[-1].casefold() in _CONNECTORS:
            words = words[:-1]
        if not words:
            continue
        phrase = " ".join(words)
        if number:
            yield _proper(f"{number.strip()} {phrase}")  # 14 North End, though North End is common
        if not all(w.casefold() in COMMON or w.casefold() in _CONNECTORS for w in words):
            yield _proper(phrase)


def _starts_sentence(text: str, at: int) -> bool:
    return bool(_SENTENCE_START.search(text[max(0, at - 4):at]))


@lru_cache(maxsize=4096)
def _proper(phrase: str) -> Part:
    tokens = re.findall(r"[^\W_]+", phrase)
    body = r"[\W_]{0,3}".join(re.escape(t) for t in tokens)
    first = tokens[0]
    if first[0].isalpha():
        # The capital is kept (Boots, BOOTS; not "boots"); the rest in any case.
        body = f"(?-i:{re.escape(first[0].upper())}){body[len(re.escape(first[0])):]}"
    pattern = re.compile(rf"(?<![^\W_]){body}(?![^\W_])", re.IGNORECASE)
    probe = max(tokens, key=len).casefold()
    return Part(PROPER, f"{PROPER}:{' '.join(tokens)}", " ".join(tokens), pattern, probe)


# -- codes and call signs ----------------------------------------------------------
def _codes(text: str) -> Iterator[Part]:
    seen: set[tuple[int, int]] = set()
    for rx in _CODE_RES:
        for m in rx.finditer(text):
            letters = m.group("letters").casefold()
            if m.span() in seen or letters in _NOT_CODES or _is_year(m.group("digits")):
                continue
            seen.add(m.span())
            yield _code(letters, m.group("digits"))


def _is_year(digits: str) -> bool:
    return len(digits) == 4 and digits[:2] in ("19", "20")


@lru_cache(maxsize=4096)
def _code(letters: str, digits: str) -> Part:
    letters, number = letters.casefold().replace("-", ""), str(int(digits))
    spelled = [letters]
    if letters in {w.replace("-", "") for w in PHONETIC}:
        spelled.append(letters[0])  # B-17 for Bravo 17
        if letters == "xray":
            spelled.append("x-ray")
    alternatives = "|".join(re.escape(s) for s in sorted(spelled, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w-])(?:{alternatives}){_SEP}0*{number}(?![\w-])", re.IGNORECASE)
    return Part(CODE, f"{CODE}:{letters}|{number}", f"{letters.upper()}-{number}", pattern, number)


# -- numbers with their units --------------------------------------------------------
def _quantities(text: str) -> Iterator[Part]:
    for m in _QUANTITY_RE.finditer(text):
        if m.group("number")[:1] == "0" and len(m.group("number")) > 1:
            continue  # 0915 hrs is a time
        value = _number_value(m.group("number"))
        unit = _UNIT_OF.get(m.group("unit").casefold())
        if value is None or unit is None or value in ("0", "1"):
            continue  # "one officer" says nothing of a deployment
        if m.group("unit") in ("m", "M") and not m.group("number")[0].isdigit():
            continue  # "one m" is no distance
        yield _quantity(value, unit)


def _number_value(text: str) -> str | None:
    text = text.casefold().replace(",", "")
    if text[0].isdigit():
        return text if "." in text else (text.lstrip("0") or "0")
    text = text.replace("-", " ")
    if text in _NUMBER_WORDS:
        return str(_NUMBER_WORDS.index(text))
    tens, _, unit = text.partition(" ")
    if tens in _TENS:
        return str(20 + 10 * _TENS.index(tens) + (_NUMBER_WORDS.index(unit) if unit else 0))
    return None


def _number_forms(value: str) -> str:
    """Every written form of a number: 12431, 12,431, 12 431; three for 3."""
    if "." in value:
        return re.escape(value)
    digits = value
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    forms = [r"[, ]?".join(groups)]
    n = int(value)
    if n < 20:
        forms.append(_NUMBER_WORDS[n])
    elif n < 100:
        tens = _TENS[n // 10 - 2]
        forms.append(tens + (rf"[- ]{_NUMBER_WORDS[n % 10]}" if n % 10 else ""))
    return "(?:" + "|".join(forms) + ")"


@lru_cache(maxsize=4096)
def _quantity(value: str, unit: str) -> Part:
    forms = _UNITS[unit]
    units = "|".join(sorted(map(re.escape, forms), key=len, reverse=True))
    number = _number_forms(value)
    pattern = re.compile(rf"(?<![\w.,-]){number}[ -]?(?:{units})(?![\w-])", re.IGNORECASE)
    # A number of three digits or more printed alone in an open field is the same count
    # (a watchlist of 12,431 and the watchlist size 12431).
    alone = (re.compile(rf"(?<![\w.,-]){number}(?![\w-]|[.,]\d)", re.IGNORECASE)
             if "." not in value and len(value) >= 3 else None)
    probe = value if len(value) >= 3 else ""
    return Part(QUANTITY, f"{QUANTITY}:{value}|{unit}", f"{value} {forms[0]}", pattern, probe, alone)


# -- clock times ------------------------------------------------------------------------
def _times(text: str) -> Iterator[Part]:
    for rx in _TIME_RES:
        for m in rx.finditer(text):
            groups = m.groupdict()
            h = int(next(groups[k] for k in ("h", "h2", "h3") if groups.get(k)))
            minutes = int(m.groupdict().get("m") or 0)
            ap = (m.groupdict().get("ap") or "").casefold()
            if ap:
                if h > 12 or h == 0:
                    continue
                h = h % 12 + (12 if ap == "p" else 0)
            yield _time(h, minutes)


@lru_cache(maxsize=4096)
def _time(h: int, m: int) -> Part:
    mm = f"{m:02d}"
    h12, ap = (h % 12 or 12), ("a" if h < 12 else "p")
    ampm = rf" ?{ap}\.?m\b\.?"
    # The 12-hour form first: "1.00 a.m." whole, not "1.00" and its "a.m." left behind.
    forms = [rf"0?{h12}(?:[:.]{mm}){'?' if m == 0 else ''}{ampm}",
             rf"0?{h}[:.]{mm}(?: ?hrs\b| ?hours\b)?" if h < 10 else rf"{h}[:.]{mm}(?: ?hrs\b| ?hours\b)?",
             rf"{h:02d}{mm} ?(?:hrs|hours|h)\b"]
    pattern = re.compile(rf"(?<![\w.:,+£$€-])(?:{'|'.join(forms)})(?![\w:]|\.\d){_NOT_A_MEASURE}",
                         re.IGNORECASE)
    return Part(TIME, f"{TIME}:{h:02d}:{mm}", f"{h:02d}:{mm}", pattern, "")


def published_text(texts: Iterable[str]) -> list[str]:
    """``texts`` normalised, for ``Part.found_in``."""
    return [normalise(t).text for t in texts if t]
