"""Build the CIA DOCX template (``templates/cia.docx``) with python-docx.

Run ``python -m cia_authoring.documents.build_template`` to rewrite the
committed template. The template is rendered by docxtpl (see ``render.py``):

- plain ``{{ }}`` / ``{% %}`` tags sit in a single run;
- ``{%p ... %}`` tags sit alone in their paragraph, ``{%tr ... %}`` tags alone
  in their table row (never two in one paragraph or row);
- every value goes through a filter (``nyp``, ``dt``, ``label``, ``lines``...)
  so that a missing section in a draft renders as "Not yet provided".
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

TEMPLATE_PATH = Path(__file__).with_name("templates") / "cia.docx"

C = "c"  # the content alias set at the top of the body
DISCLOSURE_TEST = "redaction_log is defined and redaction_log is not none"
MARKING = "{{ cia.content.header.protective_marking | nyp('OFFICIAL') }}"

SECTION_HEADINGS = [
    "1. Header",
    "2. Deployment",
    "3. Legal basis and proportionality",
    "4. Intelligence case",
    "5. Watchlist",
    "6. Area profile",
    "7. Engagement log",
    "8. Community sentiment",
    "9. Equality impact",
    "10. Risks",
    "11. Communications",
    "12. Sign-off",
    "13. Post-deployment review",
]


# --------------------------------------------------------------------------
# python-docx helpers
# --------------------------------------------------------------------------


def _para(doc, text="", style=None, *, bold=False, align=None, size=None, color=None):
    p = doc.add_paragraph(style=style)
    if text:
        run = p.add_run(text)
        run.bold = bold or None
        if size:
            run.font.size = Pt(size)
        if color:
            run.font.color.rgb = RGBColor.from_string(color)
    if align is not None:
        p.alignment = align
    return p


def _tag(doc, tag):
    """A paragraph holding only a ``{%p ... %}`` tag."""
    return doc.add_paragraph("{%p " + tag + " %}")


def _heading(doc, text, level=1):
    return doc.add_heading(text, level=level)


def _repeat_header(row):
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _shade(cell, fill="D9E2F3"):
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _cell_text(cell, text, bold=False):
    cell.text = ""
    run = cell.paragraphs[0].add_run(text)
    run.bold = bold or None


def _kv_table(doc, rows):
    """Two-column label / value table; values are Jinja expressions."""
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, expr in rows:
        cells = table.add_row().cells
        _cell_text(cells[0], label, bold=True)
        _shade(cells[0], "F2F2F2")
        _cell_text(cells[1], "{{ " + expr + " }}")
        cells[0].width = Cm(5.5)
        cells[1].width = Cm(11.5)
    doc.add_paragraph()
    return table


def _loop_table(doc, headers, loop, var, exprs):
    """Header row, then ``{%tr for var in loop %}`` / data row / ``{%tr endfor %}``."""
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head, start, data, end = table.rows
    for cell, text in zip(head.cells, headers):
        _cell_text(cell, text, bold=True)
        _shade(cell)
    _repeat_header(head)
    _cell_text(start.cells[0], "{%tr for " + var + " in " + loop + " %}")
    for cell, expr in zip(data.cells, exprs):
        _cell_text(cell, "{{ " + expr + " }}")
    _cell_text(end.cells[0], "{%tr endfor %}")
    return table


def _list_block(doc, expr, headers, var, exprs, empty="Not yet provided"):
    """A table for a list value; the marker text if the list was redacted as a
    whole; ``empty`` if there is nothing yet."""
    _tag(doc, f"if {expr} is string")
    doc.add_paragraph("{{ " + expr + " }}")
    _tag(doc, f"elif not {expr}")
    doc.add_paragraph(empty)
    _tag(doc, "else")
    _loop_table(doc, headers, f"{expr} | rows", var, exprs)
    _tag(doc, "endif")
    doc.add_paragraph()


def _labelled(doc, label, expr):
    p = doc.add_paragraph()
    p.add_run(label).bold = True
    doc.add_paragraph("{{ " + expr + " }}")


def _field_run(paragraph, instr):
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instr)
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    fld.append(r)
    paragraph._p.append(fld)


# --------------------------------------------------------------------------
# The document
# --------------------------------------------------------------------------


def build(path: Path = TEMPLATE_PATH) -> Path:
    doc = Document()

    # Page and base style
    for section in doc.sections:
        section.page_height, section.page_width = Cm(29.7), Cm(21.0)
        section.left_margin = section.right_margin = Cm(2.0)
        section.top_margin = section.bottom_margin = Cm(2.0)
        section.different_first_page_header_footer = False
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10.5)
    for name in ("Title", "Heading 1", "Heading 2"):
        doc.styles[name].font.name = "Arial"

    # Header: protective marking; footer: reference, version, page number
    sec = doc.sections[0]
    hp = sec.header.paragraphs[0]
    hp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = hp.add_run(MARKING + "{{ ' — DISCLOSURE COPY' if " + DISCLOSURE_TEST + " else '' }}")
    run.bold = True
    fp = sec.footer.paragraphs[0]
    fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fp.add_run("{{ operation.reference | nyp('') }} · CIA version {{ cia.version | nyp('') }} · Page ")
    _field_run(fp, "PAGE")
    fp.add_run(" of ")
    _field_run(fp, "NUMPAGES")

    # Content alias for the rest of the body
    _tag(doc, "set c = cia.content")

    # ---------------- Title page ----------------
    _para(doc, MARKING, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, color="C00000")
    for _ in range(3):
        doc.add_paragraph()
    _para(doc, "{{ force_name | nyp('') }}", bold=True, size=16, align=WD_ALIGN_PARAGRAPH.CENTER)
    t = doc.add_paragraph("Community Impact Assessment", style="Title")
    t.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, "Live Facial Recognition deployment", size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.add_paragraph()
    _para(doc, "{{ operation.name | nyp }}", bold=True, size=16, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "Operation reference: {{ operation.reference | nyp }}", size=12,
          align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "{{ operation.location_name | nyp }}, {{ operation.ward | nyp }}, {{ operation.borough | nyp }}",
          align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.add_paragraph()
    title_rows = [
        ("Version", "cia.version | nyp"),
        ("Status", "cia.status | label"),
        ("Protective marking", "cia.content.header.protective_marking | nyp('OFFICIAL')"),
        ("Use case", "operation.use_case | label"),
        ("Planned deployment", "c.deployment.start | dt"),
        ("Produced", "rendered_at | dt"),
    ]
    _kv_table(doc, title_rows)
    _tag(doc, "if " + DISCLOSURE_TEST)
    _para(doc, "DISCLOSURE COPY", bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, color="C00000")
    _para(doc, "This copy is released under the Freedom of Information Act 2000. Information exempt "
               "under section 40(2) (personal information) or section 31(1)(a)&(b) (law enforcement) "
               "has been withheld; each redaction is shown in place and listed in the table "
               "“Redactions” at the end of this document.", align=WD_ALIGN_PARAGRAPH.CENTER)
    _tag(doc, "endif")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # ---------------- 1. Header ----------------
    _heading(doc, SECTION_HEADINGS[0])
    _kv_table(doc, [
        ("Operation reference", f"{C}.header.operation_reference | nyp"),
        ("Title", f"{C}.header.title | nyp"),
        ("Protective marking", f"{C}.header.protective_marking | nyp"),
        ("Version", f"cia.version | nyp({C}.header.version | nyp)"),
        ("Status", f"(cia.status or {C}.header.status) | label"),
    ])

    # ---------------- 2. Deployment ----------------
    _heading(doc, SECTION_HEADINGS[1])
    _kv_table(doc, [
        ("Site description", f"{C}.deployment.site_description | nyp"),
        ("Start", f"{C}.deployment.start | dt"),
        ("End", f"{C}.deployment.end | dt"),
        ("Use case", f"{C}.deployment.use_case | label"),
        ("Rationale for the location", f"{C}.deployment.location_rationale | nyp"),
        ("Camera positions", f"{C}.deployment.camera_positions | lines"),
        ("Operational timings", f"{C}.deployment.operational_timings | nyp"),
        ("Signage and notice plan", f"{C}.deployment.signage_and_notice_plan | nyp"),
    ])

    # ---------------- 3. Legal basis ----------------
    _heading(doc, SECTION_HEADINGS[2])
    _labelled(doc, "Legal framework", f"{C}.legal_basis.legal_framework | nyp")
    _labelled(doc, "Legitimate aim", f"{C}.legal_basis.legitimate_aim | nyp")
    _labelled(doc, "Necessity", f"{C}.legal_basis.necessity | nyp")
    _labelled(doc, "Proportionality", f"{C}.legal_basis.proportionality | nyp")
    p = doc.add_paragraph()
    p.add_run("Less intrusive alternatives considered").bold = True
    _list_block(doc, f"{C}.legal_basis.alternatives_considered",
                ["Alternative", "Why it was rejected"], "a",
                ["a.alternative | nyp", "a.reason_rejected | nyp"])

    # ---------------- 4. Intelligence case ----------------
    _heading(doc, SECTION_HEADINGS[3])
    _kv_table(doc, [
        ("Summary", f"{C}.intelligence_case.summary | nyp"),
        ("Key points", f"{C}.intelligence_case.key_points | lines"),
        ("Assessed on", f"{C}.intelligence_case.assessed_on | d"),
    ])

    # ---------------- 5. Watchlist ----------------
    _heading(doc, SECTION_HEADINGS[4])
    _kv_table(doc, [
        ("Size", f"{C}.watchlist.size | num"),
        ("Categories", f"{C}.watchlist.categories | lines(true)"),
        ("Rationale for the composition", f"{C}.watchlist.composition_rationale | nyp"),
        ("Last reviewed", f"{C}.watchlist.last_reviewed | d"),
    ])
    p = doc.add_paragraph()
    p.add_run("Composition by category").bold = True
    _list_block(doc, f"{C}.watchlist.category_counts", ["Category", "Images"], "w",
                ["w.category | label", "w.count | num"])

    # ---------------- 6. Area profile ----------------
    _heading(doc, SECTION_HEADINGS[5])
    _kv_table(doc, [
        ("Area", f"{C}.area_profile.area_name | nyp"),
        ("Census source", f"{C}.area_profile.census_source | nyp"),
        ("Community tension level", f"{C}.area_profile.tension_level | label"),
    ])
    p = doc.add_paragraph()
    p.add_run("Ethnicity mix").bold = True
    _list_block(doc, f"{C}.area_profile.ethnicity_mix", ["Ethnic group", "Share of population"], "e",
                ["e.group | nyp", "e.percent | pct"])
    _labelled(doc, "Community tension", f"{C}.area_profile.tension_narrative | nyp")
    _labelled(doc, "Recent incidents", f"{C}.area_profile.recent_incidents | nyp")
    _labelled(doc, "Local context", f"{C}.area_profile.local_context | nyp")
    _labelled(doc, "National context", f"{C}.area_profile.national_context | nyp")

    # ---------------- 7. Engagement log ----------------
    _heading(doc, SECTION_HEADINGS[6])
    _list_block(doc, f"{C}.engagement_log",
                ["Date", "Body", "Summary", "Outcome", "Contact"], "g",
                ["g.date | d",
                 "g.body_name | nyp(g.body | label)",
                 "g.summary | nyp",
                 "g.outcome | nyp('—')",
                 "g | contact"])

    # ---------------- 8. Community sentiment ----------------
    _heading(doc, SECTION_HEADINGS[7])
    _labelled(doc, "Community sentiment", f"{C}.community_sentiment.summary | nyp")
    _labelled(doc, "Anticipated opposition", f"{C}.community_sentiment.anticipated_opposition | nyp")
    _labelled(doc, "Protest anticipated", f"{C}.community_sentiment.protest_expected | yesno")
    _labelled(doc, "Protest and how it will be facilitated", f"{C}.community_sentiment.protest_details | nyp('—')")

    # ---------------- 9. Equality impact ----------------
    _heading(doc, SECTION_HEADINGS[8])
    _kv_table(doc, [
        ("Equality Impact Assessment", f"{C}.equality_impacts.eia_reference | nyp"),
        ("Data Protection Impact Assessment", f"{C}.equality_impacts.dpia_reference | nyp"),
    ])
    _list_block(doc, f"{C}.equality_impacts.entries",
                ["Protected characteristic", "Impact", "Assessment", "Mitigations"], "q",
                ["q.characteristic | label", "q.impact | label", "q.narrative | nyp",
                 "q.mitigations | nyp('—')"])

    # ---------------- 10. Risks ----------------
    _heading(doc, SECTION_HEADINGS[9])
    _list_block(doc, f"{C}.risks",
                ["Risk", "Likelihood", "Impact", "Mitigation", "Owner", "Due"], "k",
                ["k.risk | nyp", "k.likelihood | label", "k.impact | label", "k.mitigation | nyp",
                 "k | owner", "k.due_date | d('—')"])

    # ---------------- 11. Communications ----------------
    _heading(doc, SECTION_HEADINGS[10])
    _labelled(doc, "Communications plan", f"{C}.communications.plan | nyp")
    _labelled(doc, "Press lines", f"{C}.communications.press_lines | lines")
    _labelled(doc, "Leaflets", f"{C}.communications.leaflets | nyp")
    _labelled(doc, "Social media", f"{C}.communications.social_media | nyp")

    # ---------------- 12. Sign-off ----------------
    _heading(doc, SECTION_HEADINGS[11])
    table = doc.add_table(rows=1, cols=7)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells,
                          ["", "Name", "Rank", "Role", "E-mail", "Phone", "Signed"]):
        _cell_text(cell, text, bold=True)
        _shade(cell)
    for label, key in (("Author", "author"), ("Community lead", "community_lead"),
                       ("Authorising officer", "authorising_officer")):
        cells = table.add_row().cells
        _cell_text(cells[0], label, bold=True)
        base = f"{C}.sign_off.{key}"
        for cell, expr in zip(cells[1:], [f"{base}.name | nyp", f"{base}.rank | label",
                                          f"{base}.role | nyp('—')", f"{base}.email | nyp",
                                          f"{base}.phone | nyp('—')", f"{base}.signed_at | dt('—')"]):
            _cell_text(cell, "{{ " + expr + " }}")
    doc.add_paragraph()

    # ---------------- 13. Post-deployment review ----------------
    _heading(doc, SECTION_HEADINGS[12])
    pdr = f"{C}.post_deployment_review"
    _tag(doc, f"if {pdr} is string")
    doc.add_paragraph("{{ " + pdr + " }}")
    _tag(doc, f"elif not {pdr}")
    doc.add_paragraph("Not yet provided (completed by an amendment after the deployment).")
    _tag(doc, "else")
    _kv_table(doc, [
        ("Actual start", f"{pdr}.actual_start | dt"),
        ("Actual end", f"{pdr}.actual_end | dt"),
        ("Duration", f"{pdr}.duration_minutes | minutes"),
        ("Faces seen (estimate)", f"{pdr}.faces_seen | num"),
        ("Total alerts", f"{pdr}.total_alerts | num"),
        ("True alerts – confirmed", f"{pdr}.true_alerts_confirmed | num"),
        ("True alerts – unconfirmed", f"{pdr}.true_alerts_unconfirmed | num"),
        ("False alerts – confirmed", f"{pdr}.false_alerts_confirmed | num"),
        ("False alerts – unconfirmed", f"{pdr}.false_alerts_unconfirmed | num"),
        ("False alert rate (derived)", f"{pdr}.false_alert_rate | rate"),
        ("Outcome – arrests", f"{pdr}.arrests | num"),
        ("Outcome – other action", f"{pdr}.other_action | num"),
        ("Outcome – no action", f"{pdr}.no_action | num"),
    ])
    p = doc.add_paragraph()
    p.add_run("Alerts and engagements by IC code").bold = True
    _list_block(doc, f"{pdr}.ic_breakdown",
                ["IC code", "Description", "True alerts", "True-alert engagements",
                 "False alerts", "False-alert engagements"], "r",
                ["r.ic_code | nyp", "r.ic_code | iclabel", "r.true_alerts | num",
                 "r.true_alert_engagements | num", "r.false_alerts | num",
                 "r.false_alert_engagements | num"])
    _labelled(doc, "Community feedback", f"{pdr}.community_feedback | nyp")
    _labelled(doc, "Complaints", f"{pdr}.complaints_received | num('—')")
    doc.add_paragraph("{{ " + f"{pdr}.complaints_summary | nyp('')" + " }}")
    _labelled(doc, "Lessons learned", f"{pdr}.lessons_learned | nyp")
    _tag(doc, "endif")

    # ---------------- Redactions (disclosure copy only) ----------------
    _tag(doc, "if " + DISCLOSURE_TEST)
    _heading(doc, "Redactions")
    doc.add_paragraph("Information withheld from this disclosure copy, with the exemption relied on.")
    _tag(doc, "if redaction_log")
    _loop_table(doc, ["Field", "Exemption", "Reason"], "redaction_log | rows", "x",
                ["x.pointer | fieldname", "x.exemption | nyp", "x.reason | nyp"])
    _tag(doc, "else")
    doc.add_paragraph("No information has been withheld.")
    _tag(doc, "endif")
    _tag(doc, "endif")

    _neutral_metadata(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


_APP_XML = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>CIA Workflow</Application><DocSecurity>0</DocSecurity>"
    "<ScaleCrop>false</ScaleCrop><Company></Company><LinksUpToDate>false</LinksUpToDate>"
    "<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
    "</Properties>"
)


def _neutral_metadata(doc) -> None:
    """No person, no generator noise, no thumbnail in the template's metadata."""
    cp = doc.core_properties
    cp.author = "CIA Workflow"
    cp.last_modified_by = "CIA Workflow"
    cp.title = "Community Impact Assessment"
    cp.subject = "Community Impact Assessment"
    cp.comments = ""
    cp.keywords = ""
    cp.category = ""
    cp.revision = 1
    fixed = datetime(2026, 1, 1, tzinfo=timezone.utc)
    cp.created = fixed
    cp.modified = fixed
    pkg = doc.part.package
    for rid, rel in list(pkg.rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            pkg.rels.pop(rid)
    for part in pkg.iter_parts():
        if str(part.partname) == "/docProps/app.xml":
            part._blob = _APP_XML.encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = build(Path(argv[0]) if argv else TEMPLATE_PATH)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
