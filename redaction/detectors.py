"""Detectors of UK personal data in free text.

Each detector runs on normalised text (``normalise.normalise``) and yields
``Hit``s: a span of that text, the detector's name and why it is withheld.
Phone numbers are found by libphonenumber's matcher (``phonenumbers``), IP
addresses are confirmed by ``ipaddress``; the other forms (e-mails written
out as ``name at met dot police dot uk``, postcodes, vehicle registration
marks, National Insurance numbers, dates of birth in context, collar and
warrant numbers, names after a rank or title) are patterns of their
official formats, with look-alikes (years, times, thresholds, operation
references, IC codes) kept out by the tests' corpus.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

from cia_redaction import addresses, children
from cia_redaction.names import PersonRecogniser
from cia_redaction.vocabulary import MARKER_WORDS, S40
from cia_redaction.ranks import RANK_LABELS, rank_level

PERSONAL = "personal information (FOIA s.40(2)&(3))."


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    detector: str
    exemption: str = S40
    reason: str = ""
    # For names: the name itself, which the caller withholds everywhere else.
    name: str | None = None
    # For the model: its confidence (0-1); None for a pattern.
    score: float | None = None
    # Whether an FOI officer's release term may release it (never a child).
    releasable: bool = False


_DIGIT = re.compile(r"\d")
_SEEN_MAX = 20_000


def _reason(what: str) -> str:
    return f"{what} found in free text: {PERSONAL}"


# -- e-mail addresses, plain and written out ---------------------------------
_LABEL = r"[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?"
_WORD_DOT = r"(?:\s?[(\[{<]\s?dot\s?[)\]}>]\s?|\sdot\s)"
_WORD_AT = r"(?:\s?[(\[{<]\s?at\s?[)\]}>]\s?|\sat\s)"


def _email_re(at: str, dot: str, local_dot: str | None = None) -> re.Pattern:
    local = rf"[a-z0-9_%+'-]+(?:{local_dot or dot}[a-z0-9_%+'-]+)*"
    return re.compile(rf"(?<![\w.+-]){local}{at}{_LABEL}(?:{dot}{_LABEL})*{dot}[a-z]{{2,24}}(?![\w-])",
                      re.IGNORECASE)


# A dot before the @: bare, or with a space before it ("jo . bloggs", "jo .bloggs"),
# never with a space after it alone: "the team. jo@met.police.uk" is a sentence's end
# before an address, not part of it.
_LOCAL_DOT = r"(?:\.(?!\s)|\s\.\s?)"
EMAIL_RES = (
    # name@met.police.uk, with spaces around the @ or the dots, or dots written out.
    _email_re(r"\s?@\s?", rf"(?:\s?\.\s?|{_WORD_DOT})", rf"(?:{_LOCAL_DOT}|{_WORD_DOT})"),
    # name at met dot police dot uk, name(at)met.police.uk, name [at] met [dot] police [dot] uk.
    _email_re(_WORD_AT, rf"(?:\.|{_WORD_DOT})"),
)

# -- phone numbers -------------------------------------------------------------
# Where a number may be: a run of digits with the separators people type.
_PHONE_CANDIDATE = re.compile(r"[+(]?\d[\d ()./\-]{6,}\d")
_PHONE_REGION = "GB"

# -- postcodes (the format of the Royal Mail's postcode address file) ----------
POSTCODE_RE = re.compile(
    r"(?<![\w-])(?:GIR ?0AA|(?:[A-PR-UWYZ](?:\d{1,2}|[A-HK-Y]\d{1,2}|\d[A-HJKPSTUW]|[A-HK-Y]\d[ABEHMNPRV-Y]))"
    r" ?\d[ABD-HJLNP-UW-Z]{2})(?![\w-])",
    re.IGNORECASE)

# -- vehicle registration marks: current, prefix and suffix formats -------------
VRM_RES = (
    re.compile(r"(?<![\w-])[A-HJ-PR-Y][A-HJ-PR-Y]\d{2} ?[A-HJ-PR-Z]{3}(?![\w-])", re.IGNORECASE),
    re.compile(r"(?<![\w-])[A-HJ-NP-Y]\d{1,3} ?[A-Z]{3}(?![\w-])"),
    re.compile(r"(?<![\w-])[A-Z]{3} ?\d{1,3}[A-HJ-NP-Y](?![\w-])"),
)

# -- National Insurance numbers: two letters, six digits, a suffix A-D ------------
# (any prefix: HMRC's own examples use QQ, which real numbers never do)
NINO_RE = re.compile(
    r"(?<![\w-])[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\w-])",
    re.IGNORECASE)

# -- dates of birth: a date after words that say it is one ----------------------
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|"
          r"aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE = (rf"(?:\d{{1,2}}[/.\- ]\d{{1,2}}[/.\- ]\d{{2,4}}|\d{{4}}-\d{{1,2}}-\d{{1,2}}|"
         rf"\d{{1,2}}(?:st|nd|rd|th)?(?: of)? {_MONTH},? \d{{2,4}}|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{2,4}})")
DOB_RE = re.compile(
    rf"(?:\bd\.? ?o\.? ?b\b\.?|\bdate of birth\b|\bbirth ?date\b|\bborn(?: on)?\b|\bb\. )"
    rf"(?:\s?(?:is|was|of|:|-)\s?)*\s?(?P<date>{_DATE})",
    re.IGNORECASE)

# -- IP addresses ---------------------------------------------------------------
IPV4_RE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
IPV6_RE = re.compile(r"(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})(?![\w:])",
                     re.IGNORECASE)

# -- collar and warrant numbers (MPS forms by default; configurable) --------------
DEFAULT_COLLAR_PATTERNS = (
    # After a rank: PC 4471CD, PS 123AB, DC 2211, TDC 190XY.
    r"(?<![\w-])(?:PC|PS|DC|DS|TDC|TDS|SC|PCSO|Sgt|Insp)\.? ?(?P<number>\d{1,6} ?[A-Z]{0,2})(?![\w-])",
    # Said to be one: collar number 4471, warrant no. 123456, shoulder number 221CD.
    r"(?i:(?:collar|warrant|shoulder|epaulette)(?: card)?(?: number| no\.?| num\.?| #)?)"
    r"\s?[:#]?\s?(?P<number>[A-Z]{0,2}\d{2,8}[A-Z]{0,2})(?![\w-])",
    # An MPS collar number on its own: digits and a borough code (4471CD).
    r"(?<![\w.,:/-])(?P<number>\d{1,6}(?!ST|ND|RD|TH|AM|PM|HR|KM|MM|CM|KG|MB|GB|KB)[A-Z]{2})(?![\w-])",
)

# -- names after a police rank or a title ------------------------------------------
# (written form, rank) — the rank decides whether the name is released.
_RANK_FORMS: tuple[tuple[str, str], ...] = (
    (r"Police Constable|Detective Constable|Special Constable|Constable|PC|DC|TDC|SC|WPC", "constable"),
    (r"PCSO|Police Community Support Officer", "police_staff"),
    (r"Detective Sergeant|Police Sergeant|Sergeant|Sgt|PS|DS|TDS|WPS", "sergeant"),
    (r"Detective Chief Inspector|Chief Inspector|Ch\.? ?Insp|DCI|CI", "chief_inspector"),
    (r"Detective Inspector|Inspector|Insp|DI", "inspector"),
    (r"Detective Chief Superintendent|Chief Superintendent|Ch\.? ?Supt|DCS|CSupt|C/Supt", "chief_superintendent"),
    (r"Detective Superintendent|Superintendent|Det\.? ?Supt|Supt|DSU|DSupt", "superintendent"),
    (r"Deputy Assistant Commissioner|DAC", "deputy_assistant_commissioner"),
    (r"Assistant Commissioner|AC", "assistant_commissioner"),
    (r"Deputy Commissioner", "deputy_commissioner"),
    (r"Commissioner", "commissioner"),
    (r"Commander|Cdr|Cmdr", "commander"),
    (r"Assistant Chief Constable|ACC", "assistant_chief_constable"),
    (r"Deputy Chief Constable|DCC", "deputy_chief_constable"),
    (r"Chief Constable|CC", "chief_constable"),
    # Titles: people outside the police; never released by the rank rule.
    (r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Rev|Revd|Reverend|Cllr|Councillor|Lord|Lady", "police_staff"),
)
_NAME_WORD = r"[A-Z][a-zA-Z]*(?:['-][A-Z]?[a-zA-Z]+)*"
NOT_NAMES = frozenset("""
The A An And Or Of For To In On At By With From Team Teams Unit Units Officer Officers Lead
Leads Role Roles Staff Office Group Board Service Services Police Met Metropolitan Borough Ward
Council Community Command Commands Operation Operations Department Dept Rank Ranks Station
Response Patrol Patrols Local Neighbourhood Neighbourhoods Safer Event Events Duty Duties
Will Would Should Must May Can Could Shall All Any Each Every Other Others This That These
Those Who Whom Whose Which Where When What Why How On-Call Gold Silver Bronze Note Notes
""".split()) | MARKER_WORDS
# Of those, the ones that are common surnames too: after a rank they are read as one.
SURNAMES_TOO = frozenset("Ward May Will Gold Silver Bronze Lead Hall Duty".split()) & NOT_NAMES
# Words that make a span the model took for a person a place or a body instead.
NOT_PERSON_WORDS = NOT_NAMES | frozenset(addresses.STREET_WORDS) | frozenset("""
Centre Center Station Library School Academy College University Hospital Church Mosque Temple
Synagogue Gurdwara Hall Market Shop Shops Store Stores Ltd Limited Plc Association Trust
Partnership Society Club Forum Network Alliance Foundation Campaign Project Programme Estate
House Tower Court Parish Town City County District Ward Wards Borough Boroughs Council Councils
Street Road Bridge Square Park Gardens Line Bus Tram Overground Underground Rail Airport Mall
Advisory Independent Panel Committee Authority Agency Commission Office Ministry Home Fire
Ambulance NHS BID Business Improvement Watch Residents Tenants Youth Faith Interfaith LFR CCTV
IC IAG PCSO ANPR FOI ICO MPS BTP DPIA CIA EIA SIO NPCC APP NCA
Operation Op Kestrel Bravo Alpha Charlie Delta Echo Foxtrot Lima Sierra Tango Zulu
""".split())
# Street words that end a street's name and no surname (Hill, Wood, Lane and Green do both).
_STREET_ENDINGS = frozenset(addresses.STREET_WORDS) - frozenset(
    "Dr St Hill Wood Lane Green Park Dale Field Fields Hall Croft Mead Ridge Gate Side Grove "
    "Vale Rise Meadow Orchard Strand Chase".split())
RANK_OR_TITLE = "|".join(forms for forms, _ in _RANK_FORMS)
_RANK_ALTERNATION = "|".join(f"(?P<r{i}>{forms})" for i, (forms, _) in enumerate(_RANK_FORMS))
NAME_AFTER_RANK_RE = re.compile(
    rf"(?<![\w'-])(?:{_RANK_ALTERNATION})\.?"
    rf"(?: (?:\d{{1,6}} ?[A-Z]{{0,2}})(?= ))?"  # a collar number between rank and name
    rf" (?P<name>(?:[A-Z]\.? ?){{0,2}}{_NAME_WORD}(?: {_NAME_WORD}){{0,2}})(?![\w'-])")
# A rank or title right before a name (the model's span starts after it, or holds it).
RANK_BEFORE_RE = re.compile(
    rf"(?<![\w'-])(?:{_RANK_ALTERNATION})\.?(?: \d{{1,6}} ?[A-Z]{{0,2}})? $")
RANK_AT_START_RE = re.compile(rf"(?:(?:{RANK_OR_TITLE})\.? )+")
# A name said with an age under 18 that the model may not tag: "Jade Brown, 14,".
NAME_WITH_AGE_RE = re.compile(rf"(?<![\w'-]){_NAME_WORD}(?: {_NAME_WORD}){{0,2}}"
                              rf"(?= ?\((?:aged? )?\d|, (?:aged )?\d{{1,2}},|,? aged )")
CHILD_REASON = ("A child (named with an age under 18, or described as a child or pupil): personal "
                "information (FOIA s.40(2)&(3)), always withheld.")
MODEL_REASON = f"Name of a person found in free text by the name model: {PERSONAL}"


class Detectors:
    """The configured detectors; ``find`` runs them all over normalised text."""

    def __init__(self, rank_cutoff: str = "superintendent",
                 collar_patterns: Iterable[str] = DEFAULT_COLLAR_PATTERNS,
                 people: PersonRecogniser | None | bool = True):
        self.cutoff_level = rank_level(rank_cutoff)
        self.cutoff_label = RANK_LABELS.get(rank_cutoff, rank_cutoff)
        self.collar_res = [re.compile(p) for p in collar_patterns]
        # The name model; False: names after a rank or title only.
        self.people = PersonRecogniser() if people is True else (people or None)
        self.review_below = self.people.review_below if self.people else 0.0
        self._seen: dict[str, list[Hit]] = {}
        self._persons: dict[str, list[Hit]] = {}

    def find(self, text: str) -> list[Hit]:
        # Most texts of a copy recur in every copy (the template's wording, common
        # phrases): what the detectors found in a text is kept, for a while.
        hits = self._seen.get(text)
        if hits is None:
            if len(self._seen) >= _SEEN_MAX:
                self._seen.clear()
            hits = self._seen[text] = self._find(text)
        return hits

    def _find(self, text: str) -> list[Hit]:
        hits: list[Hit] = list(self.emails(text))
        if _DIGIT.search(text):
            # Every other form but a name has a digit in it.
            for detect in (self.phones, self.postcodes, self.vrms, self.ninos,
                           self.dates_of_birth, self.ip_addresses, self.collar_numbers,
                           self.addresses):
                hits.extend(detect(text))
        hits.extend(self.persons(text))
        return hits

    def prepare(self, texts: Iterable[str]) -> None:
        """Run the name model over many texts at once (what ``find`` then reads)."""
        if self.people is not None:
            self.people.prepare(texts)

    def persons(self, text: str) -> list[Hit]:
        """People named in ``text``: after a rank or title below the cut-off, found by
        the model (unless a rank at or above the cut-off releases them), and children."""
        hits = self._persons.get(text)
        if hits is None:
            if len(self._persons) >= _SEEN_MAX:
                self._persons.clear()
            hits = self._persons[text] = self._find_persons(text)
        return hits

    def _find_persons(self, text: str) -> list[Hit]:
        out: list[Hit] = []
        for hit in [*self.names(text), *self.model_names(text)]:
            span = children.child_span(text, hit.start, hit.end)
            if span is not None:
                hit = Hit(span[0], span[1], "child", reason=CHILD_REASON,
                          name=text[hit.start:hit.end], score=1.0)
            out.append(hit)
        for start, end in children.named_children(text):
            if not any(h.start <= start and end <= h.end for h in out):
                out.append(Hit(start, end, "child", reason=CHILD_REASON, name=text[start:end],
                               score=1.0))
        if _DIGIT.search(text):
            for m in NAME_WITH_AGE_RE.finditer(text):
                words = m.group().split()
                if words[0] in NOT_PERSON_WORDS or any(w in NOT_PERSON_WORDS for w in words):
                    continue
                span = children.child_span(text, m.start(), m.end())
                if span is not None:
                    out.append(Hit(span[0], span[1], "child", reason=CHILD_REASON,
                                   name=m.group(), score=1.0))
        return out

    def model_names(self, text: str) -> Iterator[Hit]:
        if self.people is None:
            return
        for f in self.people.analyse(text):
            start, end = f.start, f.end
            lead = RANK_AT_START_RE.match(text, start, end)
            if lead is not None:
                start = lead.end()  # "Superintendent Ann Jones": the rank is not the name
            start, end = _without_marker_words(text, start, end)
            words = text[start:end].replace(".", " ").split()
            if (not words or any(w.strip("'") in NOT_PERSON_WORDS for w in words)
                    or _DIGIT.search(text, start, end) or not words[0][:1].isupper()
                    # An abbreviation beside ordinary words: a body ("Dagenham IAG").
                    or (len(words) > 1 and any(w.isupper() and len(w) > 1 for w in words)
                        and not all(w.isupper() for w in words))):
                continue
            rank = RANK_BEFORE_RE.search(text, max(0, start - 48), start)
            if rank is not None:
                level = rank_level(next(_RANK_FORMS[int(k[1:])][1] for k, v in rank.groupdict().items()
                                        if k.startswith("r") and v is not None))
                if level >= self.cutoff_level:
                    continue  # the rank rule releases it, whatever the model says
            yield Hit(start, end, "person_model", reason=MODEL_REASON, name=text[start:end],
                      score=f.score, releasable=True)

    @staticmethod
    def addresses(text: str) -> Iterator[Hit]:
        for start, end in addresses.find(text):
            yield Hit(start, end, "address", reason=addresses.REASON, releasable=True)

    # Each detector is a generator of hits over normalised text.
    @staticmethod
    def emails(text: str) -> Iterator[Hit]:
        lowered = text.lower()
        if "@" in text:
            yield from _hits(EMAIL_RES[0], text, "email", _reason("E-mail address"))
        if "at" in lowered and ("dot" in lowered or "." in text):
            yield from _hits(EMAIL_RES[1], text, "email", _reason("E-mail address"))

    @staticmethod
    def phones(text: str) -> Iterator[Hit]:
        for cand in _PHONE_CANDIDATE.finditer(text):
            lo = max(0, cand.start() - 1)
            chunk = text[lo:cand.end()]
            for m in PhoneNumberMatcher(chunk, _PHONE_REGION, leniency=Leniency.POSSIBLE):
                start, end = lo + m.start, lo + m.end
                if _looks_like_phone(text, start, end, m.raw_string, m.number):
                    yield Hit(start, end, "phone", reason=_reason("Phone number"))

    @staticmethod
    def postcodes(text: str) -> Iterator[Hit]:
        for m in POSTCODE_RE.finditer(text):
            if any(c.isdigit() for c in m.group()):
                yield Hit(m.start(), m.end(), "postcode", reason=_reason("Postcode"))

    @staticmethod
    def vrms(text: str) -> Iterator[Hit]:
        for rx in VRM_RES:
            for m in rx.finditer(text):
                yield Hit(m.start(), m.end(), "vehicle_registration",
                          reason=_reason("Vehicle registration mark"))

    @staticmethod
    def ninos(text: str) -> Iterator[Hit]:
        for m in NINO_RE.finditer(text):
            yield Hit(m.start(), m.end(), "ni_number", reason=_reason("National Insurance number"))

    @staticmethod
    def dates_of_birth(text: str) -> Iterator[Hit]:
        for m in DOB_RE.finditer(text):
            yield Hit(m.start("date"), m.end("date"), "date_of_birth",
                      reason=_reason("Date of birth"))

    @staticmethod
    def ip_addresses(text: str) -> Iterator[Hit]:
        if "." in text:
            for m in IPV4_RE.finditer(text):
                if _is_ip(m.group()):
                    yield Hit(m.start(), m.end(), "ip_address", reason=_reason("IP address"))
        if "::" in text or text.count(":") >= 3:
            for m in IPV6_RE.finditer(text):
                if any(c.isalnum() for c in m.group()) and _is_ip(m.group()):
                    yield Hit(m.start(), m.end(), "ip_address", reason=_reason("IP address"))

    def collar_numbers(self, text: str) -> Iterator[Hit]:
        for rx in self.collar_res:
            for m in rx.finditer(text):
                start, end = (m.span("number") if "number" in rx.groupindex else m.span())
                if any(c.isdigit() for c in text[start:end]):
                    yield Hit(start, end, "collar_number",
                              reason=_reason("Collar or warrant number"))

    def names(self, text: str) -> Iterator[Hit]:
        for m in NAME_AFTER_RANK_RE.finditer(text):
            rank = next(_RANK_FORMS[int(k[1:])][1] for k, v in m.groupdict().items()
                        if k.startswith("r") and v is not None)
            name = m.group("name")
            words = name.replace(".", " ").split()
            not_names = [w in NOT_NAMES and w not in SURNAMES_TOO for w in words]
            if not_names[0] or all(not_names):
                continue
            if words[-1] in _STREET_ENDINGS:
                continue  # "Constable Road", "Sergeant Hill Close": a street, not a person
            # Drop trailing words that are not names ("PC Smith Should attend"); a word
            # that is a surname as often stays ("Inspector Ian Ward"): when in doubt,
            # withheld.
            while len(words) > 1 and not_names[len(words) - 1]:
                words.pop()
            if rank_level(rank) >= self.cutoff_level:
                continue
            end = m.start("name") + _span_of_words(name, words)
            yield Hit(m.start("name"), end, "name_after_rank",
                      reason=(f"Name of a person below the rank of {self.cutoff_label} or outside "
                              f"the police: {PERSONAL}"),
                      name=text[m.start("name"):end])


_TOKEN = re.compile(r"\S+")


def _without_marker_words(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without a redaction's label read at either end of it (OCR of a page
    reads a box's label as words: "Ann Redacted s.40(2)" names Ann, not "Redacted")."""
    tokens = [m.span() for m in _TOKEN.finditer(text, start, end)]
    bare = lambda span: text[span[0]:span[1]].strip(".,;:()[]")  # noqa: E731
    while tokens and bare(tokens[0]) in MARKER_WORDS:
        tokens.pop(0)
    while tokens and bare(tokens[-1]) in MARKER_WORDS:
        tokens.pop()
    return (tokens[0][0], tokens[-1][1]) if tokens else (start, start)


