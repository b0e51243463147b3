"""The layout of the default CIA template (tools/build_cia_template.py): what makes the
document read like one a force would publish, checked in the rendered DOCX."""
from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import docx
import pytest
from docx.shared import Cm

from tools.build_cia_template import SECTION_HEADINGS, TEXT_WIDTH_CM
from cia_authoring.documents.render import TEMPLATE_PATH, f_span, render_docx
from tests.support import planted_content

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _load(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _render(status: str = "approved", with_pdr: bool = True) -> bytes:
    content = planted_content()
    if with_pdr:
        content["post_deployment_review"] = _load("post-deployment-review.json")
    ctx = {"force_name": "Metropolitan Police Service", "operation": _load("operation.json"),
           "cia": {"version": 2, "status": status, "content": content},
           "rendered_at": "2026-05-20T09:00:00+00:00"}
    return render_docx(ctx, title="t", author_label="Metropolitan Police Service")


@pytest.fixture(scope="module")
def approved() -> bytes:
    return _render()


def _xml_text(xml: str) -> str:
    return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))


def _parts(data: bytes, pattern: str) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [z.read(n).decode() for n in z.namelist() if re.fullmatch(pattern, n)]


def test_title_page_names_force_operation_and_document_control(approved):
    d = docx.Document(io.BytesIO(approved))
    texts = [p.text for p in d.paragraphs]
    first_heading = next(i for i, p in enumerate(d.paragraphs) if p.style.name == "Heading 1")
    title_page = texts[:first_heading]
    for expected in ("Metropolitan Police Service", "Community Impact Assessment",
                     "Croydon Town Centre LFR Deployment", "Operation LFR-2026-0042",
                     "Document control"):
        assert expected in title_page, expected
    control = d.tables[0]
    rows = {r.cells[0].text: r.cells[1].text for r in control.rows}
    assert rows["Status"] == "Approved" and rows["Version"] == "2"
    assert rows["Planned deployment"] == "Thursday 14 May 2026, 10:00–18:00 (UTC+01:00)"
    assert "DRAFT — NOT APPROVED" not in texts
    # A page break ends the title page.
    assert any('w:type="page"' in p._p.xml for p in d.paragraphs[:first_heading])


def test_a_heading_per_section_and_tables_for_the_lists(approved):
    d = docx.Document(io.BytesIO(approved))
    assert [p.text for p in d.paragraphs if p.style.name == "Heading 1"] == SECTION_HEADINGS
    first_cells = {t.rows[0].cells[0].text for t in d.tables}
    # engagement log, risks, equality impacts, IC-code breakdown, sign-off
    assert {"Date", "Risk", "Protected characteristic", "IC code", ""} <= first_cells
    sign_off = next(t for t in d.tables if t.rows[0].cells[0].text == "")
    assert [c.text for c in sign_off.rows[0].cells] == ["", "Author", "Community lead",
                                                       "Authorising officer"]
    assert [r.cells[0].text for r in sign_off.rows[1:]] == ["Name", "Rank", "Role", "E-mail",
                                                           "Phone", "Signed"]


def test_tables_have_fixed_widths_within_the_page_and_repeat_their_headers(approved):
    d = docx.Document(io.BytesIO(approved))
    text_width = round(Cm(TEXT_WIDTH_CM).twips)
    for table in d.tables:
        tbl = table._tbl
        assert tbl.tblPr.find(f"{W}tblLayout").get(f"{W}type") == "fixed"
        widths = [int(c.get(f"{W}w")) for c in tbl.tblGrid.findall(f"{W}gridCol")]
        assert len(widths) == len(table.columns)
        assert abs(sum(widths) - text_width) <= len(widths), widths  # rounding only
        for row in table.rows:
            assert row._tr.trPr.find(f"{W}cantSplit") is not None  # rows never break
    ic = next(t for t in d.tables if t.rows[0].cells[0].text == "IC code")
    assert ic.rows[0]._tr.trPr.find(f"{W}tblHeader") is not None
    # Counts are right-aligned.
    assert ic.rows[1].cells[2].paragraphs[0].style.name == "CIA Cell Number"
    assert ic.rows[1].cells[0].paragraphs[0].style.name == "CIA Cell"


def test_marking_on_every_page_and_footer_with_reference_version_and_pages(approved):
    headers = [_xml_text(x) for x in _parts(approved, r"word/header\d*\.xml")]
    footers = _parts(approved, r"word/footer\d*\.xml")
    assert "OFFICIAL" in headers
    footer_text = "".join(_xml_text(x) for x in footers)
    assert footer_text.startswith("OFFICIAL")
    assert "Community Impact Assessment LFR-2026-0042 · CIA version 2 · Page" in footer_text
    footer = "".join(footers)
    assert 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer


def test_a_version_not_approved_says_so_on_every_page():
    data = _render(status="changes_requested", with_pdr=False)
    headers = [_xml_text(x) for x in _parts(data, r"word/header\d*\.xml")]
    assert "OFFICIAL — DRAFT, NOT APPROVED" in headers
    texts = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    assert "DRAFT — NOT APPROVED" in texts


def test_the_template_is_a4_with_its_own_styles():
    d = docx.Document(str(TEMPLATE_PATH))
    section = d.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    text_width = section.page_width - section.left_margin - section.right_margin
    assert round(text_width / Cm(1), 1) == TEXT_WIDTH_CM
    names = {s.name for s in d.styles}
    assert {"CIA Cell", "CIA Cell Number", "CIA Label", "CIA Small"} <= names
    assert d.styles["Heading 1"].paragraph_format.keep_with_next is True


@pytest.mark.parametrize("start, end, expected", [
    ("2026-05-14T10:00:00+01:00", "2026-05-14T18:00:00+01:00",
     "Thursday 14 May 2026, 10:00–18:00 (UTC+01:00)"),
    ("2026-05-14T22:00:00+01:00", "2026-05-15T02:00:00+01:00",
     "Thursday 14 May 2026, 22:00 (UTC+01:00) to Friday 15 May 2026, 02:00 (UTC+01:00)"),
    ("2026-05-14T10:00:00+01:00", None, "Thursday 14 May 2026, 10:00 (UTC+01:00)"),
    (None, None, "Not yet provided"),
    ("[Redacted — s.31(1)(a)(b)]", None, "[Redacted — s.31(1)(a)(b)]"),
])
def test_span_filter(start, end, expected):
    assert f_span(start, end) == expected
