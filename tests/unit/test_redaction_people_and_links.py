"""A person in every form a letter may carry them (``WithheldSet.add_person``), what one
output withholds carried into another (``export`` / ``add_key``), and links through
the pass (``cia_redaction.links``). Each withheld form has an ordinary look-alike
beside it that stays."""
from __future__ import annotations

import pytest

from cia_redaction import S31, S40, Detectors, Redactor, WithheldSet
from cia_redaction.links import redact_url

MARK = "[Redacted — s.40(2)]"


def requester(people: bool = True) -> Redactor:
    withheld = WithheldSet()
    withheld.add_person("Zebedee Quarrington-Requester", S40, "The requester.", "requester",
                        email="zebedee.requester@mail.example.net",
                        address="14 Quenby Mews, London N1 7QX", phone="07700 900461")
    return Redactor(Detectors("superintendent", people=people), withheld, [])


@pytest.mark.parametrize("text,expected", [
    ("Dear Zebedee,", f"Dear {MARK},"),                                     # forename alone
    ("Quarrington wrote again.", f"{MARK} wrote again."),                  # a part of the surname
    ("Signed Z.Q. and ZQR", f"Signed {MARK} and {MARK}"),                  # initials
    ("reply to zebedee.requester", f"reply to {MARK}"),                    # e-mail local part
    ("I live at 14 Quenby Mews.", f"I live at {MARK}."),                   # the address
    ("of Quenby Mews, London", f"of {MARK}, London"),                      # its street
    ("ring +44 7700 900461", f"ring {MARK}"),                              # the phone abroad
    ("ring 07700-900-461", f"ring {MARK}"),
])
def test_the_requester_is_withheld_in_every_form(text, expected):
    assert requester().text(text) == expected


@pytest.mark.parametrize("text", [
    "the requester asked", "zq codes and ZQS40LEAK", "London Borough of Croydon",
    "1 May 2026", "Mews and rows", "14 North End",
])
def test_look_alikes_stay(text):
    assert requester().text(text) == text


def test_a_name_broken_at_its_own_hyphen_is_withheld_as_its_words():
    # A name hyphenated over a line break at its hyphen reads "Mbeki- -Harte".
    withheld = WithheldSet()
    withheld.add_name("Perpetua Mbeki- -Harte", S40, "A member of the public.", "person_model")
    assert withheld.names == ["Perpetua Mbeki Harte"]
    redactor = Redactor(Detectors("superintendent", people=False), withheld, [])
    assert redactor.text("Perpetua Mbeki-Harte and Mbeki wrote.") == f"{MARK} and {MARK} wrote."


def test_what_one_output_withholds_another_withholds_by_its_keys():
    source = requester().withheld
    source.add("The bracket above Boots at 14 North End covers the approach.", S31,
               "Camera position.", "field")
    again = WithheldSet()
    for key in source.export():
        again.add_key(*key)
    assert len(again) == len(source)
    redactor = Redactor(Detectors("superintendent"), again, [])
    assert redactor.text("Dear Zebedee: the bracket above Boots at 14 North End covers the "
                         "approach.") == f"Dear {MARK}: [Redacted — s.31(1)(a)(b)]."
    assert redactor.text("zebedee is a word here") == "zebedee is a word here"  # capital kept


@pytest.mark.parametrize("url,expected,detector", [
    ("https://www.whatdotheyknow.com/user/zebedee_requester/requests",
     "https://www.whatdotheyknow.com/", "link"),
    ("https://example.org/people/quarrington?x=1", "https://example.org/", "link"),
    ("https://example.org/p#Zebedee", "https://example.org/", "link"),
    ("https://zebedee-blog.example.org/post", MARK, "link"),
    ("https://www.met.police.uk/foi-ai/lfr/cia-lfr-2026-0043",
     "https://www.met.police.uk/foi-ai/lfr/cia-lfr-2026-0043", None),
    ("not a link, Zebedee", f"not a link, {MARK}", "withheld_value"),
])
def test_a_link_is_whole_cut_to_its_host_or_withheld(url, expected, detector):
    # Without the name model: the log then names the requester's forms, not the model.
    redactor = requester(people=False)
    assert redact_url(redactor, url, "/answers/3/url") == expected
    assert [e["detector"] for e in redactor.log if e["detector"] == detector] == (
        [detector] if detector else [])
    assert all(e["pointer"] == "/answers/3/url" for e in redactor.log)
