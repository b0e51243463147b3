"""OCR's tolerance (``cia_redaction.ocr.fuzzy_hits``) finds what a plain reading of
its rule finds: every window of one word fewer, as many or one more than the term,
compared letters and digits only, folded, within ``max_distance`` edits."""
from __future__ import annotations

import re

from hypothesis import given, strategies as st
from rapidfuzz.distance import Levenshtein

from cia_redaction import ocr
from cia_redaction.normalise import fold

WORDS = ["Quillfeather", "Quilfeather", "0ttoline", "Ottoline", "Inspector", "the", "of",
         "Croydon", "Cr0ydon", "North", "End", "07700", "900123", "Sergeant", "Smyth-Jones",
         "José", "Jose", "Núñez", "Nunez", "—", "Sgt.", "O'Brien", "OBrien", "Briefing"]


def _plain(words: ocr.OcrWords, terms: list[str]) -> list[tuple[str, list[int]]]:
    tokens = [(i, re.sub(r"[\W_]+", "", fold(w.text))) for i, w in enumerate(words.words)]
    tokens = [(i, t) for i, t in tokens if t]
    out = []
    for term in dict.fromkeys(terms):
        target = re.sub(r"[\W_]+", "", fold(term))
        limit = ocr.max_distance(target)
        if not limit:
            continue
        n = max(1, len(re.findall(r"[^\W_]+", fold(term))))
        for size in sorted({max(1, n - 1), n, n + 1}):
            for k in range(len(tokens) - size + 1):
                window = tokens[k:k + size]
                if Levenshtein.distance("".join(t for _, t in window), target) <= limit:
                    out.append((term, [i for i, _ in window]))
    return out


def _page(texts: list[str]) -> ocr.OcrWords:
    return ocr.OcrWords([ocr.Word(t, (10.0 * i, 0.0, 10.0 * i + 9, 9.0), (1, 1, i // 5), 90.0)
                         for i, t in enumerate(texts)])


@given(st.lists(st.sampled_from(WORDS) | st.text(min_size=1, max_size=9), max_size=40),
       st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
                | st.text(min_size=1, max_size=14), max_size=8))
def test_the_tolerance_finds_what_its_rule_says(texts, terms):
    page = _page(texts)
    assert ocr.fuzzy_hits(page, terms) == _plain(page, terms)


def test_a_misread_name_is_found_and_a_different_word_is_not():
    page = _page(["Briefing", "by", "Ottoline", "Quilfeather", "at", "Croydon"])
    assert ocr.fuzzy_hits(page, ["Ottoline Quillfeather"]) == [("Ottoline Quillfeather", [2, 3])]
    assert ocr.fuzzy_hits(page, ["Bartholomew Pennyworth"]) == []
