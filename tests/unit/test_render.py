"""DOCX rendering: the disclosure copy carries no withheld value in any part."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import docx
import pytest

from tools import build_cia_template as build_template
from cia_authoring.documents.redaction import S31_MARKER, S40_MARKER, redact
from cia_authoring.documents.render import TEMPLATE_PATH, render_docx
from tests.leaks import docx_texts, found, leaks, norm, readable
from tests.support import planted_content

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FORCE = "Metropolitan Police Service"

PLANTED = [
    # s40
    "Hollingsworth-S40", "Okonkwo-S40", "Penhaligon-S40", "Marchbanks-S40", "Renwick-S40",
    "Whitcombe-S40", "Castellano-S40", "Priya", "Daniel",
    "p.hollingsworth.s40@example.police.uk", "d.okonkwo.s40@example.police.uk",
    "m.ashdown.s40@example.police.uk", "s40.contact@croydon-iag.example.org",
    "s40.board@croydon-snb.example.org", "s40.council@croydon.example.gov.uk",
    "s40.freetext@example.org",
    "07700 900123", "07700 900456", "07700 900789", "020 7946 0018", "020 7946 0555",
    "020 7946 0991", "0117 496 0123",
    # s31
    "S31-LOCATION-RATIONALE-7731", "S31-OPNAME-KESTREL", "S31-CAMPOS-ALPHA", "S31-CAMPOS-BRAVO",
    "S31-TIMINGS-0915", "S31-INTEL-CASE-5521", "S31-INTEL-POINT-ONE", "S31-INTEL-POINT-TWO",
    "S31-WATCHLIST-RATIONALE-3390", "wanted_by_courts", "17 April 2026",
]
# The watchlist's category labels: open text uses the same words in lower case
# ("people wanted by the courts"), so they are looked for as written, capital and all.
LABELS = ["Wanted by the courts", "Subject to bail conditions", "Missing person at risk",
          "Suspected of an offence"]


def load(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def context(content: dict, *, redaction_log=None, status="approved") -> dict:
    ctx = {
        "force_name": FORCE,
        "operation": load("operation.json"),
        "cia": {"version": 1, "status": status, "content": content},
        "rendered_at": "2026-05-20T09:00:00+00:00",
    }
    if redaction_log is not None:
        ctx["redaction_log"] = redaction_log
    return ctx


@pytest.fixture(scope="module")
def full_content() -> dict:
    c = planted_content()
    c["post_deployment_review"] = load("post-deployment-review.json")
    return c


@pytest.fixture(scope="module")
def disclosure_docx(full_content) -> bytes:
    redacted, log = redact(full_content)
    return render_docx(context(redacted, redaction_log=log),
                       title="CIA LFR-2026-0042 v1 — disclosure copy", author_label=FORCE)


@pytest.fixture(scope="module")
def full_docx(full_content) -> bytes:
    return render_docx(context(full_content), title="CIA LFR-2026-0042 v1", author_label=FORCE)


def parts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n).decode("utf-8", errors="replace") for n in z.namelist()}


def xml_text(xml: str) -> str:
    """Concatenated text of the w:t runs in one XML part (what a reader sees)."""
    return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))


def body_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    chunks = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            chunks.extend(c.text for c in row.cells)
    return "\n".join(chunks)


def test_disclosure_copy_has_no_planted_value_in_any_part(disclosure_docx):
    all_parts = docx_texts(disclosure_docx)  # every part as a reader sees it (tests/leaks.py)
    assert "word/document.xml" in all_parts and "docProps/core.xml" in all_parts
    assert leaks(PLANTED, disclosure_docx) == []
    assert leaks(LABELS, disclosure_docx, keep_case=True) == []
    for name, text in all_parts.items():
        # Not even inside a longer word: no "S40" / "S31-" marker at all.
        assert [t for t in PLANTED if norm(t) in text] == [], name
        assert "s40" not in text and "s31-" not in text, name


def test_full_document_does_contain_the_planted_values(full_docx, full_content):
    """Proves the check above can fail: the same render without redaction leaks,
    and the same checker sees it."""
    # The category's key is printed as its label; the checker sees it in the content.
    printed = [t for t in PLANTED if t != "wanted_by_courts"]
    assert [t for t in printed if not found(t, readable(full_docx))] == []
    assert found("wanted_by_courts", readable(json.dumps(full_content)))
    assert [t for t in LABELS if not found(t, readable(full_docx, keep_case=True), keep_case=True)] == []
    assert any("s40" in text for text in docx_texts(full_docx).values())


def test_disclosure_copy_shows_markers_and_released_name(disclosure_docx):
    text = body_text(disclosure_docx)
    assert S40_MARKER in text and S31_MARKER in text
    assert "Margaret Ashdown" in text  # Chief Superintendent: released
    assert "DISCLOSURE COPY" in text
    assert "Redactions" in text
    assert "sign-off › author › name" in text


def test_operation_name_and_sections_in_body(disclosure_docx):
    d = docx.Document(io.BytesIO(disclosure_docx))
    paragraphs = [p.text for p in d.paragraphs]
    assert "Croydon Town Centre LFR Deployment" in paragraphs
    assert any("LFR-2026-0042" in p for p in paragraphs)
    headings = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert headings[:13] == build_template.SECTION_HEADINGS
    assert headings[13] == "Redactions"


def test_core_properties_name_the_force_never_a_person(disclosure_docx):
    cp = docx.Document(io.BytesIO(disclosure_docx)).core_properties
    assert cp.author == FORCE
    assert cp.last_modified_by == FORCE
    assert cp.title == "CIA LFR-2026-0042 v1 — disclosure copy"
    assert cp.comments == "" and cp.keywords == ""
    texts = docx_texts(disclosure_docx)
    assert not found("python-docx", texts["docProps/core.xml"])
    assert not found("Ashdown", texts["docProps/core.xml"])
    # Positive controls: the checker sees the released name in the body, and
    # python-docx's own name in the properties of a document it made.
    assert found("Margaret Ashdown", texts["word/document.xml"])
    plain = io.BytesIO()
    docx.Document().save(plain)
    assert found("python-docx", docx_texts(plain.getvalue())["docProps/core.xml"])
    app = parts(disclosure_docx)["docProps/app.xml"]
    assert "<Company></Company>" in app or "<Company/>" in app


def test_no_comments_part_and_no_leftover_tags(disclosure_docx):
    all_parts = parts(disclosure_docx)
    assert not any("comments" in n.lower() for n in all_parts)
    for name, xml in all_parts.items():
        if name.endswith(".xml"):
            assert "{{" not in xml and "{%" not in xml, name


def test_header_and_footer(disclosure_docx):
    all_parts = parts(disclosure_docx)
    headers = [x for n, x in all_parts.items() if re.match(r"word/header\d*\.xml", n)]
    footers = [x for n, x in all_parts.items() if re.match(r"word/footer\d*\.xml", n)]
    assert any("OFFICIAL — DISCLOSURE COPY" in xml_text(h) for h in headers)
    footer = "".join(footers)
    assert "LFR-2026-0042" in xml_text(footer) and "CIA version 1" in xml_text(footer)
    assert 'w:instr="PAGE"' in footer


def test_tables_are_filled(disclosure_docx):
    d = docx.Document(io.BytesIO(disclosure_docx))
    by_header = {t.rows[0].cells[0].text: t for t in d.tables}
    assert len(by_header["Date"].rows) == 1 + 4  # engagement log
    assert len(by_header["Risk"].rows) == 1 + 2
    assert len(by_header["Protected characteristic"].rows) == 1 + 9
    assert len(by_header["Ethnic group"].rows) == 1 + 5
    ic = by_header["IC code"]
    assert [r.cells[0].text for r in ic.rows[1:]] == ["IC1", "IC2", "IC3", "IC4", "IC5", "IC6", "IC9"]
    assert [c.text for c in ic.rows[3].cells] == ["IC3", "Black", "3", "3", "1", "0"]
    redactions = by_header["Field"]
    assert len(redactions.rows) == 1 + len(redact(planted_content())[1])


def test_false_alert_rate_is_derived_in_the_document(disclosure_docx):
    assert "0.0108% (1 in 9,250 faces seen)" in body_text(disclosure_docx)


def test_full_document_has_no_redactions_section(full_docx):
    d = docx.Document(io.BytesIO(full_docx))
    assert "Redactions" not in [p.text for p in d.paragraphs]
    # Headers and footers too, where the disclosure copy's banner is.
    assert not found("DISCLOSURE COPY", readable(full_docx))
    assert found("DISCLOSURE COPY", readable(render_docx(
        context(redact(planted_content())[0], redaction_log=[]), title="t", author_label=FORCE)))
    assert "Hollingsworth-S40" in body_text(full_docx)


def test_empty_draft_renders_not_yet_provided():
    data = render_docx(context({}, status="draft"), title="draft", author_label=FORCE)
    text = body_text(data)
    assert text.count("Not yet provided") > 30
    assert "Not yet provided (completed by an amendment after the deployment)." in text
    for name, xml in parts(data).items():
        if name.endswith(".xml"):
            assert "{{" not in xml and "{%" not in xml


def test_partial_draft_renders():
    content = {"deployment": {"site_description": "Outside the station"}, "engagement_log": []}
    text = body_text(render_docx(context(content, status="draft"), title="d", author_label=FORCE))
    assert "Outside the station" in text


def test_values_are_escaped(full_content):
    content = json.loads(json.dumps(full_content))
    content["deployment"]["site_description"] = "Shops <A&B> \"quoted\" & more"
    data = render_docx({**context(content), "force_name": "Force <&> Test"},
                       title="t", author_label="Force <&> Test")
    text = body_text(data)  # parses: XML not corrupted
    assert "Shops <A&B> \"quoted\" & more" in text
    assert "Force <&> Test" in text
    assert docx.Document(io.BytesIO(data)).core_properties.author == "Force <&> Test"


def test_template_tags_are_well_placed():
    xml = parts(TEMPLATE_PATH.read_bytes())["word/document.xml"]
    for row in re.findall(r"<w:tr[ >].*?</w:tr>", xml, flags=re.S):
        assert xml_text(row).count("{%tr") <= 1
    for para in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S):
        assert xml_text(para).count("{%p") <= 1
        if "{%p" in xml_text(para):
            assert xml_text(para).startswith("{%p") and xml_text(para).endswith("%}")


def test_build_template_reproduces_committed_template(tmp_path):
    out = build_template.build(tmp_path / "cia.docx")
    assert xml_text(parts(out.read_bytes())["word/document.xml"]) == \
        xml_text(parts(TEMPLATE_PATH.read_bytes())["word/document.xml"])


def test_control_characters_do_not_corrupt_the_document(full_content):
    content = json.loads(json.dumps(full_content))
    content["deployment"]["site_description"] = "Bell\x07 form\x0c feed\x0b vt\x01 end\r\nnext"
    data = render_docx(context(content), title="t", author_label=FORCE)
    assert "Bell form feed vt end" in body_text(data)


def _pointers(schema, pointer: str = ""):
    from marshmallow import fields as mfields
    for name, f in schema.fields.items():
        ptr = f"{pointer}/{name}"
        yield ptr
        inner = f.inner if isinstance(f, mfields.List) else f
        if isinstance(inner, mfields.Nested):
            yield from _pointers(inner.schema, f"{ptr}/0" if inner is not f or f.many else ptr)


def test_no_field_name_the_redaction_log_prints_is_taken_for_a_withheld_value():
    """The copy's log table names each field ("header › title"): the whole-document
    pass, the name model with it, reads those names as it reads the rest, and none of
    them may look like a person ("Header" and "Watchlist" once did)."""
    from cia_schemas.content import CiaContentSchema

    from cia_authoring.disclosure.redactors import redactor_for
    from cia_authoring.documents.render import f_fieldname

    labels = sorted({f_fieldname(p) for p in _pointers(CiaContentSchema())})
    assert len(labels) > 100 and "header › title" in labels
    redactor = redactor_for({"FORCE_NAME": "Metropolitan Police Service"})
    changed = [label for label in labels if redactor.text(label) != label]
    assert changed == []
    # Positive control: a person in the same form is withheld.
    assert redactor.text("Rachel Whitfield › title") != "Rachel Whitfield › title"
