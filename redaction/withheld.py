"""Values withheld somewhere, matched everywhere.

Once a field's class, a censor rule, a detector or the name register withholds
a value, every other occurrence of it in the same copy is withheld too. A value
is matched on normalised text (``normalise``), case-insensitively, as a whole
word, with any punctuation or spacing between its words and any separators
between its digits (``07700 900123`` also finds ``07700-900-123``). A person's
name brings its partial forms: first name and surname, initial and surname,
and the surname alone when written with a capital (``Smith``, ``PC Smith``,
``J. Smith``). A person withheld in the copy itself (not only known from the
register of other CIAs) brings all the forms a reader would recognise them by:
the forename alone and each part of a hyphenated name (with a capital),
initials with or without dots (``O.Q.``, ``OQ``), and the handles and e-mail
local parts people build from their names (``bfenwickosei``, ``b.fenwick``,
``fenwickb``, trailing digits allowed). Possessives follow from matching whole
words (``Fenwick-Osei's``). Dates bring their usual written forms. An s.31 value
brings its distinctive parts (``parts``: a shop, a call sign, a camera count, a
time), each in every written form, unless an open field that publishes the
deployment prints the same part (``add_parts``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Iterable

import ahocorasick
import phonenumbers

from cia_redaction import parts as s31_parts
from cia_redaction.detectors import NOT_NAMES, POSTCODE_RE, RANK_OR_TITLE, Hit
from cia_redaction.normalise import Normalised, compact, fold, normalise

# A value shorter than this (letters and digits) is not looked for elsewhere:
# "4" or "AB" would withhold every occurrence of a common token.
MIN_CHARS = 3
MIN_SURNAME = 2
_TOKENS = re.compile(r"[^\W_]+|[\W_]+")
_TITLE_WORDS = re.compile(rf"^(?:(?:{RANK_OR_TITLE})\.?\s+)+")
_ENUM_KEY = re.compile(r"^[a-z]+(?:_[a-z]+)*$")
_COLLAR = re.compile(r"\b\d{1,6} ?[A-Z]{0,2}\b")
_HOUSE_NUMBER = re.compile(r"^(?:flat|apartment|unit)?\s*\d+[a-z]?\b[\s,]*", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    key: str  # the folded form: one entry per written form
    pattern: re.Pattern
    probe: str  # its longest run of letters or digits, folded: a cheap pre-check
    exemption: str
    reason: str
    source: str
    term: str = ""  # a readable form when the key is not one (a part's)
    detector: str = "withheld_value"


# An s.31 value's part is keyed by its kind and canonical form ("§code:bravo|17").
PART_KEY = "§"
PART_DETECTOR = "withheld_part"
PART_REASON = ("A place, call sign, count or time of a value withheld elsewhere, found in free "
               "text:")

# Forms of a name: what the register knows of a person named in another CIA, or
# every form a reader of this copy would know them by.
REGISTER_FORMS, ALL_FORMS = "register", "all"
# Capitalised words that are a forename or a name part but also ordinary words
# of a CIA: withholding them alone would redact dates and headings.
_COMMON_WORDS = frozenset("""
January February March April May June July August September October November December
Monday Tuesday Wednesday Thursday Friday Saturday Sunday Will Mark Grace Hope Joy Faith
Rose Holly Ivy Dawn Summer Autumn Page Young Brown Green White Black Gold Silver Bronze
North South East West Street Road Hill Park Lane Church King Queen Prince Hall Bell Ward
Chief Police Court Law Long Short Little Said Love Case Rich Hart Cross Field Wood
""".split())
# Initials that are also the abbreviations a CIA uses: never withheld bare.
_ACRONYMS = frozenset("""
AC AM BB BC BID CC CI DC DI DS EU GP HM ID IT KC MA MP NI OK PC PM PS QC SC TV UK US
ACC CCTV CIA CPS DAC DCC DCI DCS DPA DPIA EIA FAQ FOI IAG ICO LFR MPS NHS ONS PCSO PSO SNB
SOP TDC TDS TFL BBC ITV
""".split())


class WithheldSet:
    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._index: _ProbeIndex | None = None  # built on the first find after a change
        self._released: set[str] = set()
        self.names: list[str] = []  # withheld names, for the register
        # Folded names and forms no release term may release (children).
        self.children: set[str] = set()

    def __len__(self) -> int:
        return len(self._entries)

    def release_name(self, name: str) -> None:
        """A name the rank rule releases in this copy: never withheld by its other forms."""
        if fold(name) in self.children:
            return
        self._released.add(fold(name))
        for key in [k for k in self._entries if k == fold(name)]:
            del self._entries[key]
            self._index = None

    def is_released(self, name: str) -> bool:
        """Whether the rank rule released ``name`` in this copy (or the person whose
        surname it is): what the name model finds there stays open."""
        key = fold(name)
        return key in self._released or any(
            released.rsplit(" ", 1)[-1] == key for released in self._released)

    def add(self, value: Any, exemption: str, reason: str, source: str) -> None:
        """Withhold ``value`` (text, number, date, or a structure of them) everywhere."""
        for form in _forms(value):
            self._add_text(form, exemption, reason, source)

    def add_name(self, name: str, exemption: str, reason: str, source: str,
                 forms: str = ALL_FORMS, child: bool = False) -> None:
        words = _name_words(name)
        if not words:
            self.add(name, exemption, reason, source)
            return
        full = " ".join(words)
        if fold(full) in self._released and not child:
            return
        if child:
            self.children.add(fold(full))
        self.names.append(full)
        self._add_text(name, exemption, reason, source)
        self._add_text(full, exemption, reason, source)
        surname = words[-1]
        if len(words) > 1:
            self._add_text(f"{words[0]} {surname}", exemption, reason, source)
            self._add_text(f"{words[0][0]} {surname}", exemption, reason, source, min_chars=MIN_SURNAME)
        if len(compact(surname)) >= MIN_SURNAME and surname not in NOT_NAMES:
            self._add_text(surname, exemption, reason, source, capitalised=True,
                           min_chars=MIN_SURNAME)
        if forms == ALL_FORMS:
            self._add_all_forms(words, exemption, reason, source)

    def _add_all_forms(self, words: list[str], exemption: str, reason: str, source: str) -> None:
        if all(len(w) == 1 for w in words[:-1]) and len(words) > 1:
            forenames = []  # "J. Smith": no forename to withhold alone
        else:
            forenames = words[:-1]
        surname = words[-1]
        # Each forename and each part of a hyphenated name, alone, with a capital.
        parts = [p for w in (*forenames, surname) for p in ([w] + w.split("-") if "-" in w else [w])]
        for part in dict.fromkeys(parts):
            if (len(compact(part)) >= MIN_CHARS and part.replace("'", "").isalpha()
                    and part not in NOT_NAMES and part not in _COMMON_WORDS):
                self._add_text(part, exemption, reason, source, capitalised=True)
        if len(words) < 2:
            return
        # Initials, with or without dots: O.Q., O. Q., OQ (bare only when not an abbreviation).
        initials = [p[0].upper() for w in words for p in w.split("-") if p[:1].isalpha()]
        # All of them, the first and last, and the first and the surname's first (B.F. of
        # Bernadette Fenwick-Osei).
        for letters in dict.fromkeys(("".join(initials), initials[0] + initials[-1],
                                      initials[0] + surname[0].upper())):
            if len(letters) >= 2:
                self._add_initials(letters, exemption, reason, source)
        # Handles and e-mail local parts built from the name.
        first = forenames[0].lower() if forenames else words[0].lower()
        i = first[0]
        for last in dict.fromkeys((surname.lower().replace("-", ""), surname.lower().split("-")[0],
                                   surname.lower())):
            if not last:
                continue
            for form in (f"{first}{last}", f"{first}.{last}", f"{first}_{last}", f"{i}{last}",
                         f"{i}.{last}", f"{i}_{last}", f"{last}{i}", f"{last}.{i}", f"{last}{first}",
                         f"{last}.{first}", f"{first}{last[0]}", f"{first}.{last[0]}"):
                if len(compact(form)) >= 5:
                    self._add_text(form, exemption, reason, source, handle=True)

    def _add_text(self, text: str, exemption: str, reason: str, source: str, *,
                  capitalised: bool = False, min_chars: int = MIN_CHARS, handle: bool = False) -> None:
        text = normalise(text).text.strip()
        body = _strip_edges(text)
        probe = _probe(body)
        if len(compact(body)) < min_chars or not probe:
            return
        key = ("^" if capitalised else "") + body.casefold()
        if key in self._entries or body.casefold() in self._released:
            return
        self._put(Entry(key, _pattern(body, capitalised, handle), probe, exemption, reason, source))

    def _put(self, entry: Entry) -> None:
        self._entries[entry.key] = entry
        self._index = None

    def add_parts(self, value: Any, exemption: str, reason: str, source: str,
                  published: Iterable[str] = ()) -> None:
        """The distinctive parts of ``value`` (an s.31 text or a structure of them), each
        withheld wherever it appears, in every written form; not a part that one of the
        ``published`` texts (what the open fields publishing the deployment print: its
        place, times and counts) prints too."""
        published = s31_parts.published_text(published)
        # The log says it was found in other words, not that the field is here.
        reason = f"{PART_REASON} {reason}"
        for text in _strings(value):
            for part in s31_parts.parts(text):
                if not any(part.found_in(t) for t in published):
                    self._add_part(part, exemption, reason, source)

    def _add_part(self, part: s31_parts.Part, exemption: str, reason: str, source: str) -> None:
        key = PART_KEY + part.key
        if key not in self._entries:
            self._put(Entry(key, part.pattern, part.probe, exemption, reason, source, part.term,
                            PART_DETECTOR))

    def values(self) -> list[tuple[str, str, str]]:
        """Each withheld written form, folded, with its exemption and reason: what a
        reading that cannot match exactly (OCR's) compares with."""
        return [(fold(e.term) if e.term else e.key.lstrip("^"), e.exemption, e.reason)
                for e in self._entries.values()]

    def find(self, norm: Normalised, folded_compact: str | None = None) -> list[Hit]:
        if not self._entries:
            return []
        haystack = folded_compact if folded_compact is not None else compact(norm.text)
        if self._index is None:
            self._index = _ProbeIndex(list(self._entries.values()))
        hits = []
        for entry in self._index.candidates(haystack):
            for m in entry.pattern.finditer(norm.text):
                hits.append(Hit(m.start(), m.end(), entry.detector, entry.exemption,
                                entry.reason))
        return hits

    # -- a person in every form they may be written in -------------------------
    def add_person(self, name: str, exemption: str, reason: str, source: str, *,
                   email: str | None = None, address: str | None = None,
                   phone: str | None = None) -> None:
        """``add_name`` and what a letter to or from them carries: the forename alone
        (with a capital), the initials (in capitals, with or without dots), the e-mail
        address and its local part, the postal address with each of its lines, its
        postcode and its street without the house number, and the phone number as
        written at home and abroad."""
        if name:
            self.add_name(name, exemption, reason, source)
            words = _name_words(name)
            parts = re.split(r"[\s-]+", " ".join(words))
            # The forename alone, and each part of a double-barrelled surname.
            for part in {words[0], *parts[1:]} if len(parts) > 1 else ():
                if part not in NOT_NAMES and part not in _MONTHS:
                    self._add_text(part, exemption, reason, source, capitalised=True,
                                   min_chars=MIN_SURNAME)
            # "Z.Q." and, for a double-barrelled name, "Z.Q.R." too.
            for written in (words, parts):
                initials = [w[0] for w in written if w[:1].isalpha()]
                if len(initials) >= 2:
                    self._add_initials(initials, exemption, reason, source)
        if email:
            self.add(email, exemption, reason, source)
            self.add(email.rpartition("@")[0], exemption, reason, source)
        if address:
            self.add(address, exemption, reason, source)
            # The postcode alone too: the pass may not otherwise withhold it where the
            # force's own wording prints the same one (Redactor.approve_wording).
            for postcode in POSTCODE_RE.finditer(normalise(address).text):
                self.add(postcode.group(), exemption, reason, source)
            for line in re.split(r"\s*(?:[,;\n])\s*", address):
                self.add(line, exemption, reason, source)
                street = _HOUSE_NUMBER.sub("", line)
                if street != line and len(street.split()) >= 2:
                    self.add(street, exemption, reason, source)
        if phone:
            for form in _phone_forms(phone):
                self.add(form, exemption, reason, source)

    def _add_initials(self, initials: list[str], exemption: str, reason: str,
                      source: str) -> None:
        letters = [normalise(i).text.upper() for i in initials]
        key = "=" + "".join(letters)
        if key in self._entries:
            return
        # Capitals only: "ZQ" or "Z.Q." is the person, "zq" in a code is not. Initials
        # that are also an abbreviation of a CIA (PC, DI, IAG) are the person only with
        # their dots: "PC" alone is a constable.
        dot = r"\." if "".join(letters) in _ACRONYMS else r"\.?"
        pattern = re.compile(r"(?<![^\W_])" + (dot + r"\s?").join(map(re.escape, letters))
                             + r"\.?(?![^\W_])")
        self._put(Entry(key, pattern, "".join(letters).casefold(), exemption, reason, source))

    # -- what one output withheld, for another to withhold too -------------------
    def export(self) -> list[tuple[str, str, str, str]]:
        """Every written form withheld, as ``(key, exemption, reason, source)``: what
        ``add_key`` takes to withhold it again in another output."""
        return [(e.key, e.exemption, e.reason, e.source) for e in self._entries.values()]

    def add_key(self, key: str, exemption: str, reason: str, source: str) -> None:
        if key.startswith(PART_KEY):
            part = s31_parts.part_of_key(key[len(PART_KEY):])
            if part is not None:
                self._add_part(part, exemption, reason, source)
        elif key.startswith("="):
            self._add_initials(list(key[1:]), exemption, reason, source)
        else:
            self._add_text(key.lstrip("^"), exemption, reason, source,
                           capitalised=key.startswith("^"), min_chars=MIN_SURNAME)


class _ProbeIndex:
    """Which entries' probes occur in a text, found in one pass over it (an
    Aho-Corasick automaton of every probe) rather than one search per entry: a copy
    holds hundreds of withheld forms and meets each of its texts twice."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self.always = [i for i, e in enumerate(entries) if not e.probe]  # found in any text
        self.automaton = ahocorasick.Automaton()
        for i, entry in enumerate(entries):
            if entry.probe:
                found = self.automaton.get(entry.probe, None)
                if found is None:
                    self.automaton.add_word(entry.probe, [i])
                else:
                    found.append(i)
        if len(self.automaton):
            self.automaton.make_automaton()

    def candidates(self, haystack: str) -> list[Entry]:
        """The entries whose probe ``haystack`` holds, in the order they were added
        (of two hits on one span, the first is logged)."""
        found = set(self.always)
        if len(self.automaton) and haystack:
            for _end, indexes in self.automaton.iter(haystack):
                found.update(indexes)
        return [self.entries[i] for i in sorted(found)]


def _name_words(name: str) -> list[str]:
    text = normalise(name).text.strip()
    text = _TITLE_WORDS.sub("", text, count=1)
    text = _COLLAR.sub(" ", text)
    # A hyphen or apostrophe at a word's edge joins nothing ("Mbeki- -Harte", a name
    # broken over a line at its own hyphen): the word is what is between.
    words = (w.strip("-'") for w in re.split(r"[\s.,]+", text))
    return [w for w in words if any(c.isalpha() for c in w)]


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _strip_edges(text: str) -> str:
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]


def _probe(text: str) -> str:
    runs = [r for r in re.findall(r"[^\W_]+", text.casefold())]
    return max(runs, key=len) if runs else ""


@lru_cache(maxsize=8192)  # the same forms recur in every copy (the register's names above all)
def _pattern(body: str, capitalised: bool, handle: bool = False) -> re.Pattern:
    parts = []
    for i, tok in enumerate(_TOKENS.findall(body)):
        if tok[0].isalnum():
            if tok.isdigit():
                parts.append(r"[ .,/-]?".join(tok))
            elif capitalised and i == 0 and tok[0].upper() != tok[0].lower():
                parts.append(f"(?-i:{re.escape(tok[0].upper())}){re.escape(tok[1:])}")
            else:
                parts.append(re.escape(tok))
        else:
            parts.append(r"[\W_]{0,3}")
    if body.isdigit():
        # A number is not part of a larger one written with separators
        # (431 is not in 12,431 or 0.431).
        return re.compile(r"(?<![^\W_])(?<!\d[,.])" + "".join(parts) + r"(?![^\W_])(?![,.]\d)")
    if handle:
        # A handle may carry digits after the name (bfenwickosei77).
        return re.compile(r"(?<![^\W_])" + "".join(parts) + r"\d{0,4}(?![^\W_])", re.IGNORECASE)
    return re.compile(r"(?<![^\W_])" + "".join(parts) + r"(?![^\W_])", re.IGNORECASE)


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _date_forms(d: date) -> list[str]:
    month = _MONTHS[d.month - 1]
    return [d.isoformat(), f"{d.day} {month} {d.year}", f"{_ordinal(d.day)} {month} {d.year}",
            f"{d.day} {month[:3]} {d.year}", f"{month} {d.day}, {d.year}",
            f"{d:%d/%m/%Y}", f"{d.day}/{d.month}/{d.year}", f"{d:%d.%m.%Y}"]


def _forms(value: Any) -> Iterable[str]:
    """Written forms of a withheld value."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, dict):
        for v in value.values():
            yield from _forms(v)
        return
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _forms(v)
        return
    if isinstance(value, datetime):
        yield value.isoformat()
        yield from _date_forms(value.date())
        return
    if isinstance(value, date):
        yield from _date_forms(value)
        return
    if isinstance(value, (int, float)):
        text = f"{value:g}" if isinstance(value, float) else str(value)
        if sum(c.isdigit() for c in text) >= MIN_CHARS:
            yield text
        return
    text = str(value)
    if _ENUM_KEY.match(text):
        return  # a key from a fixed list (wanted_by_courts), not a specific value
    parsed = _as_date(text)
    if parsed is not None:
        yield from _forms(parsed)
    yield text
    # Long texts: each line and sentence is withheld on its own too, so a
    # sentence quoted elsewhere is found without the rest.
    if len(text) > 40:
        for piece in re.split(r"(?:\n+|(?<=[.!?;])\s+)", text):
            if len(piece.strip()) >= 16:
                yield piece.strip()


def _as_date(text: str) -> date | datetime | None:
    if not (8 <= len(text) <= 40 and text[:4].isdigit()):
        return None
    try:
        return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None


def _phone_forms(phone: str) -> list[str]:
    """The number as given, and its national and international forms."""
    forms = [phone]
    try:
        number = phonenumbers.parse(phone, "GB")
    except phonenumbers.NumberParseException:
        return forms
    for fmt in (phonenumbers.PhoneNumberFormat.NATIONAL,
                phonenumbers.PhoneNumberFormat.INTERNATIONAL):
        forms.append(phonenumbers.format_number(number, fmt))
    return forms
