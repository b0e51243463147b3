"""Property: nothing planted in a legacy document survives into its disclosure copy.

Hypothesis draws a person (a given name and a surname from the lists below, withheld
because the FOI officer adds the name as a document term, or because a rank below
the cut-off announces it in the document), a UK phone number in one of the ways
people write one, an e-mail address and a postcode; it plants them in randomly
chosen hiding places of a PDF or a Word package (``tests.hostile``'s places, each a
random choice of the values), beside an ordinary paragraph that names them all (the
positive control) and an open sentence. The copy is made by the library functions
the service uses — a Word file rebuilt by allowlist (``legacy.redact.redact``), a
PDF redacted and flattened page by page as the worker does it (``redact``, then
``flatten_page`` with the names the text layer withheld, then ``assemble``) — and
read by the one leak checker (``tests.leaks``): every DOCX part (names, comments,
binary and nested parts), every PDF object and stream decompressed, the text layer,
and the PDF's pages rendered and read back by OCR.

No planted value may be there; the ordinary paragraph's values were found and
withheld (logged), and the open sentence is still there.

Random inputs on every run, a share of the Hypothesis profile's ``max_examples``
(tests/conftest.py): a PDF costs renderings and OCR of its page (about two seconds),
so a hundredth (2 in the suite, 20 with ``--hypothesis-profile=thorough``,
bench/properties.py), after the failures it found, kept as examples; a Word file a
twentieth (10 and 100).
"""
from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cia_authoring.legacy.redact import Term, flatten_page, redact, redactor_for
from cia_redaction import flatten
from cia_schemas.disclosure import MARKERS

from tests.hostile import (DOCX_PLACES, NAME_PLACES, OPEN, PDF_PLACES, DocxBuild, PdfBuild,
                           control, docx_main_part_renamed, docx_paragraph, pdf_paragraph)
from tests.leaks import found, norm, pdf_raw, pdf_text, raw_found, seen, texts

