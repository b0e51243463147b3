"""Build the default FOI response letter template with python-docx.

The template ships as an ordinary file
(``services/cia-authoring/cia_authoring/documents/templates/foi-response.docx``)
that a force may replace by its own (setting ``FOI_RESPONSE_TEMPLATE``); this
script only rebuilds that default. Run it from the repository root:
``python -m tools.build_foi_response_template [OUT.docx]``.

docxtpl renders it (``cia_authoring/foi_requests/letter.py``): ``{%p %}`` tags
sit alone in their paragraph, ``{%tr %}`` tags alone in their table row. The
context it receives is documented in ``letter.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.shared import Cm, Pt

TEMPLATE_PATH = (Path(__file__).resolve().parents[1] / "services" / "cia-authoring" / "cia_authoring"
                 / "documents" / "templates" / "foi-response.docx")

MEASURES = (("true_alerts", "True alerts"), ("true_alert_engagements", "True-alert engagements"),
            ("false_alerts", "False alerts"), ("false_alert_engagements", "False-alert engagements"))


def _tag(doc, text: str) -> None:
    doc.add_paragraph(text)


def _stats_table(doc) -> None:
    table = doc.add_table(rows=5, cols=1 + len(MEASURES))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    header = table.rows[0].cells
    header[0].text = "IC code"
    for i, (_key, title) in enumerate(MEASURES, start=1):
        header[i].text = title
    table.rows[1].cells[0].text = "{%tr for row in a.table.rows %}"
    body = table.rows[2].cells
    body[0].text = "{{ row.group }} {{ row.label }}"
    for i, (key, _title) in enumerate(MEASURES, start=1):
        body[i].text = "{{ row.%s }}" % key
    table.rows[3].cells[0].text = "{%tr endfor %}"
    total = table.rows[4].cells
    total[0].text = "Total"
    for i, (key, _title) in enumerate(MEASURES, start=1):
        total[i].text = "{{ a.table.total.%s }}" % key
    for row in table.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(9)


def build(path: Path = TEMPLATE_PATH) -> Path:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.2))
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(11)
    section.header.paragraphs[0].text = "{{ force_name }} — Freedom of Information"
    section.footer.paragraphs[0].text = "Our reference: {{ reference }}"

    doc.add_heading("{{ force_name }}", level=1)
    doc.add_paragraph("Information Rights Unit")
    doc.add_paragraph("Our reference: {{ reference }}")
    doc.add_paragraph("Date: {{ letter_date }}")
    doc.add_paragraph("Dear requester,")
    doc.add_heading("Freedom of Information request reference no: {{ reference }}", level=2)
    doc.add_paragraph("I write in connection with your request for information which was received "
                      "by the {{ force_name }} on {{ received_on }}. I note you seek access to the "
                      "following information:")
    _tag(doc, "{%p for q in questions %}")
    doc.add_paragraph("{{ q.number }}. {{ q.text }}")
    _tag(doc, "{%p endfor %}")

    doc.add_heading("Decision", level=2)
    _tag(doc, "{%p for line in decision %}")
    doc.add_paragraph("{{ line }}")
    _tag(doc, "{%p endfor %}")

    _tag(doc, "{%p if exemptions %}")
    doc.add_heading("Reasons for decision", level=2)
    doc.add_paragraph("The exemptions applied to this request, and the reasons for applying them, "
                      "are as follows.")
    _tag(doc, "{%p for e in exemptions %}")
    doc.add_heading("{{ e.title }}", level=3)
    _tag(doc, "{%p for para in e.paragraphs %}")
    doc.add_paragraph("{{ para }}")
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p endif %}")

    doc.add_heading("The answers to your questions", level=2)
    _tag(doc, "{%p for a in answers %}")
    doc.add_heading("Question {{ a.number }}", level=3)
    _tag(doc, "{%p for line in a.lines %}")
    doc.add_paragraph("{{ line }}")
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p if a.table %}")
    _stats_table(doc)
    doc.add_paragraph("{{ a.table.note }}")
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endfor %}")

    doc.add_heading("Complaint rights", level=2)
    doc.add_paragraph("Are you unhappy with how your request has been handled or do you think the "
                      "decision is incorrect? You have the right to ask the {{ force_name }} to "
                      "review its decision. Ask for an internal review, in writing, within 40 "
                      "working days of the date of this letter, quoting the reference above.")
    doc.add_paragraph("If you remain dissatisfied after the internal review, you have the right "
                      "under section 50 of the Act to complain to the Information Commissioner: "
                      "Information Commissioner's Office, Wycliffe House, Water Lane, Wilmslow, "
                      "Cheshire SK9 5AF; www.ico.org.uk.")
    doc.add_paragraph("Yours sincerely,")
    doc.add_paragraph("Information Rights Unit, {{ force_name }}")

    props = doc.core_properties
    props.author = props.last_modified_by = "CIA Workflow"
    props.title = "FOI response letter"
    props.comments = props.keywords = props.subject = ""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE_PATH))
