"""The deployment grid: reading rows (and saying what is wrong with a bad one by
line), writing rows, and the identity key that keeps re-imports idempotent."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from cia_authoring.statistics import grid
from cia_authoring.statistics import importer

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "deployments-sample.csv"


def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def with_rows(*rows: str) -> str:
    header = sample_text().splitlines()[0]
    return "\n".join([header, *rows]) + "\n"


GOOD = ("Oxford Circus,2021-03-04,5:00,Crime hotspot,5000,0.6,3,2,0,1,0,,1,1,0,9000,,"
        "Westminster,11:00,16:00")


def test_the_sample_file_is_valid_and_complete():
    records, errors, rows = importer.read(sample_text())
    assert errors == [] and rows == len(records) == 6
    with_ic = [r for r in records if r.has_ic_breakdown]
    assert 0 < len(with_ic) < len(records)  # both kinds of historic record
    for r in with_ic:
        ic = r.pdr["ic_breakdown"]
        assert [e["ic_code"] for e in ic] == ["IC1", "IC2", "IC3", "IC4", "IC5", "IC6", "IC9"]
        assert sum(e["true_alerts"] for e in ic) == (r.pdr["true_alerts_confirmed"]
                                                     + r.pdr["true_alerts_unconfirmed"])
    assert {r.reference for r in records} == {None, "LFR-2020-0003"}
    assert {r.use_case for r in records} == {"crime_hotspot", "event_pso"}


def test_dates_times_and_durations_in_the_forms_grids_use():
    # 27/08/2017 10:00 London (BST) is 09:00 UTC; 8:00 hours later.
    record = next(r for r in importer.read(sample_text())[0] if r.use_case == "event_pso")
    assert record.start.isoformat() == "2017-08-27T09:00:00+00:00"
    assert record.end.isoformat() == "2017-08-27T17:00:00+00:00"
    assert record.pdr["duration_minutes"] == 480
    problems: list[str] = []
    assert grid._parse_duration("6h 30m", problems) == 390
    assert grid._parse_duration("7.5 hours", problems) == 450
    assert grid._parse_duration("95", problems) == 95
    assert grid._parse_duration("2:05", problems) == 125
    assert problems == []
    assert grid._parse_duration("a while", problems) is None and "Duration" in problems[0]


@pytest.mark.parametrize("row, words", [
    (GOOD.replace("2021-03-04", "2021-02-30"), ["Date:", "not a date"]),
    (GOOD.replace(",5000,", ",many,"), ["Watchlist size:", "'many'"]),
    (GOOD.replace(",0.6,", ",64,"), ["Threshold:", "0 to 1"]),
    (GOOD.replace("Crime hotspot", "Parade"), ["Use case:", "'Parade'"]),
    (GOOD.replace(",3,2,0,1,0,", ",4,2,0,1,0,"), ["Total alerts:", "must equal total alerts (4)"]),
    (GOOD.replace("Oxford Circus", ""), ["Location: required"]),
    (GOOD.replace(",5:00,", ",6:00,"), ["Duration:", "does not match"]),
    (GOOD + ",2,2,0,0" + ",0" * 20 + ",0,0,1,0", []),  # per-IC columns that add up: fine
    (GOOD + ",3,2,0,0" + ",0" * 20 + ",0,0,1,0", ["IC columns:", "add up to 3"]),
    (GOOD + ",2,3,0,0" + ",0" * 20 + ",0,0,1,0", ["IC1 true alert engagements:", "cannot exceed"]),
    (GOOD + ",0" * 28 + ",9", ["More cells than columns"]),
])
def test_a_bad_row_is_reported_with_its_line_and_reason(row, words):
    records, errors, rows = importer.read(with_rows(GOOD.replace("2021-03-04", "2021-03-05"), row))
    assert rows == 2
    if not words:
        assert errors == [] and len(records) == 2
        return
    assert len(records) == 1 and len(errors) == 1
    assert errors[0].line == 3
    for w in words:
        assert w in errors[0].reason, errors[0].reason


def test_line_numbers_follow_the_file_with_multiline_cells():
    text = with_rows('"Oxford\nCircus",2021-03-04,5:00,Crime hotspot,5000,0.6,3,2,0,1,0,,1,1,0,9000,,W,11:00,16:00',
                     GOOD.replace("2021-03-04", "2021-13-04"))
    _records, errors, _rows = importer.read(text)
    assert [e.line for e in errors] == [4]


def test_header_problems_stop_the_file():
    records, errors, rows = importer.read("Location,Colour\nX,red\n")
    assert records == [] and rows == 0
    assert errors[0].line == 1
    assert "Missing column(s): Date" in errors[0].reason
    # An unknown column alone is a warning, and an error only when strict.
    parsed = importer.read_lines(importer.csv_lines("Location,Date,Colour\nX,2021-01-01,red\n"))
    assert parsed.errors == [] and len(parsed.records) == 1
    assert parsed.warnings == ["Unknown column(s): Colour (ignored)."]
    records, errors, rows = importer.read("Location,Date,Colour\nX,2021-01-01,red\n", strict=True)
    assert records == [] and "Unknown column(s): Colour." in errors[0].reason


def test_the_same_deployment_twice_in_a_file_is_an_error():
    records, errors, _ = importer.read(with_rows(GOOD, GOOD.replace("Westminster", " westminster ")))
    assert len(records) == 1 and "same deployment as line 2" in errors[0].reason


def test_identity_key_ignores_case_and_spacing_and_prefers_the_reference():
    day = grid._parse_date("2021-03-04", [])
    t = grid._parse_time("Start time", "11:00", [])
    assert grid.identity_key(None, day, t, "Oxford  Circus", "Westminster") == \
        grid.identity_key(None, day, t, "oxford circus", "WESTMINSTER")
    assert grid.identity_key(None, day, t, "Oxford Circus", "Westminster") != \
        grid.identity_key(None, day, None, "Oxford Circus", "Westminster")
    assert grid.identity_key("LFR-2021-0001", day, t, "A", "B") == \
        grid.identity_key("lfr-2021-0001", day, None, "C", "D")


def test_an_exported_row_reads_back_as_the_same_outcome_record():
    record = importer.read(sample_text())[0][3]
    row = grid.export_row(reference="LFR-2020-0003", borough=record.borough,
                          location=record.location, use_case=record.use_case,
                          watchlist_size=record.watchlist_size, threshold=record.threshold,
                          pdr=record.pdr)
    assert list(row) == list(grid.COLUMNS)
    assert list(grid.COLUMNS[:16]) == [
        "Location", "Date", "Duration", "Use case", "Watchlist size", "Threshold", "Total alerts",
        "True alerts confirmed", "True alerts unconfirmed", "False alerts confirmed",
        "False alerts unconfirmed", "False alert rate", "Arrests", "Other outcome", "No action",
        "Faces seen"]
    assert row["False alert rate"] == f"{3 / 8600:.6g}"
    assert row["Duration"] == "6:30" and row["Start time"] == "10:00"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(grid.COLUMNS))
    writer.writeheader()
    writer.writerow(row)
    [again], errors, _ = importer.read(buf.getvalue())
    assert errors == []
    expected = {k: v for k, v in record.pdr.items() if k != "ic_breakdown"}
    assert again.pdr == expected and again.key == record.key