CFG = {"DISCLOSURE_RANK_CUTOFF": "superintendent"}
TITLE = "Legacy CIA"
PDF_EXAMPLES = max(1, settings.default.max_examples // 100)
DOCX_EXAMPLES = max(1, settings.default.max_examples // 20)

GIVEN = ["Ottoline", "Peregrine", "Wilhelmina", "Thaddeus", "Euphemia", "Lysander", "Cressida",
         "Ignatius", "Araminta", "Evander", "Perpetua", "Barnaby", "Isolde", "Florian", "Zenobia",
         "Aurelio", "Oluwaseun", "Siobhan", "Radomir", "Anneliese"]
SURNAMES = ["Quillfeather", "Vexworth", "Tannenbaum", "Marchbanks", "Featherstonehaugh",
            "Ravenscroft", "Pettigrew", "Wolstenholme", "Blenkinsop", "Fotheringham", "Okonkwo",
            "Nakashima", "Przybylski", "Oyelaran", "Abernethy-Vance", "Castellanos", "Mbeki-Harte",
            "Lindqvist", "Drummond-Fyfe", "Kowalczyk"]
# Ranks below the cut-off: the name after them is withheld.
RANKS = ["PC", "DC", "Police Constable", "Sergeant", "DS", "Sgt", "Inspector", "DI", "PCSO",
         "Chief Inspector"]
# Ofcom's numbers for drama: London, mobiles, other geographic areas.
NUMBERS = [("020", "7946", "0{:03d}"), ("07700", "900", "{:03d}"), ("0113", "496", "0{:03d}"),
           ("0161", "496", "0{:03d}"), ("0117", "496", "0{:03d}"), ("0121", "496", "0{:03d}"),
           ("0131", "496", "0{:03d}"), ("0141", "496", "0{:03d}"), ("028", "9649", "6{:03d}")]
PHONE_FORMS = ["{a} {b} {c}", "{a}{b}{c}", "{a}-{b}-{c}", "({a}) {b} {c}", "+44 {i} {b} {c}",
               "+44 (0){i} {b} {c}", "0044 {i} {b} {c}", "+44{i}{b}{c}", "{a}.{b}.{c}",
               "{a} {b}{c}"]
DOMAINS = ["example.org", "example.com", "example.net", "police.example.uk", "mail.example.co.uk"]
POSTCODE_AREAS = ["E", "N", "W", "M", "B", "G", "L", "S", "SE", "SW", "NW", "EC", "WC", "LS", "CR",
                  "BR", "DN", "EH", "CF", "BS", "NG", "OX"]
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
SEPARATORS = [" ", ", ", "; ", " / ", " and "]


@dataclass(frozen=True)
class Planted:
    """One file's planted values and how the name comes to be withheld."""
    name: str
    phone: str
    email: str
    postcode: str
    rank: str | None  # announced by a rank; None: the FOI officer's document term

    @property
    def surname(self) -> str:
        return self.name.rsplit(" ", 1)[-1]

    @property
    def plantable(self) -> list[str]:
        """What may be planted: a person announced by a rank is withheld in all their
        forms (their surname alone too), a term as written."""
        extra = [self.surname] if self.rank else []
        return [self.name, *extra, self.phone, self.email, self.postcode]

    @property
    def leaks(self) -> list[str]:
        """What must not be in the copy: every planted value, and the phone number in its
        usual written forms as well (a copy must not write it out again)."""
        number = phonenumbers.parse(self.phone, "GB")
        forms = [phonenumbers.format_number(number, f) for f in (
            phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL)]
        return list(dict.fromkeys([*self.plantable, *forms]))

    @property
    def terms(self) -> list[Term]:
        return [] if self.rank else [Term("t-1", self.name, "s40", "A member of the public.")]

    @property
    def control(self) -> str:
        return control(self.name, self.phone, self.email, self.postcode, self.rank)


@st.composite
def planted(draw) -> Planted:
    given_name, surname = draw(st.sampled_from(GIVEN)), draw(st.sampled_from(SURNAMES))
    a, b, c = draw(st.sampled_from(NUMBERS))
    c = c.format(draw(st.integers(0, 999)))
    phone = draw(st.sampled_from(PHONE_FORMS)).format(a=a, b=b, c=c, i=a[1:])
    local = draw(st.sampled_from([f"{given_name}.{surname}", f"{given_name[0]}{surname}",
                                  f"{given_name}.{surname[0]}", f"{surname}{draw(st.integers(1, 99))}"]))
    email = f"{local.lower().replace('-', '')}@{draw(st.sampled_from(DOMAINS))}"
    outward = f"{draw(st.sampled_from(POSTCODE_AREAS))}{draw(st.integers(1, 29))}"
    letters = draw(st.lists(st.sampled_from(INWARD_LETTERS), min_size=2, max_size=2))
    inward = f"{draw(st.integers(0, 9))}{''.join(letters)}"
    postcode = f"{outward}{draw(st.sampled_from([' ', '']))}{inward}"
    rank = draw(st.one_of(st.none(), st.sampled_from(RANKS)))
    return Planted(f"{given_name} {surname}", phone, email, postcode, rank)


@dataclass(frozen=True)
class Hostile:
    """A file to build: the planted values and, in building order, (place, text) pairs."""
    planted: Planted
    places: tuple[tuple[str, str], ...]
    main_renamed: bool = False


def _texts_for(draw, person: Planted, places: list[str], most: int) -> tuple[tuple[str, str], ...]:
    out = []
    for place in places:
        if place in NAME_PLACES:
            out.append((place, person.name))
            continue
        values = draw(st.lists(st.sampled_from(person.plantable), min_size=1, max_size=most, unique=True))
        out.append((place, draw(st.sampled_from(SEPARATORS)).join(values)))
    return tuple(out)


@st.composite
def hostile_pdfs(draw) -> Hostile:
    person = draw(planted())
    chosen = draw(st.lists(st.sampled_from(list(PDF_PLACES)), min_size=1, max_size=4, unique=True))
    order = list(PDF_PLACES)
    # At most two values a place: a line of them stays on the page.
    return Hostile(person, _texts_for(draw, person, sorted(chosen, key=order.index), 2))


@st.composite
def hostile_docxs(draw) -> Hostile:
    person = draw(planted())
    chosen = draw(st.lists(st.sampled_from(list(DOCX_PLACES)), min_size=1, max_size=6, unique=True))
    order = list(DOCX_PLACES)
    return Hostile(person, _texts_for(draw, person, sorted(chosen, key=order.index), 4),
                   draw(st.booleans()))


def build_pdf(case: Hostile) -> bytes:
    b = PdfBuild()
    # The ordinary paragraph, a value a line (a long line would run off the page).
    for line in case.planted.control.split(", "):
        pdf_paragraph(b, line)
    pdf_paragraph(b, f"{OPEN}.")
    for place, text in case.places:
        PDF_PLACES[place](b, text)
    return b.data()


def build_docx(case: Hostile) -> bytes:
    b = DocxBuild()
    docx_paragraph(b, case.planted.control)
    docx_paragraph(b, f"{OPEN}.")
    for place, text in case.places:
        DOCX_PLACES[place](b, text)
    if case.main_renamed:
        docx_main_part_renamed(b)
    return b.data()


def pdf_copy(source: bytes, terms: list[Term]) -> tuple[bytes, list[dict]]:
    """The flattened copy as the worker makes it (without the database): the text layer
    redacted, then each page flattened by a pass that also withholds the names the
    text layer withheld, the pages joined."""
    first = redact("pdf", source, TITLE, CFG, terms=terms)
    redactor = redactor_for(CFG, [], terms, first.withheld_names)
    pages = [flatten_page(first.data, i, redactor, flatten.DEFAULT_DPI, first.boxes.get(i + 1, []))
             for i in range(first.pages)]
    findings = [f for page in pages for f in page.findings]
    return flatten.assemble([page.data for page in pages]), [*first.log, *flatten.log_entries(findings)]


def _withheld_in_the_paragraph(person: Planted, log: list[dict]) -> None:
    """The positive control: the ordinary paragraph's values were found (and logged)."""
    detectors = {e["detector"].removeprefix("ocr:") for e in log}
    assert {"phone", "email", "postcode"} <= detectors, detectors
    if person.rank:
        assert detectors & {"name_after_rank", "person_model", "withheld_value"}, detectors
    else:
        assert any(e["rule_id"] == "term:t-1" for e in log)


@settings(max_examples=PDF_EXAMPLES)
@given(case=hostile_pdfs())
# A box's label read off the page after a rank ("PC Redacted s.40(2)") was taken for a
# name, boxed again and again until the whole page was black, open sentence and all.
@example(case=Hostile(
    Planted("Ottoline Quillfeather", "020 7946 0000", "ottoline.quillfeather@example.org", "E1 0AA", "PC"),
    (("shuffled glyphs", "Ottoline Quillfeather"),)))
# The page read with the boxes' labels on it: "s.40(2) 020 7946 0000" read as one number
# (none), the line after "deployment." read into an address; the phone stayed on the page.
@example(case=Hostile(
    Planted("Siobhan Quillfeather", "020 7946 0000", "siobhan.quillfeather@example.org", "E1 0AA", None),
    (("shuffled glyphs", "siobhan.quillfeather@example.org 020 7946 0000"),
     ("lying ToUnicode map", "020 7946 0000"),
     ("form XObject", "siobhan.quillfeather@example.org Siobhan Quillfeather"))))
# A name broken over a line at its own hyphen ("Mbeki-" / "-Harte"): the pass failed.
@example(case=Hostile(
    Planted("Perpetua Mbeki-Harte", "0044 161 496 0998", "perpetua.m@example.com", "CR11 1AZ",
            "Police Constable"),
    (("hyphenated over a line break", "Perpetua Mbeki-Harte"),)))
def test_nothing_planted_in_a_legacy_pdf_reaches_its_flattened_copy(case):
    source = build_pdf(case)
    copy, log = pdf_copy(source, case.planted.terms)
    text = pdf_text(copy)  # the text layer, every object and stream, metadata, names
    raw = pdf_raw(copy)
    read = seen(copy)  # the pages as a reader sees them, read back by OCR
    leaked = [v for v in case.planted.leaks if found(v, text) or raw_found(raw, v) or found(v, read)]
    assert leaked == []
    _withheld_in_the_paragraph(case.planted, log)
    assert found(OPEN, text) and found(OPEN, read)  # an open sentence stays, searchable


@settings(max_examples=DOCX_EXAMPLES)
@given(case=hostile_docxs())
def test_nothing_planted_in_a_legacy_docx_reaches_its_rebuilt_copy(case):
    source = build_docx(case)
    out = redact("docx", source, TITLE, CFG, terms=case.planted.terms)
    assert out.pdf_only is None, out.log[0]["reason"] if out.log else ""
    parts = texts(out.data)  # every part, its name and comments, binary and nested parts
    leaked = [(v, name) for name, text in parts.items() for v in case.planted.leaks if found(v, text)]
    assert leaked == []
    _withheld_in_the_paragraph(case.planted, out.log)
    body = parts["word/document.xml"]
    assert norm(MARKERS["s40"]) in body and found(OPEN, body)


def test_the_property_budget_follows_the_profile():
    assert PDF_EXAMPLES >= 2 and DOCX_EXAMPLES >= 10
    assert not settings.default.derandomize and settings.default.print_blob
