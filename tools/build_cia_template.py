"""Build the default CIA DOCX template with python-docx.

The template ships as an ordinary file
(``services/cia-authoring/cia_authoring/documents/templates/cia.docx``) that a
force edits in Word or LibreOffice and uploads (``PUT /api/v1/templates/cia``);
this script only rebuilds that default from code. Run it from the repository
root: ``python -m tools.build_cia_template [OUT.docx]``. The template is rendered
by docxtpl (see ``cia_authoring/documents/render.py``):

- plain ``{{ }}`` / ``{% %}`` tags sit in a single run;
- ``{%p ... %}`` tags sit alone in their paragraph, ``{%tr ... %}`` tags alone
  in their table row (never two in one paragraph or row);
- every value goes through a filter (``nyp``, ``dt``, ``label``, ``lines``...)
  so that a missing section in a draft renders as "Not yet provided".

Layout: A4, a title page with a document-control table, one numbered heading
per section, tables with fixed column widths (LibreOffice and Word both honour
the grid), header rows repeated and rows kept whole across pages; the
protective marking in the header and the footer, with the operation reference,
version and "Page n of m".
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

TEMPLATE_PATH = (Path(__file__).resolve().parents[1] / "services" / "cia-authoring" / "cia_authoring"
                 / "documents" / "templates" / "cia.docx")

C = "c"  # the content alias set at the top of the body
DISCLOSURE_TEST = "redaction_log is defined and redaction_log is not none"
DRAFT_TEST = "cia.status not in ['approved', 'superseded']"
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

FONT = "Arial"  # Liberation Sans / DejaVu Sans stand in where Arial is absent
NAVY = "1F3864"
RED = "C00000"
GREY = "595959"
HEAD_FILL = "D9E2F3"
LABEL_FILL = "F2F2F2"
TEXT_WIDTH_CM = 17.0  # A4 (21 cm) less two 2 cm margins

# Paragraph styles of our own (names kept short: they appear in the DOCX).
CELL, CELL_NUM, LABEL, SMALL = "CIA Cell", "CIA Cell Number", "CIA Label", "CIA Small"


# --------------------------------------------------------------------------
# python-docx helpers
# --------------------------------------------------------------------------


def _para(doc, text="", style=None, *, bold=False, align=None, size=None, color=None,
          italic=False, space_after=None):
    p = doc.add_paragraph(style=style)
    if text:
        run = p.add_run(text)
        run.bold = bold or None
        run.italic = italic or None
        if size:
            run.font.size = Pt(size)
        if color:
            run.font.color.rgb = RGBColor.from_string(color)
    if align is not None:
        p.alignment = align
    if space_after is not None:
        p.paragraph_format.space_after = Pt(space_after)
    return p


def _tag(doc, tag):
    """A paragraph holding only a ``{%p ... %}`` tag."""
    return doc.add_paragraph("{%p " + tag + " %}")


def _heading(doc, text, level=1):
    return doc.add_heading(text, level=level)


def _caption(doc, text):
    """A bold caption that stays on the page of what it introduces."""
    return doc.add_paragraph(text, style=LABEL)


def _spacer(doc):
    p = doc.add_paragraph()
    p.paragraph_format.space_after = Pt(2)
    return p


def _row_props(row, *, header=False):
    """Rows never split across pages; a header row repeats on every page."""
    tr_pr = row._tr.get_or_add_trPr()
    cant = OxmlElement("w:cantSplit")
    tr_pr.append(cant)
    if header:
        el = OxmlElement("w:tblHeader")
        el.set(qn("w:val"), "true")
        tr_pr.append(el)


def _shade(cell, fill=HEAD_FILL):
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _cell_text(cell, text, bold=False, style=CELL):
    cell.text = ""
    para = cell.paragraphs[0]
    para.style = style
    run = para.add_run(text)
    run.bold = bold or None


def _table(doc, rows, widths_cm):
    """A grid table with fixed column widths (``widths_cm`` add up to the text width)."""
    table = doc.add_table(rows=rows, cols=len(widths_cm))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl = table._tbl
    tbl_pr = tbl.tblPr
    total = sum(widths_cm)
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(round(Cm(total).twips)))
    # Cell padding, so text does not touch the rules.
    mar = OxmlElement("w:tblCellMar")
    for side, cm in (("top", 0.05), ("left", 0.15), ("bottom", 0.05), ("right", 0.15)):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(round(Cm(cm).twips)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    look = tbl_pr.find(qn("w:tblLook"))
    if look is not None:
        look.addprevious(mar)
    else:
        tbl_pr.append(mar)
    grid = tbl.tblGrid
    for col in list(grid):
        grid.remove(col)
    for width in widths_cm:
        col = OxmlElement("w:gridCol")
        col.set(qn("w:w"), str(round(Cm(width).twips)))
        grid.append(col)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)
    return table


def _kv_table(doc, rows, widths=(5.5, 11.5)):
    """Two-column label / value table; values are Jinja expressions."""
    table = _table(doc, len(rows), widths)
    for row, (label, expr) in zip(table.rows, rows):
        _row_props(row)
        cells = row.cells
        _cell_text(cells[0], label, bold=True)
        _shade(cells[0], LABEL_FILL)
        _cell_text(cells[1], "{{ " + expr + " }}")
    _spacer(doc)
    return table


def _loop_table(doc, headers, loop, var, exprs, widths, numeric=()):
    """Header row, then ``{%tr for var in loop %}`` / data row / ``{%tr endfor %}``.

    ``numeric``: indexes of columns whose values are right-aligned numbers.
    """
    table = _table(doc, 4, widths)
    head, start, data, end = table.rows
    for i, (cell, text) in enumerate(zip(head.cells, headers)):
        _cell_text(cell, text, bold=True, style=CELL_NUM if i in numeric else CELL)
        _shade(cell)
    _row_props(head, header=True)
    _cell_text(start.cells[0], "{%tr for " + var + " in " + loop + " %}")
    for i, (cell, expr) in enumerate(zip(data.cells, exprs)):
        _cell_text(cell, "{{ " + expr + " }}", style=CELL_NUM if i in numeric else CELL)
    _row_props(data)
    _cell_text(end.cells[0], "{%tr endfor %}")
    return table


def _list_block(doc, expr, headers, var, exprs, widths, numeric=(), empty="Not yet provided"):
    """A table for a list value; the marker text if the list was redacted as a
    whole; ``empty`` if there is nothing yet."""
    _tag(doc, f"if {expr} is string")
    doc.add_paragraph("{{ " + expr + " }}")
    _tag(doc, f"elif not {expr}")
    doc.add_paragraph(empty)
    _tag(doc, "else")
    _loop_table(doc, headers, f"{expr} | rows", var, exprs, widths, numeric)
    _tag(doc, "endif")
    _spacer(doc)


def _labelled(doc, label, expr):
    _caption(doc, label)
    doc.add_paragraph("{{ " + expr + " }}")


def _field_run(paragraph, instr, size=None):
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instr)
    r = OxmlElement("w:r")
    if size:
        r_pr = OxmlElement("w:rPr")
        sz = OxmlElement("w:sz")
        sz.set(qn("w:val"), str(size * 2))
        r_pr.append(sz)
        r.append(r_pr)
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    fld.append(r)
    paragraph._p.append(fld)


def _bottom_rule(style, color=NAVY, size=6):
    """A thin rule under every paragraph of ``style`` (section headings)."""
    p_pr = style.element.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), str(size))
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), color)
    bdr.append(bottom)
    p_pr.insert_element_before(
        bdr, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
        "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
        "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
        "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
        "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
        "w:pPrChange")


def _font(style, name=FONT):
    """Set the font for every script (python-docx's ``font.name`` leaves the theme's
    East-Asian and complex-script fonts in place)."""
    style.font.name = name
    r_pr = style.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), name)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(attr), None)


def _styles(doc):
    styles = doc.styles
    normal = styles["Normal"]
    _font(normal)
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.1

    title = styles["Title"]
    _font(title)
    title.font.size = Pt(26)
    title.font.color.rgb = RGBColor.from_string(NAVY)

    h1 = styles["Heading 1"]
    _font(h1)
    h1.font.size = Pt(14)
    h1.font.bold = True
    h1.font.color.rgb = RGBColor.from_string(NAVY)
    h1.paragraph_format.space_before = Pt(16)
    h1.paragraph_format.space_after = Pt(6)
    h1.paragraph_format.keep_with_next = True
    _bottom_rule(h1)

    for name, size, bold, align in ((CELL, 9, False, None),
                                    (CELL_NUM, 9, False, WD_ALIGN_PARAGRAPH.RIGHT),
                                    (LABEL, 10, True, None),
                                    (SMALL, 8.5, False, None)):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.font.size = Pt(size)
        style.font.bold = bold or None
        if align is not None:
            style.paragraph_format.alignment = align
    for name in (CELL, CELL_NUM):
        styles[name].paragraph_format.space_after = Pt(0)
        styles[name].paragraph_format.line_spacing = 1.0
    label = styles[LABEL]
    label.paragraph_format.space_before = Pt(6)
    label.paragraph_format.space_after = Pt(2)
    label.paragraph_format.keep_with_next = True
    styles[SMALL].font.color.rgb = RGBColor.from_string(GREY)


def _header_footer(doc):
    """Marking at the top and bottom of every page (Government Security
    Classifications); reference, version and page numbers in the footer."""
    sec = doc.sections[0]
    sec.header_distance = sec.footer_distance = Cm(1.0)
    hp = sec.header.paragraphs[0]
    hp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = hp.add_run(MARKING + "{{ ' — DISCLOSURE COPY' if " + DISCLOSURE_TEST + " else '' }}"
                     "{{ ' — DRAFT, NOT APPROVED' if " + DRAFT_TEST + " else '' }}")
    run.bold = True
    run.font.size = Pt(10)

    footer = sec.footer
    fm = footer.paragraphs[0]
    fm.alignment = WD_ALIGN_PARAGRAPH.CENTER
    mark = fm.add_run(MARKING)
    mark.bold = True
    mark.font.size = Pt(10)
    fp = footer.add_paragraph()
    fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    small = fp.add_run("{{ force_name | nyp('') }} · Community Impact Assessment "
                       "{{ operation.reference | nyp('') }} · CIA version {{ cia.version | nyp('') }}"
                       " · Page ")
    small.font.size = Pt(8)
    _field_run(fp, "PAGE", size=8)
    of = fp.add_run(" of ")
    of.font.size = Pt(8)
    _field_run(fp, "NUMPAGES", size=8)


# --------------------------------------------------------------------------
# The document
# --------------------------------------------------------------------------


def _title_page(doc):
    center = WD_ALIGN_PARAGRAPH.CENTER
    for _ in range(2):
        doc.add_paragraph()
    _para(doc, "{{ force_name | nyp('') }}", bold=True, size=14, align=center, color=GREY)
    t = doc.add_paragraph("Community Impact Assessment", style="Title")
    t.alignment = center
    _para(doc, "Live Facial Recognition deployment", size=13, align=center, color=GREY)
    _tag(doc, "if " + DRAFT_TEST)
    _para(doc, "DRAFT — NOT APPROVED", bold=True, size=13, align=center, color=RED)
    _tag(doc, "endif")
    doc.add_paragraph()
    _para(doc, "{{ operation.name | nyp }}", bold=True, size=18, align=center, color=NAVY,
          space_after=6)
    _para(doc, "Operation {{ operation.reference | nyp }}", size=12, align=center, space_after=2)
    _para(doc, "{{ operation.location_name | nyp }} — {{ operation.ward | nyp }} ward, "
               "{{ operation.borough | nyp }}", size=10, align=center, color=GREY)
    doc.add_paragraph()
    _caption(doc, "Document control")
    _kv_table(doc, [
        ("Operation reference", "operation.reference | nyp"),
        ("Assessment title", f"{C}.header.title | nyp"),
        ("Version", "cia.version | nyp"),
        ("Status", "cia.status | label"),
        ("Protective marking", "cia.content.header.protective_marking | nyp('OFFICIAL')"),
        ("Use case", "operation.use_case | label"),
        ("Planned deployment", f"({C}.deployment.start or operation.planned_start) | "
                               f"span({C}.deployment.end or operation.planned_end)"),
        ("Produced", "rendered_at | dt"),
    ])
    _tag(doc, "if " + DISCLOSURE_TEST)
    _para(doc, "DISCLOSURE COPY", bold=True, size=14, align=center, color=RED)
    _para(doc, "This copy is released under the Freedom of Information Act 2000. Information exempt "
               "under section 40(2) (personal information) or section 31(1)(a)&(b) (law enforcement) "
               "has been withheld; each redaction is shown in place and listed in the table "
               "“Redactions” at the end of this document.", align=center)
    _tag(doc, "endif")
    doc.add_paragraph()
    _para(doc, "This assessment is made under the force's Live Facial Recognition Standard "
               "Operating Procedure. It is reviewed before the deployment is authorised and "
               "amended after the deployment with its outcomes (section 13). Every version is "
               "kept; this document shows the version named above.", style=SMALL, align=center)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def build(path: Path = TEMPLATE_PATH) -> Path:
    doc = Document()

    for section in doc.sections:
        section.page_height, section.page_width = Cm(29.7), Cm(21.0)
        section.left_margin = section.right_margin = Cm(2.0)
        section.top_margin = Cm(2.0)
        section.bottom_margin = Cm(2.2)
        section.different_first_page_header_footer = False
    _styles(doc)
    _header_footer(doc)

    # Content alias for the rest of the body
    _tag(doc, "set c = cia.content")

    _title_page(doc)

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
    _caption(doc, "Less intrusive alternatives considered")
    _list_block(doc, f"{C}.legal_basis.alternatives_considered",
                ["Alternative", "Why it was rejected"], "a",
                ["a.alternative | nyp", "a.reason_rejected | nyp"], (7.0, 10.0))

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
    _caption(doc, "Composition by category")
    _list_block(doc, f"{C}.watchlist.category_counts", ["Category", "Images"], "w",
                ["w.category | label", "w.count | num"], (12.0, 5.0), numeric=(1,))

    # ---------------- 6. Area profile ----------------
    _heading(doc, SECTION_HEADINGS[5])
    _kv_table(doc, [
        ("Area", f"{C}.area_profile.area_name | nyp"),
        ("Census source", f"{C}.area_profile.census_source | nyp"),
        ("Community tension level", f"{C}.area_profile.tension_level | label"),
    ])
    _caption(doc, "Ethnicity mix")
    _list_block(doc, f"{C}.area_profile.ethnicity_mix", ["Ethnic group", "Share of population"], "e",
                ["e.group | nyp", "e.percent | pct"], (12.0, 5.0), numeric=(1,))
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
                 "g | contact"],
                (2.3, 3.0, 5.0, 3.4, 3.3))

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
    ], widths=(6.5, 10.5))
    _list_block(doc, f"{C}.equality_impacts.entries",
                ["Protected characteristic", "Impact", "Assessment", "Mitigations"], "q",
                ["q.characteristic | label", "q.impact | label", "q.narrative | nyp",
                 "q.mitigations | nyp('—')"],
                (3.4, 1.8, 6.4, 5.4))

    # ---------------- 10. Risks ----------------
    _heading(doc, SECTION_HEADINGS[9])
    _list_block(doc, f"{C}.risks",
                ["Risk", "Likelihood", "Impact", "Mitigation", "Owner", "Due"], "k",
                ["k.risk | nyp", "k.likelihood | label", "k.impact | label", "k.mitigation | nyp",
                 "k | owner", "k.due_date | d('—')"],
                (3.6, 2.2, 1.7, 4.6, 2.9, 2.0))

    # ---------------- 11. Communications ----------------
    _heading(doc, SECTION_HEADINGS[10])
    _labelled(doc, "Communications plan", f"{C}.communications.plan | nyp")
    _labelled(doc, "Press lines", f"{C}.communications.press_lines | lines")
    _labelled(doc, "Leaflets", f"{C}.communications.leaflets | nyp")
    _labelled(doc, "Social media", f"{C}.communications.social_media | nyp")

    # ---------------- 12. Sign-off ----------------
    # One column per signatory: seven narrow columns would break every e-mail address.
    _heading(doc, SECTION_HEADINGS[11])
    people = (("Author", "author"), ("Community lead", "community_lead"),
              ("Authorising officer", "authorising_officer"))
    table = _table(doc, 7, (3.2, 4.6, 4.6, 4.6))
    head = table.rows[0]
    _row_props(head, header=True)
    _cell_text(head.cells[0], "")
    _shade(head.cells[0])
    for cell, (label, _key) in zip(head.cells[1:], people):
        _cell_text(cell, label, bold=True)
        _shade(cell)
    for row, (label, attr, fmt) in zip(table.rows[1:], (
            ("Name", "name", "nyp"), ("Rank", "rank", "label"), ("Role", "role", "nyp('—')"),
            ("E-mail", "email", "nyp"), ("Phone", "phone", "nyp('—')"),
            ("Signed", "signed_at", "dt('—')"))):
        _row_props(row)
        _cell_text(row.cells[0], label, bold=True)
        _shade(row.cells[0], LABEL_FILL)
        for cell, (_label, key) in zip(row.cells[1:], people):
            _cell_text(cell, "{{ " + f"{C}.sign_off.{key}.{attr} | {fmt}" + " }}")
    _spacer(doc)

    # ---------------- 13. Post-deployment review ----------------
    _heading(doc, SECTION_HEADINGS[12])
    pdr = f"{C}.post_deployment_review"
    _tag(doc, f"if {pdr} is string")
    doc.add_paragraph("{{ " + pdr + " }}")
    _tag(doc, f"elif not {pdr}")
    doc.add_paragraph("Not yet provided (completed by an amendment after the deployment).")
    _tag(doc, "else")
    _caption(doc, "The deployment")
    _kv_table(doc, [
        ("Actual start", f"{pdr}.actual_start | dt"),
        ("Actual end", f"{pdr}.actual_end | dt"),
        ("Duration", f"{pdr}.duration_minutes | minutes"),
        ("Faces seen (estimate)", f"{pdr}.faces_seen | num"),
    ])
    _caption(doc, "Alerts")
    _kv_table(doc, [
        ("Total alerts", f"{pdr}.total_alerts | num"),
        ("True alerts – confirmed", f"{pdr}.true_alerts_confirmed | num"),
        ("True alerts – unconfirmed", f"{pdr}.true_alerts_unconfirmed | num"),
        ("False alerts – confirmed", f"{pdr}.false_alerts_confirmed | num"),
        ("False alerts – unconfirmed", f"{pdr}.false_alerts_unconfirmed | num"),
        ("False alert rate (derived)", f"{pdr}.false_alert_rate | rate"),
    ])
    _caption(doc, "Outcomes of engagements")
    _kv_table(doc, [
        ("Arrests", f"{pdr}.arrests | num"),
        ("Other action", f"{pdr}.other_action | num"),
        ("No action", f"{pdr}.no_action | num"),
    ])
    _caption(doc, "Alerts and engagements by IC code")
    _list_block(doc, f"{pdr}.ic_breakdown",
                ["IC code", "Description", "True alerts", "True-alert engagements",
                 "False alerts", "False-alert engagements"], "r",
                ["r.ic_code | nyp", "r.ic_code | iclabel", "r.true_alerts | num",
                 "r.true_alert_engagements | num", "r.false_alerts | num",
                 "r.false_alert_engagements | num"],
                (1.9, 4.7, 2.4, 2.8, 2.4, 2.8), numeric=(2, 3, 4, 5))
    _labelled(doc, "Community feedback", f"{pdr}.community_feedback | nyp")
    _caption(doc, "Complaints")
    _kv_table(doc, [
        ("Complaints received", f"{pdr}.complaints_received | num('—')"),
        ("Summary", f"{pdr}.complaints_summary | nyp('—')"),
    ])
    _labelled(doc, "Lessons learned", f"{pdr}.lessons_learned | nyp")
    _tag(doc, "endif")

    # ---------------- Redactions (disclosure copy only) ----------------
    _tag(doc, "if " + DISCLOSURE_TEST)
    _heading(doc, "Redactions")
    doc.add_paragraph("Information withheld from this disclosure copy, with the exemption relied on.")
    _tag(doc, "if redaction_log")
    _loop_table(doc, ["Field", "Exemption", "Reason"], "redaction_log | rows", "x",
                ["x.pointer | fieldname", "x.exemption | nyp", "x.reason | nyp"],
                (5.2, 2.6, 9.2))
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
