"""Home addresses written without a postcode.

A house or flat number followed by a street name that ends in a street word
(``42 Larkspur Gardens``, ``9 Tamarisk Row``, ``No. 3a St John's Road``), and a
flat in a named building (``Flat 4, Marlowe House``), are a person's address.
A street named without a number is not (``signage on Surrey Street``): it
names a place, which the copy keeps. The street words are those of Royal Mail
thoroughfare names; the patterns run on normalised text.
"""
from __future__ import annotations

import re
from typing import Iterator

STREET_WORDS = (
    "Road Rd Street St Avenue Ave Gardens Gdns Crescent Cres Close Mews Row Terrace Terr Court "
    "Ct Lane Ln Way Place Pl Square Sq Walk Drive Dr Grove Hill Park Rise Vale Wharf Yard "
    "Parade Green Gate View Approach Boulevard Circus Embankment Passage Path Quay Reach Ridge "
    "Villas Cottages Mansions Buildings Broadway Chase Croft Dale Fields Gardens Glade Heights "
    "Hollow Meadow Mead Orchard Pavement Precinct Promenade Side Spur Strand Vista Wood Wynd"
).split()
# A word of a street's name: capitalised, with an apostrophe or hyphen inside
# (St John's, Lady-Margaret), or a short joining word.
_CAP_WORD = r"[A-Z][a-z]*(?:['-][A-Za-z]+)*\.?"
_NAME_WORD = rf"(?:{_CAP_WORD}|of|de|la|le|upon)"
_STREET = rf"{_CAP_WORD}(?: {_NAME_WORD}){{0,3}} (?:{'|'.join(STREET_WORDS)})\b"
# Three digits at most: a four-digit number before a place is a year ("2024 Wandle Park").
_NUMBER = r"\d{1,3}[A-Za-z]?(?: ?[-/] ?\d{1,3}[A-Za-z]?)?"
_BUILDING_WORD = r"[A-Z][A-Za-z'-]*"
ADDRESS_RE = re.compile(
    # Flat 4, Marlowe House[, 9 Tamarisk Row]; Flat 2B Cedar Court
    rf"(?<![\w.,:/-])(?:(?i:flat|apartment|apt\.?|maisonette|room|unit) ?(?:no\.? ?)?\d{{1,4}}[A-Za-z]?,? "
    rf"{_BUILDING_WORD}(?: {_BUILDING_WORD}){{0,3}}(?:,? {_NUMBER},? {_STREET})?"
    # 42 Larkspur Gardens; No. 9 Tamarisk Row; 12-14 Station Road
    rf"|(?:(?i:no\.?|number) ?)?{_NUMBER},? {_STREET})(?![\w-])")
_DIGIT = re.compile(r"\d")
_ONE_WORD_STREETS = re.compile(rf"(?:{'|'.join(STREET_WORDS)})\.?$")

REASON = "Home address found in free text: personal information (FOIA s.40(2)&(3))."


def find(text: str) -> Iterator[tuple[int, int]]:
    """Spans of ``text`` (normalised) that are a house or flat and its street."""
    if not _DIGIT.search(text):
        return
    for m in ADDRESS_RE.finditer(text):
        span = m.group()
        if _ONE_WORD_STREETS.fullmatch(span.split(" ", 1)[-1]):
            continue  # "3 Road" is no address
        yield m.start(), m.end()
