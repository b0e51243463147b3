"""The manifest of ``cia import-documents``: columns checked, rows numbered as the
file's lines (a quoted title over two lines: the line it starts on), values trimmed."""
from __future__ import annotations

from cia_authoring.legacy.importer import read_manifest
from cia_authoring.legacy.service import parse_date, validate_metadata, validate_url


def test_rows_carry_their_line_numbers():
    text = ("file,operation_reference,title,dated\n"
            " a.docx , LFR-2019-0001 , CIA v1 ,2019-03-01\n"
            'b.pdf,LFR-2019-0002,"A title\nover two lines",\n'
            "c.pdf,LFR-2019-0003,Third,2019-04-01\n")
    rows, errors = read_manifest(text)
    assert errors == []
    assert [(r.line, r.file, r.reference, r.dated) for r in rows] == [
        (2, "a.docx", "LFR-2019-0001", "2019-03-01"), (3, "b.pdf", "LFR-2019-0002", ""),
        (5, "c.pdf", "LFR-2019-0003", "2019-04-01")]
    assert rows[1].title == "A title\nover two lines"


def test_a_missing_column_is_named():
    rows, errors = read_manifest("file,title\na.docx,CIA\n")
    assert rows == []
    assert errors == ["line 1: missing column(s) operation_reference, dated "
                      "(expected file, operation_reference, title, dated)"]


def test_metadata_and_links_are_checked_field_by_field():
    assert parse_date(" 2019-03-01 ").isoformat() == "2019-03-01"
    assert parse_date("") is None
    assert [e["pointer"] for e in validate_metadata("", None)] == ["/title"]
    assert [e["pointer"] for e in validate_metadata("x" * 301, None)] == ["/title"]
    assert validate_metadata("CIA", parse_date("2019-03-01")) == []
    assert validate_url("https://www.met.police.uk/foi") == []
    for bad in ("ftp://host/x", "javascript:alert(1)", "https://", "x" * 10):
        assert [e["pointer"] for e in validate_url(bad)] == ["/published_url"]