def _hits(rx: re.Pattern, text: str, detector: str, reason: str) -> Iterator[Hit]:
    for m in rx.finditer(text):
        yield Hit(m.start(), m.end(), detector, reason=reason)


def _span_of_words(name: str, words: list[str]) -> int:
    """Length of the prefix of ``name`` that holds ``words``."""
    pos = 0
    for w in words:
        pos = name.index(w, pos) + len(w)
    return pos


def _looks_like_phone(text: str, start: int, end: int, raw: str, number) -> bool:
    # libphonenumber's lenient matcher also takes year ranges and references
    # (2016-2022, LFR-2026-0042): a UK number is written with +, 00 44, 44 or
    # a leading 0, and is not glued to letters.
    if start > 0 and (text[start - 1].isalnum() or (text[start - 1] == "-" and start > 1
                                                     and text[start - 2].isalnum())):
        return False
    if end < len(text) and text[end].isalnum():
        return False
    digits = "".join(c for c in raw if c.isdigit())
    if raw.startswith("+") or digits.startswith("00"):
        return len(digits) >= 8 and phonenumbers.is_possible_number(number)
    if digits.startswith("44"):
        return len(digits) >= 11
    if raw.startswith("(0") or digits.startswith("0"):
        return 9 <= len(digits) <= 11 and digits[1:2] != "0"
    return False


def _is_ip(candidate: str) -> bool:
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True
