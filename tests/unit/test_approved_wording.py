"""A letter template's fixed text is the force's approved wording: the personal-data
detectors leave it (the ICO's postcode is no one's personal data), while a value
withheld elsewhere is withheld in it and wherever a variable prints it. Hypothesis
draws the postcodes and phone numbers; each case has its positive control (the same
kind of value not in the wording is withheld by the detector)."""
from __future__ import annotations

import io

from docx import Document
from docxtpl import DocxTemplate
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cia_redaction import S40, Detectors, Redactor, WithheldSet
from cia_redaction.docx import fixed_wording, scrub_docx
from tests.leaks import docx_texts, found

S40_MARKER = "[Redacted — s.40(2)]"
DETECTORS = Detectors("superintendent", people=False)
# A rendered DOCX a case: a tenth of the profile's examples.
DOCX_EXAMPLES = max(1, settings.default.max_examples // 10)

postcodes = st.builds(
    lambda area, district, sector, unit: f"{area}{district} {sector}{unit}",
    st.sampled_from(["SK", "M", "CR", "SW", "E", "N", "BS", "LS", "WA"]), st.integers(1, 20),
    st.integers(0, 9), st.text(alphabet="ABDEFGHJLNPQRSTUWXYZ", min_size=2, max_size=2))
phones = st.builds(lambda n: f"0161 496 {n:04d}", st.integers(0, 9999))


def wording(postcode: str, phone: str) -> str:
    return (f"Complain to the Information Commissioner: Wycliffe House, Water Lane, Wilmslow, "
            f"Cheshire {postcode}; telephone {phone}.")


def redactor(fixed: list[str], withheld: WithheldSet | None = None) -> Redactor:
    r = Redactor(DETECTORS, withheld if withheld is not None else WithheldSet())
    r.approve_wording(fixed)
    return r


@given(postcode=postcodes, other=postcodes, phone=phones)
def test_the_wording_stays_and_a_value_not_in_it_is_withheld(postcode, other, phone):
    assume(other.replace(" ", "") != postcode.replace(" ", ""))
    fixed = wording(postcode, phone)
    r = redactor([fixed])
    assert r.text(fixed) == fixed
    # The same words printed by a variable stay: the letter carries them anyway.
    assert r.text(f"Is {postcode} the ICO's?") == f"Is {postcode} the ICO's?"
    # Positive control: another postcode, and the wording without approval, are withheld.
    assert r.text(f"I live at {other}.") == f"I live at {S40_MARKER}."
    assert S40_MARKER in redactor([]).text(fixed)


@given(postcode=postcodes, phone=phones, data=st.data())
def test_a_withheld_value_never_escapes_through_the_wording(postcode, phone, data):
    fixed = wording(postcode, phone)
    # The requester shares the postcode (or the phone) the wording prints.
    withheld = WithheldSet()
    shared = data.draw(st.sampled_from(["postcode", "phone"]))
    withheld.add_person("Zebedee Quarrington", S40, "The requester.", "requester",
                        address=f"12 Quay Lane, Wilmslow {postcode}" if shared == "postcode"
                        else None, phone=phone if shared == "phone" else None)
    value = postcode if shared == "postcode" else phone
    r = redactor([fixed], withheld)
    assert not found(value, r.text(f"Please write to me at {value}."))
    assert not found(value, r.text(fixed))
    # Positive control: without the withheld value the wording keeps it.
    assert found(value, redactor([fixed]).text(fixed))


def _template(fixed: str) -> bytes:
    doc = Document()
    doc.add_paragraph("Dear requester,")
    doc.add_paragraph("Your question: {{ question }}")
    doc.add_paragraph(fixed)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


@settings(max_examples=DOCX_EXAMPLES)
@given(postcode=postcodes, other=postcodes, phone=phones)
def test_a_rendered_letter_keeps_the_wording_and_withholds_what_variables_print(postcode, other,
                                                                                phone):
    assume(other.replace(" ", "") != postcode.replace(" ", ""))
    fixed = wording(postcode, phone)
    template = _template(fixed)
    doc = DocxTemplate(io.BytesIO(template))
    doc.render({"question": f"Call me on 07700 900{int(phone[-4:]) % 1000:03d} or visit {other}."})
    out = io.BytesIO()
    doc.save(out)
    withheld = WithheldSet()
    withheld.add_person("Zebedee Quarrington", S40, "The requester.", "requester",
                        address=f"3 Mill Row, {other}")
    r = Redactor(DETECTORS, withheld)
    r.approve_wording(fixed_wording(template))
    body = docx_texts(scrub_docx(out.getvalue(), r))["word/document.xml"]
    assert found(fixed, body)
    assert not found(other, body) and not found("07700", body)
    assert "your question: call me on [redacted - s.40(2)] or visit [redacted - s.40(2)]." in body


def test_the_fixed_wording_of_a_template_is_the_text_outside_its_tags():
    template = _template("Wilmslow, Cheshire SK9 5AF.")
    assert fixed_wording(template) == ["Dear requester,", "Your question:",
                                       "Wilmslow, Cheshire SK9 5AF."]


names = st.tuples(st.sampled_from(["Ian", "Ali", "Eve", "Ann", "Joe", "Ray", "Dee", "Kit"]),
                  st.sampled_from(["Hart", "Ward", "Lane", "Bell", "Hill", "Ross", "Page"]))
letters = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=4)


@given(name=names, before=letters, after=letters, where=st.sampled_from(["before", "after"]))
def test_wording_approves_a_name_only_as_whole_words(name, before, after, where):
    """A name found in the text is left only if the wording says it as words of its own:
    "Ian Hart" inside "Christian Harts" approves nothing."""
    full = " ".join(name)
    text = f"The briefing was given by Inspector {full} at noon."
    inside = f"{before}{full}" if where == "before" else f"{full}{after}"
    r = redactor([f"Please ask our {inside} desk."])
    assert r.text(text) == f"The briefing was given by Inspector {S40_MARKER} at noon."
    # Positive control: the name as words of the wording is approved.
    assert r.text(text) != (r2 := redactor([f"Please ask {full}, our desk."])).text(text)
    assert r2.text(text) == text
