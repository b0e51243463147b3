"""``cia_authoring.cells``: every CSV and XLSX cell is data, never a formula (issue 33);
the import reads back what the export wrote; names inside zips never start a formula."""
from __future__ import annotations

import ast
import csv
import io
import itertools
from decimal import Decimal
from pathlib import Path

import openpyxl

from cia_authoring import cells
from cia_authoring.releases.bundle import _safe_name
from cia_authoring.statistics import grid, importer

ROOT = Path(__file__).resolve().parents[2]
STARTS = ("=", "+", "-", "@", "\t", "\r")
# One hostile text per formula character, as the issue lists them.
HOSTILE = ['=HYPERLINK("http://example.org/x","Click")', "+1+2", "-2+3", "@SUM(1+2)",
           "\t=1+2", "\r=1+2", "   =cmd|' /C calc'!A0"]
BENIGN = ["Oxford Circus", "O'Brien Street", "'Tis", "'", "", "1-2", "a=b", "#N/A", "€=5"]


def test_a_formula_like_text_gets_one_quote_and_nothing_else_does():
    for text in HOSTILE:
        assert cells.looks_like_formula(text)
        assert cells.quote(text) == "'" + text
    for text in BENIGN:
        assert cells.quote(text) == text, text
    # What looks quoted already gets one more, so that reading it back is exact.
    assert cells.quote("'=1+2") == "''=1+2" and cells.quote("' -1") == "'' -1"
    for text in [*HOSTILE, *BENIGN, "'=1+2", "''@x"]:
        assert not cells.looks_like_formula(cells.quote(text))


def test_unquote_gives_back_every_text_exactly():
    # Every string of up to five characters over the letters that matter.
    alphabet = "'= -a\t@"
    for n in range(6):
        for chars in itertools.product(alphabet, repeat=n):
            text = "".join(chars)
            assert cells.unquote(cells.quote(text)) == text, repr(text)
    # A cell written by hand with a quote in front of a formula loses that quote on import;
    # any other cell is kept as it is.
    assert cells.unquote("'=1+2") == "=1+2" and cells.unquote("'Tis") == "'Tis"
    assert cells.unquote("=1+2") == "=1+2"


def test_numbers_stay_numbers_and_none_is_blank():
    for number in (0, 7, -5, 2.5, -0.25, Decimal("-1.50")):
        assert cells.cell(number) is number
    assert cells.cell(None) == "" and cells.cell(True) == "True"
    assert cells.cell("-5") == "'-5"  # text that starts with "-" is text


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_csv_writers_quote_every_hostile_cell_and_read_back():
    buf = io.StringIO(newline="")
    w = cells.writer(buf)
    w.writerow(["group", "count"])
    w.writerows([[text, i] for i, text in enumerate(HOSTILE)])
    rows = read_csv(buf.getvalue())
    assert [r[0] for r in rows[1:]] == ["'" + t for t in HOSTILE]  # present, quoted
    assert all(not cells.looks_like_formula(c) for r in rows for c in r)
    assert [cells.unquote(r[0]) for r in rows[1:]] == HOSTILE

    buf = io.StringIO(newline="")
    dw = cells.DictWriter(buf, fieldnames=["=header", "n"], extrasaction="ignore")
    dw.writeheader()
    dw.writerows([{"=header": t, "n": -i, "extra": "=ignored"} for i, t in enumerate(HOSTILE)])
    rows = read_csv(buf.getvalue())
    assert rows[0] == ["'=header", "n"]
    assert [r[0] for r in rows[1:]] == ["'" + t for t in HOSTILE]
    assert [r[1] for r in rows[1:]] == [str(-i) for i in range(len(HOSTILE))]  # numbers as they are


def test_a_workbook_holds_strings_never_formulas():
    data = cells.workbook([["Location", "Faces seen"], *([t, i] for i, t in enumerate(HOSTILE)),
                           ["#N/A", None], ["bell\x07 and nul\x00", -3]], title="Deployments")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Deployments"
    every = [c for row in sheet.iter_rows() for c in row]
    assert [c.coordinate for c in every if c.data_type == "f"] == []
    texts = [row[0] for row in sheet.iter_rows(min_row=2)]
    # The text as written (no quote added: a string cell is never evaluated), marked as quoted.
    assert [c.value for c in texts[:len(HOSTILE)]] == HOSTILE
    assert all(c.data_type == "s" and c.quotePrefix for c in texts[:len(HOSTILE)])
    assert texts[len(HOSTILE)].data_type == "s" and texts[len(HOSTILE)].value == "#N/A"
    assert texts[-1].value == "bell and nul"
    numbers = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert numbers == [*range(len(HOSTILE)), None, -3]
    # Positive control: openpyxl left alone stores the same text as a formula.
    plain = openpyxl.Workbook()
    plain.active.append([HOSTILE[0]])
    assert plain.active["A1"].data_type == "f"


def test_names_inside_zips_never_start_a_formula():
    for text in HOSTILE:
        name = cells.file_name(text)
        assert name[:1] not in (*STARTS, " ") and name[1:] == text.lstrip(" ")[1:]
    assert cells.file_name("LFR-2026-0042-v1") == "LFR-2026-0042-v1"
    # A censor rule's replacement can make a bundle folder out of anything.
    assert _safe_name("-withheld-") == "_withheld-"
    assert _safe_name("=1+2") == "_1_2" and _safe_name("LFR-2026-0042") == "LFR-2026-0042"


def exported_grid(rows: list[dict]) -> str:
    buf = io.StringIO(newline="")
    w = cells.DictWriter(buf, fieldnames=list(grid.COLUMNS))
    w.writeheader()
    for row in rows:
        w.writerow(grid.export_row(pdr={"faces_seen": 10}, use_case="crime_hotspot",
                                   watchlist_size=5, threshold=0.6, **row))
    return buf.getvalue()


def test_an_exported_grid_imports_with_the_original_text():
    from datetime import datetime, timezone

    hostile = [t for t in HOSTILE if t == t.strip()]  # the import trims spaces around a cell
    start = datetime(2025, 3, 1, 10, tzinfo=timezone.utc)
    text = exported_grid([{"reference": f"LFR-2025-000{i + 1}", "borough": t + " borough",
                           "location": t, "planned_start": start} for i, t in enumerate(hostile)])
    assert all(not cells.looks_like_formula(c) for r in read_csv(text) for c in r)
    records, errors, n = importer.read(text, strict=True)
    assert errors == [] and n == len(hostile)
    assert [r.location for r in records] == hostile
    assert [r.borough for r in records] == [t + " borough" for t in hostile]
    assert all(r.use_case == "crime_hotspot" for r in records)
    # A use case is one of three: a hostile one is refused, naming the cell.
    bad = text.replace("Crime hotspot", "=Crime hotspot", 1)
    _records, errors, _n = importer.read(bad)
    assert len(errors) == 1 and "'=Crime hotspot' is not one of" in errors[0].reason


def test_every_csv_and_workbook_the_services_write_goes_through_cells():
    """No writer of its own anywhere: csv.writer, csv.DictWriter and openpyxl workbooks
    are made in ``cells`` only (the import side reads with ``csv`` and openpyxl)."""
    offenders, seen = [], 0
    for path in sorted((ROOT / "services").rglob("*.py")):
        if path.name == "cells.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("writer", "DictWriter", "Workbook"):
                seen += isinstance(node.value, ast.Name) and node.value.id == "cells"
                if isinstance(node.value, ast.Name) and node.value.id in ("csv", "openpyxl"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
    assert seen >= 4  # the check sees the real writers
