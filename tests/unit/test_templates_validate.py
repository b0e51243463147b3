"""The checks an uploaded DOCX template passes before it is kept (templates/validate.py):
each problem named with its part, paragraph and text."""
from __future__ import annotations

import io
import re
import zipfile

import docx
import pytest

from cia_authoring.templates import service, validate


def _no_render(_data: bytes) -> None:
    return None


@pytest.fixture(scope="module")
def default() -> bytes:
    return service.default_template(service.CIA).data


def edited(base: bytes, *paragraphs: str, header: str | None = None) -> bytes:
    d = docx.Document(io.BytesIO(base))
    for text in paragraphs:
        d.add_paragraph(text)
    if header is not None:
        d.sections[0].header.add_paragraph(header)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def codes(problems) -> list[str]:
    return [p.code for p in problems]


def test_the_shipped_default_passes(default):
    assert validate.check(default, _no_render) == []


def test_an_unknown_top_level_variable_is_named_with_its_paragraph(default):
    data = edited(default, "Signed for {{ chief_constable }}")
    [problem] = validate.check(data, _no_render)
    assert problem.code == "unknown_variable"
    assert "chief_constable" in problem.detail
    assert problem.part == "word/document.xml"
    assert problem.text == "Signed for {{ chief_constable }}"
    # Paragraphs count from the start of the body as uploaded: the new one is the last.
    body = docx.Document(io.BytesIO(data))._element.body
    assert problem.paragraph == len(body.findall(".//" + docx.oxml.ns.qn("w:p")))


def test_unknown_fields_are_followed_through_aliases_loops_and_indexes(default):
    problems = validate.check(edited(
        default,
        "{{ c.deployment.camera_position }}",          # c = cia.content in the default body
        "{{ cia.content.risks[0].bogus }}",
        "{%p for k in cia.content.engagement_log %}",
        "{{ k.contact_nmae }}",
        "{%p endfor %}",
        "{{ operation.reference.upper() }} {{ k.anything }}",  # a method call; k out of its loop
    ), _no_render)
    details = " | ".join(p.detail for p in problems)
    assert "cia.content.deployment.camera_position" in details
    assert "cia.content.risks[].bogus" in details
    assert "cia.content.engagement_log[].contact_nmae" in details
    assert "Unknown variable k" in details  # outside the loop k is not defined
    # A method of a value is out of the sandbox's reach: refused as unsafe, by its expression.
    assert "Unsafe expression operation.reference.upper(…)" in details
    assert set(codes(problems)) == {"unknown_variable", "unsafe"}
    assert all(p.part == "word/document.xml" and p.paragraph for p in problems)


def test_known_variables_in_the_guide_pass(default):
    problems = validate.check(edited(
        default,
        "{{ c.sign_off.authorising_officer.name }} {{ force_name }} {{ rendered_at | dt }}",
        "{%p for x in redaction_log | rows %}",
        "{{ x.pointer | fieldname }} {{ loop.index }}",
        "{%p endfor %}",
        "{{ cia.content.post_deployment_review.ic_breakdown[0].true_alerts | num }}",
    ), _no_render)
    assert problems == []


def test_a_syntax_error_is_located(default):
    [problem] = validate.check(edited(default, "Intro", "Broken {{ c.header.title }", "After"),
                               _no_render)
    assert problem.code == "syntax"
    assert problem.part == "word/document.xml"
    assert problem.text == "Broken {{ c.header.title }"


def test_an_unknown_helper_is_refused(default):
    [problem] = validate.check(edited(default, "{{ c.header.title | shout }}"), _no_render)
    assert problem.code == "unknown_filter" and "shout" in problem.detail
    assert problem.text == "{{ c.header.title | shout }}"


def test_a_header_is_checked_as_its_own_part(default):
    # Each header is rendered on its own: the body's alias c does not exist there.
    problems = validate.check(edited(default, header="{{ c.header.title }}"), _no_render)
    assert [p.code for p in problems] == ["unknown_variable"]
    assert re.fullmatch(r"word/header\d*\.xml", problems[0].part)


def _rezip(data: bytes, change) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            content = change(name, src.read(name))
            if content is not None:
                dst.writestr(name, content)
        extra = change("<extra>", b"")
        if extra:
            dst.writestr(*extra)
    return out.getvalue()


def test_a_macro_enabled_document_is_refused(default):
    macro_type = (b"application/vnd.ms-word.document.macroEnabled.main+xml")

    def docm(name, content):
        if name == "[Content_Types].xml":
            return content.replace(
                b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
                macro_type)
        if name == "<extra>":
            return ("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really a VBA project")
        return content

    data = _rezip(default, docm)
    assert macro_type in zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml")
    assert codes(validate.check(data, _no_render)) == ["macro_enabled"]


def test_not_a_word_document(default):
    assert codes(validate.check(b"%PDF-1.7 not a docx", _no_render)) == ["not_docx"]
    no_body = _rezip(default, lambda n, c: None if n == "word/document.xml" else (
        None if n == "<extra>" else c))
    assert codes(validate.check(no_body, _no_render)) == ["not_docx"]


def test_a_render_failure_is_reported_not_raised(default):
    def explode(_data):
        raise ZeroDivisionError("division by zero")

    [problem] = validate.check(default, explode)
    assert problem.code == "render" and "ZeroDivisionError" in problem.detail


def test_problems_become_errors_naming_the_file_field():
    error = validate.Problem("syntax", "Template syntax error: x", "word/document.xml", 3,
                             "{{ x }").as_error()
    assert error["pointer"] == "/file"
    assert error["where"] == {"part": "word/document.xml", "paragraph": 3, "text": "{{ x }"}


def test_a_template_with_comments_is_refused(default):
    d = docx.Document(io.BytesIO(default))
    para = d.add_paragraph("Fixed wording")
    d.add_comment(para.runs, text="Check this with Sergeant Quill", author="Q. Quill", initials="QQ")
    out = io.BytesIO()
    d.save(out)
    assert "word/comments.xml" in zipfile.ZipFile(io.BytesIO(out.getvalue())).namelist()
    assert codes(validate.check(out.getvalue(), _no_render)) == ["comments"]
