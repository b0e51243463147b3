"""s.31 said in other words: the distinctive parts of an s.31 value (a place, a call
sign, a number with its unit, a time) are withheld wherever an open text says them,
in any written form, unless a field that publishes the deployment prints the same
part. Hypothesis writes the parts in many forms; each case carries look-alikes that
must stay (another call sign, another count, the ordinary word, a published number)."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cia_redaction import S31, Detectors, Redactor, WithheldSet
from cia_redaction.parts import PHONETIC, part_of_key, parts
from cia_redaction.sight import page_findings
from cia_redaction.ocr import Word

from cia_authoring.disclosure import rendering as copy_rendering
from cia_authoring.disclosure.withheld_index import indexable
from tests.leaks import docx_texts, found

S31_MARKER = "[Redacted — s.31(1)(a)(b)]"
REASON = "Tactical."
# Parts need no name model: the pass without it is enough, and quicker.
DETECTORS = Detectors("superintendent", people=False)

# Between a call sign's letters and digits, and a number and its unit: nothing, a
# space of any width, a hyphen or dash of any kind, an invisible character.
JOINS = ["", " ", "-", "\u00a0", "\u2011", "\u2013", "\u202f", "\u200b", " - "]
CASES = [str.upper, str.lower, str.title, lambda s: s]


def redact(s31: str, *texts: str, published=()) -> list[str]:
    withheld = WithheldSet()
    withheld.add(s31, S31, REASON, "/deployment/location_rationale")
    withheld.add_parts(s31, S31, REASON, "/deployment/location_rationale", published)
    r = Redactor(DETECTORS, withheld)
    return [r.text(t, f"/t/{i}") for i, t in enumerate(texts)]


def words(n: int) -> str:
    units = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
             "fourteen fifteen sixteen seventeen eighteen nineteen").split()
    tens = "twenty thirty forty fifty sixty seventy eighty ninety".split()
    return units[n] if n < 20 else tens[n // 10 - 2] + ("-" + units[n % 10] if n % 10 else "")


# -- the issue's own examples ---------------------------------------------------------

def test_the_issue_examples_are_withheld_in_other_words():
    s31 = "The bracket above Boots at 14 North End carries camera BRAVO-17."
    camera, call_sign, address = redact(
        s31, "An open field says the camera above Boots.", "Bravo 17 (Operation Kestrel) is live.",
        "Leaflets at 14 North End.")
    assert camera == f"An open field says the camera above {S31_MARKER}."
    assert call_sign == f"{S31_MARKER} (Operation Kestrel) is live."
    assert address == f"Leaflets at {S31_MARKER}."
    # Look-alikes stay: footwear, another call sign, the street without the number.
    kept = redact(s31, "Officers wore boots.", "Bravo 18 and Charlie 17 stood by.",
                  "Signs along North End.")
    assert kept == ["Officers wore boots.", "Bravo 18 and Charlie 17 stood by.",
                    "Signs along North End."]


def test_a_part_the_deployment_publishes_stays():
    s31 = "Camera above Boots at the Whitgift Centre, live from 10:00, watching 12,431 images."
    published = ["Pedestrianised North End by the Whitgift Centre entrance",
                 "2026-05-14 10:00", "12431"]
    out = redact(s31, "The Whitgift Centre, from 10:00, a list of 12,431 images; Boots.",
                 published=published)
    assert out == [f"The Whitgift Centre, from 10:00, a list of 12,431 images; {S31_MARKER}."]
    # Positive control: unpublished, each of them is withheld.
    (alone,) = redact(s31, "The Whitgift Centre, from 10:00, a list of 12,431 images; Boots.")
    assert alone.count(S31_MARKER) == 4 and "Whitgift" not in alone and "12,431" not in alone


def test_a_sentence_start_a_rank_and_common_words_are_no_parts():
    found_parts = {p.key for p in parts(
        "Briefing at Croydon police station. Superintendent Ann Jones leads Silver in January. "
        "Several shops close early; two missing people are at risk.")}
    assert found_parts == {"proper:Croydon"}
    # Positive control: the same words where a sentence does not start are parts.
    assert {p.key for p in parts("Cameras face Briefing Towers and Several Dials.")} >= {
        "proper:Briefing Towers", "proper:Several Dials"}


# -- generated: call signs, numbers with units, times -------------------------------------

phonetic = st.sampled_from([w for w in PHONETIC if "-" not in w])


@given(word=phonetic, number=st.integers(1, 999), join=st.sampled_from(JOINS),
       case=st.sampled_from(CASES), planted_join=st.sampled_from(["-", " ", ""]))
def test_a_call_sign_is_withheld_in_any_case_spacing_or_hyphenation(word, number, join, case,
                                                                       planted_join):
    s31 = f"Intelligence names {word.upper()}{planted_join}{number} near the market."
    said = case(f"{word}{join}{number}")
    other_number = f"{word.title()} {number + 1}"
    other_word = f"{'Tango' if word != 'tango' else 'Zulu'} {number}"
    (out,) = redact(s31, f"Open text: {said} at the gate; {other_number} and {other_word} stay.")
    assert out == f"Open text: {S31_MARKER} at the gate; {other_number} and {other_word} stay."
    # The phonetic word's letter is the same call sign in a radio log (B-17 for Bravo 17).
    (short,) = redact(s31, f"Log: {word[0].upper()}-{number} moved.")
    assert short == f"Log: {S31_MARKER} moved."


UNITS = {"cameras": ["cameras", "camera"], "images": ["images", "image"],
         "metres": ["metres", "m", "meters", "metre"], "officers": ["officers", "officer"],
         "minutes": ["minutes", "mins"]}


@given(n=st.integers(2, 99_999), unit=st.sampled_from(sorted(UNITS)), join=st.sampled_from(["", " ", "-"]),
       data=st.data())
def test_a_number_with_its_unit_is_withheld_in_figures_or_words(n, unit, join, data):
    s31 = f"The plan has {n:,} {unit} in place."
    written = [f"{n:,}", str(n)] + ([words(n)] if n < 100 else [])
    number = data.draw(st.sampled_from(written))
    form = data.draw(st.sampled_from(UNITS[unit]))
    if form == "m" and not number[0].isdigit():
        form = "metres"
    said = f"{number}{join}{form}"
    other_count = f"{n + 1} {unit}"
    other_unit = f"{n} {'days' if unit != 'days' else 'weeks'}"
    (out,) = redact(s31, f"We said {said}; {other_count} and {other_unit} stay.")
    assert out == f"We said {S31_MARKER}; {other_count} and {other_unit} stay."
    # A number in an open field publishes it: three digits or more, printed alone.
    (published,) = redact(s31, f"We said {said}.", published=[str(n)])
    assert (published == f"We said {said}.") == (n >= 100)


@given(h=st.integers(0, 23), m=st.integers(0, 59), data=st.data())
def test_a_time_is_withheld_in_its_24_and_12_hour_forms(h, m, data):
    s31 = f"Set-up at {h:02d}:{m:02d} behind the station."
    h12, ap = (h % 12 or 12), ("am" if h < 12 else "pm")
    forms = [f"{h:02d}:{m:02d}", f"{h}:{m:02d}", f"{h:02d}{m:02d} hrs", f"{h:02d}.{m:02d}",
             f"{h12}:{m:02d}{ap}", f"{h12}.{m:02d} {ap[0]}.m.", f"{h12}:{m:02d} {ap.upper()}"]
    if m == 0:
        forms.append(f"{h12}{ap}")
    said = data.draw(st.sampled_from(forms))
    other = f"{h:02d}:{(m + 1) % 60:02d}"
    # Another minute stays, and so does a measure written like a time.
    (out,) = redact(s31, f"Open at {said}; {other} and {h}.{m:02d} metres stay.")
    assert out == f"Open at {S31_MARKER}; {other} and {h}.{m:02d} metres stay."


@given(name=st.text(alphabet="bcdfghjklmnpqrstvwxz", min_size=3, max_size=6).map(
    lambda s: "Zo" + s), case=st.sampled_from([str.upper, str.title]))
def test_a_place_is_withheld_with_its_capital_and_the_word_stays(name, case):
    s31 = f"The bracket above {name.title()} at 9 Quay Lane faces north."
    (out,) = redact(s31, f"The camera above {case(name)} and {name.lower()} as a word.")
    assert out == f"The camera above {S31_MARKER} and {name.lower()} as a word."


# -- the index: what one output withheld, another withholds ---------------------------------

def test_parts_survive_the_index_of_withheld_values():
    withheld = WithheldSet()
    s31 = "Bracket above Boots, BRAVO-17, three cameras, briefing 09:15."
    withheld.add_parts(s31, S31, REASON, "/deployment/camera_positions")
    exported = [row for row in withheld.export() if indexable(row[0])]
    keys = {row[0] for row in exported}
    assert {"§proper:Boots", "§code:bravo|17", "§quantity:3|camera"} <= keys
    # A time standing alone is a letter's own, as dates are: not indexed.
    assert "§time:09:15" not in keys and any(k == "§time:09:15" for k, *_ in withheld.export())
    again = WithheldSet()
    for row in exported:
        again.add_key(*row)
    r = Redactor(DETECTORS, again)
    assert r.text("Boots, bravo17 and 3 cameras.") == f"{S31_MARKER}, {S31_MARKER} and {S31_MARKER}."
    assert r.text("boots and Bravo 18.") == "boots and Bravo 18."
    assert part_of_key("nonsense:1") is None and part_of_key("code:no-digits") is None


def test_ocr_tolerance_reads_a_part_by_its_term():
    withheld = WithheldSet()
    withheld.add_parts("The bracket above Quillfeathers Pharmacy.", S31, REASON, "/x")
    r = Redactor(DETECTORS, withheld)
    # OCR misreads one letter: the exact pass misses it, the tolerance does not.
    page = [Word(w, (i * 10.0, 0, i * 10.0 + 9, 10), (1, 1, 1), 90.0)
            for i, w in enumerate("near Qui1lfeathers Pharmacy today".split())]
    assert r.text("near Qui1lfeathers Pharmacy today") == "near Qui1lfeathers Pharmacy today"
    assert any(f.kind == "ocr_tolerance" for f in page_findings(r, page, 1))


# -- through the copy -----------------------------------------------------------------------

CONTENT = json.loads((Path(__file__).parents[2] / "examples" / "cia-content.json").read_text())
CFG = {"FORCE_NAME": "Metropolitan Police Service", "DISCLOSURE_RANK_CUTOFF": "superintendent"}


def _render(content):
    op = SimpleNamespace(reference="LFR-2026-0042", name="Croydon Town Centre LFR Deployment",
                         borough="Croydon", ward="Fairfield", location_name="North End, Croydon",
                         use_case="crime_hotspot",
                         planned_start=datetime(2026, 5, 14, 9, tzinfo=timezone.utc),
                         planned_end=datetime(2026, 5, 14, 17, tzinfo=timezone.utc))
    version = SimpleNamespace(number=1, status="approved", content=content, cia_id="c1")
    ctx, model = copy_rendering.disclosure_context(op, version, CFG, [], [])
    return docx_texts(copy_rendering.render_disclosure_context(op, version, ctx, model, CFG))


def test_the_copy_withholds_s31_parts_said_in_open_fields_and_keeps_the_published_ones():
    content = copy.deepcopy(CONTENT)
    content["deployment"]["camera_positions"] = ["Bracket above Boots at 14 North End (BRAVO-17)"]
    content["deployment"]["operational_timings"] = "Briefing 08:40; cameras live from 10:00."
    content["community_sentiment"]["summary"] = (
        "Traders near the camera above Boots asked about Bravo 17 (Operation Kestrel); "
        "briefing at 8.40am. Cameras run from 10:00 along North End.")
    body = _render(content)["word/document.xml"]
    assert not any(found(v, body) for v in ("Boots", "Bravo 17", "8.40am", "14 North End"))
    # The published place and start time (the operation's fields) stay where said.
    assert found("Cameras run from 10:00 along North End", body)
    assert found("Operation Kestrel", body)
    # Positive control: without the s31 value, the same open text is printed whole.
    content["deployment"]["camera_positions"] = ["A mast on the van."]
    content["deployment"]["operational_timings"] = "As planned."
    plain = _render(content)["word/document.xml"]
    assert all(found(v, plain) for v in ("Boots", "Bravo 17", "8.40am"))


@pytest.mark.parametrize("text", ["The threshold is 0.64.", "Around 40 residents came.",
                                  "A 20 metre zone.", "In 2026 the council met."])
def test_numbers_without_the_s31_unit_stay(text):
    (out,) = redact("Three cameras at 40 metres from the gate, watching 2,026 faces.", text)
    assert out == text
