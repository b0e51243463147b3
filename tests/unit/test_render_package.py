"""A template's package is read once and each render writes only the parts it makes:
the file is, part for part, what docxtpl's own render and save make of the same
template and context, and an orphan member of the template stays out of it."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import docx
from hypothesis import given, settings, strategies as st

from cia_authoring.documents import render

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROPERTIES = {"title": "Community Impact Assessment LFR-2026-0001 v1", "author": "A Force",
              "subject": "Community Impact Assessment", "created": "2026-05-20T09:00:00+00:00"}
# What a field may hold: markup, entities, Word's breaks, quotes, non-Latin letters.
TEXT = st.lists(st.sampled_from(list("aZ9 <>&\"'\n\t{}%#•é—") + ["{{", "}}", "{%", "&amp;"]),
                max_size=20).map("".join)


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        return {name: z.read(name) for name in z.namelist()}


def _context(content: dict, log: list | None = None) -> dict:
    ctx = {"force_name": "A Force", "operation": json.loads((EXAMPLES / "operation.json").read_text()),
           "cia": {"version": 1, "status": "approved", "content": content},
           "rendered_at": "2026-05-20T09:00:00+00:00"}
    if log is not None:
        ctx["redaction_log"] = log
    return render._prepare(ctx)


def _same_as_docxtpl(template: bytes, ctx: dict) -> bytes:
    made = render._render(template, ctx, PROPERTIES)
    assert _members(made) == _members(render._render_whole(template, ctx, PROPERTIES))
    return made


def test_the_example_cia_renders_part_for_part_as_docxtpl_renders_it():
    content = json.loads((EXAMPLES / "cia-content.json").read_text())
    content["post_deployment_review"] = json.loads(
        (EXAMPLES / "post-deployment-review.json").read_text())
    log = [{"pointer": "/engagement_log/0/contact_name", "exemption": "s.40(2)",
            "reason": "Personal information.", "rule_id": None, "detector": "field_class"}]
    for path in sorted(render.TEMPLATE_DIR.glob("*.docx")):
        made = _members(_same_as_docxtpl(path.read_bytes(), _context(content, log)))
        # Positive control: the tags were rendered.
        assert b"{{" in _members(path.read_bytes())["word/document.xml"]
        assert b"{{" not in made["word/document.xml"]
        if path == render.TEMPLATE_PATH:
            assert b"Croydon" in made["word/document.xml"]


@settings(max_examples=max(1, settings.default.max_examples // 10), deadline=None)
@given(summary=TEXT, rows=st.lists(st.tuples(TEXT, TEXT), max_size=3), header=TEXT)
def test_any_field_renders_as_docxtpl_renders_it(summary, rows, header):
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "{{ force_name }} {{ cia.content.header }}"
    document.sections[0].footer.paragraphs[0].text = "v{{ cia.version }}"
    document.add_paragraph("{{ cia.content.summary }}")
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text = "{%tr for row in cia.content.rows %}"
    table.cell(1, 0).text = "{{ row.0 }}"
    table.cell(1, 1).text = "{{ row.1 }}"
    table.cell(2, 0).text = "{%tr endfor %}"
    document.add_paragraph("{% if cia.content.rows %}rows{% else %}none{% endif %}")
    buf = io.BytesIO()
    document.save(buf)
    ctx = _context({"summary": summary, "rows": [list(r) for r in rows], "header": header})
    made = _same_as_docxtpl(buf.getvalue(), ctx)
    reopened = docx.Document(io.BytesIO(made))
    assert len(reopened.tables[0].rows) == len(rows)
    assert reopened.sections[0].footer.paragraphs[0].text == "v1"


def test_a_member_no_relationship_reaches_is_left_out():
    source = render.TEMPLATE_PATH.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("word/hidden.xml", "<x>Orphan-Secret-4471</x>")
    made = _members(render._render(out.getvalue(), _context({}), PROPERTIES))
    assert "word/hidden.xml" not in made
    assert not any(b"Orphan-Secret-4471" in data for data in made.values())
    assert b"Orphan-Secret-4471" in zipfile.ZipFile(out).read("word/hidden.xml")  # control


def test_each_template_is_read_once():
    template = render.TEMPLATE_PATH.read_bytes()
    render._render(template, _context({}), PROPERTIES)
    package = render._PACKAGES.get(render.hashlib.sha256(template).hexdigest())
    assert package.body is not None  # the shipped template takes the short way
    render._render(template, _context({"summary": "again"}), PROPERTIES)
    assert render._PACKAGES.get(render.hashlib.sha256(template).hexdigest()) is package


def _redactor():
    from cia_redaction import Detectors, Redactor, WithheldSet
    from cia_redaction.vocabulary import S40
    withheld = WithheldSet()
    withheld.add_name("Helen Mabury", S40, "Contact of an outside body.", "field")
    return Redactor(Detectors(people=False), withheld)


def _template_printing(text: str) -> bytes:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = text
    document.add_paragraph(f"{{{{ cia.content.summary }}}} {text}")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_the_pass_over_the_parts_a_render_made_is_the_pass_over_its_file():
    from cia_redaction.docx import scrub_docx
    fixed = "Ask Helen Mabury."  # a template's own wording that names a withheld person
    template = _template_printing(fixed)
    ctx = {"cia": {"content": {"summary": "Open text."}}}
    props = {"title": "T", "author": "A", "created": "2026-05-20T09:00:00+00:00"}
    plain = render.render_template(template, ctx, props, redactor=None)
    assert b"Mabury" in _members(plain)["word/document.xml"]  # positive control
    # A force's upload: rendered in a child, the pass run here after it.
    whole, child, made = _redactor(), _redactor(), _redactor()
    expected = _members(scrub_docx(plain, whole))
    assert not any(b"Mabury" in data for data in expected.values())
    assert _members(render.render_template(template, ctx, props, redactor=child)) == expected
    # The shipped templates' way, in this process: the parts the render made, in memory.
    assert _members(render._render(template, ctx, props, made)) == expected
    assert made.log == child.log == whole.log and whole.log
