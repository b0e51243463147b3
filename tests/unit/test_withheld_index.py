"""Withheld values are looked for in one pass over a text (an automaton of their
probes): what it finds, and in what order, is what a search for every entry's probe
in turn finds, and a change to the set is seen by the next search."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from cia_redaction.detectors import Hit
from cia_redaction.normalise import compact, normalise
from cia_redaction.vocabulary import S31, S40
from cia_redaction.withheld import WithheldSet

WORDS = ["Mabury", "Helen", "Fenwick-Osei", "Bernadette", "Bravo 17", "3 cameras", "09:15",
         "Larkspur Gardens", "07700 900312", "O'Neill", "Zoë", "the", "at", "Croydon"]
WORD = st.sampled_from(WORDS)


def _every_entry(withheld: WithheldSet, text: str) -> list[Hit]:
    """The search as it was: each entry's probe looked for in the text in turn."""
    norm = normalise(text)
    haystack = compact(norm.text)
    return [Hit(m.start(), m.end(), e.detector, e.exemption, e.reason)
            for e in withheld._entries.values() if e.probe in haystack
            for m in e.pattern.finditer(norm.text)]


@settings(max_examples=max(1, settings.default.max_examples // 4), deadline=None)
@given(names=st.lists(st.lists(WORD, min_size=1, max_size=3).map(" ".join), max_size=4),
       values=st.lists(st.lists(WORD, min_size=1, max_size=3).map(" ".join), max_size=3),
       texts=st.lists(st.lists(st.one_of(WORD, st.text(max_size=6)), max_size=8).map(" ".join),
                      min_size=1, max_size=5))
def test_the_index_finds_what_every_entry_in_turn_finds(names, values, texts):
    withheld = WithheldSet()
    for name in names:
        withheld.add_name(name, S40, "A person.", "field")
    for value in values:
        withheld.add(value, S31, "A place.", "field")
        withheld.add_parts(value, S31, "A place.", "field")
    for text in texts:
        norm = normalise(text)
        assert withheld.find(norm) == _every_entry(withheld, text)


def test_a_change_to_the_set_is_seen_by_the_next_search():
    withheld = WithheldSet()
    withheld.add_name("Helen Mabury", S40, "A person.", "field")
    text = normalise("Ask Helen Mabury or Dave Smith about 3 cameras.")
    assert {text.text[h.start:h.end] for h in withheld.find(text)} >= {"Helen Mabury"}
    assert not any("Smith" in text.text[h.start:h.end] for h in withheld.find(text))  # control
    withheld.add_name("Dave Smith", S40, "A person.", "field")
    assert "Dave Smith" in {text.text[h.start:h.end] for h in withheld.find(text)}
    before = withheld.find(text)
    size = len(withheld)
    withheld.release_name("Dave Smith")  # its full form goes (the rank rule's release)
    assert len(withheld) < size
    assert withheld.find(text) == _every_entry(withheld, text.original) != before
