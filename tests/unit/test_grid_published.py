"""The deployment grid as the MPS publishes it: headers in any year's case,
spacing and dash; dd/mm/yyyy dates and h:mm durations; blank cells that mean
"not recorded" (never 0); and the .xlsx cells a workbook hands over."""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cia_authoring.statistics import grid
from cia_authoring.statistics import importer

PUBLISHED_HEADER = ",".join(grid.PUBLISHED_COLUMNS)
# Oxford Circus 27/02/2020 as the published grid gives it (the rate cell is ignored).
FULL = "Oxford Circus,27/02/2020,6:30,Crime Hotspot,7292,0.6,8,4,1,2,1,0.0349%,3,1,2,8600"
FIGURE_COLUMNS = {"Duration": "duration_minutes", "Total Alerts": "total_alerts",
                  "True Alerts Confirmed": "true_alerts_confirmed",
                  "True Alerts Unconfirmed": "true_alerts_unconfirmed",
                  "False Alerts Confirmed": "false_alerts_confirmed",
                  "False Alerts Unconfirmed": "false_alerts_unconfirmed",
                  "Outcome – Arrest": "arrests", "Outcome – Other": "other_action",
                  "No action": "no_action", "Faces seen (estimate)": "faces_seen"}
PUBLISHED_FIELDS = ["location", "date", "duration", "use_case", "watchlist_size", "threshold",
                    "total_alerts", "true_alerts_confirmed", "true_alerts_unconfirmed",
                    "false_alerts_confirmed", "false_alerts_unconfirmed", "false_alert_rate",
                    "arrests", "other_action", "no_action", "faces_seen"]
DASHES = ["-", "\u2010", "\u2012", "\u2013", "\u2014", "\u2212", "\ufe63"]
SPACES = [" ", "  ", "\t", "\u00a0", ""]


def published(*rows: str, header: str = PUBLISHED_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


@st.composite
def spelt(draw, name: str) -> str:
    """``name`` as another year might write it: any case, spacing and dash."""
    out = [draw(st.sampled_from(["", " "]))]
    for ch in name:
        if ch == " ":
            out.append(draw(st.sampled_from(SPACES)))
        elif ch in "-\u2013":
            out.append(draw(st.sampled_from(SPACES)) + draw(st.sampled_from(DASHES))
                       + draw(st.sampled_from(SPACES)))
        elif ch.isalpha():
            out.append(ch.upper() if draw(st.booleans()) else ch.lower())
        else:
            out.append(ch)
    out.append(draw(st.sampled_from(["", " ", "\t"])))
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_every_published_header_matches_in_any_case_spacing_and_dash(data):
    i = data.draw(st.integers(0, len(grid.PUBLISHED_COLUMNS) - 1))
    variant = data.draw(spelt(grid.PUBLISHED_COLUMNS[i]))
    assert grid.match_header(variant) == PUBLISHED_FIELDS[i], variant


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_every_export_header_matches_the_same_field_as_its_published_twin(data):
    # The first sixteen export columns are the published grid's, in the same order.
    i = data.draw(st.integers(0, len(grid.GRID_COLUMNS) - 1))
    variant = data.draw(spelt(grid.GRID_COLUMNS[i]))
    assert grid.match_header(variant) == grid.match_header(grid.PUBLISHED_COLUMNS[i]) \
        == PUBLISHED_FIELDS[i]


def test_no_two_fields_share_a_spelling_and_every_export_column_is_known():
    owners: dict[str, str] = {}
    for f, names in grid.HEADERS.items():
        for n in (f, *names):
            key = grid._compact(n)
            assert owners.setdefault(key, f) == f, (n, owners[key], f)
    assert all(grid.match_header(c) for c in (*grid.COLUMNS, *grid.IC_COLUMNS, "Ward"))
    for unknown in ("Colour", "Total", "Alerts", "Outcome", "", None, "Notes (internal)"):
        assert grid.match_header(unknown) is None


@pytest.mark.parametrize("text, day", [
    ("27/02/2020", date(2020, 2, 27)), ("04/03/2021", date(2021, 3, 4)),  # day first
    ("4/3/2021", date(2021, 3, 4)), ("2021-03-04", date(2021, 3, 4)),
    ("2021-03-04 00:00:00", date(2021, 3, 4)), (" 31/12/2019 ", date(2019, 12, 31)),
])
def test_dates_day_first_and_iso(text, day):
    problems: list[str] = []
    assert grid._parse_date(text.strip(), problems) == day and problems == []


@pytest.mark.parametrize("text", ["31/02/2020", "2020-02-30", "02-27-2020", "27/02/20",
                                  "27.02.2020", "yesterday", "2021-03-04 10:00"])
def test_a_malformed_date_is_named(text):
    problems: list[str] = []
    assert grid._parse_date(text, problems, "Date") is None
    assert problems and problems[0].startswith(f"Date: {text!r} is not a date")


@pytest.mark.parametrize("text, minutes", [
    ("6:30", 390), ("0:45", 45), ("12:00", 720), ("26:15", 1575), ("4:00:00", 240),
    ("4:00:40", 241), ("90", 90), ("6h 30m", 390),
])
def test_durations_h_mm_and_friends(text, minutes):
    problems: list[str] = []
    assert grid._parse_duration(text, problems) == minutes and problems == []


@pytest.mark.parametrize("text", ["6:60", "6:5", "six hours", "-1:00", "6:30 approx"])
def test_a_malformed_duration_is_named(text):
    problems: list[str] = []
    assert grid._parse_duration(text, problems, "Duration") is None
    assert problems == [f"Duration: {text!r} is not a duration (H:MM, minutes, or 6h 30m)."]


def test_a_full_published_row_reads_with_its_figures():
    [record], errors, rows = importer.read(published(FULL))
    assert errors == [] and rows == 1
    assert (record.location, record.use_case, record.watchlist_size, record.threshold) == \
        ("Oxford Circus", "crime_hotspot", 7292, 0.6)
    assert record.pdr == {"duration_minutes": 390, "total_alerts": 8, "true_alerts_confirmed": 4,
                          "true_alerts_unconfirmed": 1, "false_alerts_confirmed": 2,
                          "false_alerts_unconfirmed": 1, "arrests": 3, "other_action": 1,
                          "no_action": 2, "faces_seen": 8600}
    assert record.not_recorded == ()
    # No start time in the published grid: the operation spans its London day.
    assert (record.start.isoformat(), record.end.isoformat()) == \
        ("2020-02-27T00:00:00+00:00", "2020-02-28T00:00:00+00:00")


def test_blank_cells_are_not_recorded_never_zero():
    row = "Romford Town Centre,14/07/2022,,,,,4,3,0,1,0,,,,,"
    [record], errors, _ = importer.read(published(row))
    assert errors == []
    assert (record.use_case, record.watchlist_size, record.threshold) == (None, None, None)
    assert record.pdr == {"total_alerts": 4, "true_alerts_confirmed": 3,
                          "true_alerts_unconfirmed": 0, "false_alerts_confirmed": 1,
                          "false_alerts_unconfirmed": 0}
    assert set(record.not_recorded) == {"duration", "use_case", "watchlist_size", "threshold",
                                        "arrests", "other_action", "no_action", "faces_seen"}
    # In summer the London day starts at 23:00 UTC the day before.
    assert record.start.isoformat() == "2022-07-13T23:00:00+00:00"
    exported = grid.export_row(reference="LFR-2022-9999", borough=record.borough,
                               location=record.location, use_case=record.use_case,
                               watchlist_size=record.watchlist_size, threshold=record.threshold,
                               pdr=record.pdr, planned_start=record.start)
    assert exported["Date"] == "2022-07-14"
    assert [exported[c] for c in ("Duration", "Use case", "Watchlist size", "Threshold",
                                  "Arrests", "Faces seen", "False alert rate")] == [""] * 7
    assert exported["Total alerts"] == "4" and exported["False alerts confirmed"] == "1"


@settings(max_examples=120, deadline=None)
@given(st.sets(st.sampled_from(sorted(FIGURE_COLUMNS))))
def test_any_blanked_figures_are_exactly_the_ones_left_out(blanked):
    cells = dict(zip(grid.PUBLISHED_COLUMNS, FULL.split(",")))
    for column in blanked:
        cells[column] = ""
    [record], errors, _ = importer.read(published(",".join(cells.values())))
    assert errors == []
    kept = {FIGURE_COLUMNS[c] for c in FIGURE_COLUMNS if c not in blanked}
    assert set(record.pdr) == kept
    assert 0 not in [record.pdr.get(FIGURE_COLUMNS[c]) for c in blanked]
    # The export leaves the same cells blank and reads back to the same record.
    row = grid.export_row(reference="", borough=record.borough, location=record.location,
                          use_case=record.use_case, watchlist_size=record.watchlist_size,
                          threshold=record.threshold, pdr=record.pdr, planned_start=record.start)
    text = ",".join(grid.COLUMNS) + "\n" + ",".join(row[c] for c in grid.COLUMNS) + "\n"
    [again], errors, _ = importer.read(text)
    assert errors == [] and again.pdr == record.pdr and again.key == record.key


@pytest.mark.parametrize("row, line_words", [
    (",27/02/2020,6:30,,,,,,,,,,,,,", ["Deployment Location: required"]),
    ("Oxford Circus,,6:30,,,,,,,,,,,,,", ["Date: required"]),
    ("Oxford Circus,27/02/2020,,,,,three,,,,,,,,,", ["Total Alerts: 'three' is not a whole number"]),
    ("Oxford Circus,27/02/2020,,,,,,,,,,,-1,,,", ["Outcome – Arrest: '-1'"]),
    ("Oxford Circus,27/02/2020,,,lots,64,,,,,,,,,,", ["Watchlist Size: 'lots'",
                                                      "Min Threshold Setting: '64'"]),
    ("Oxford Circus,27/02/2020,,Parade,,,,,,,,,,,,", ["LFR Use Case: 'Parade'"]),
    ("Oxford Circus,27/02/2020,0:00,,,,,,,,,,,,,", ["Duration: must be more than zero"]),
    ("Oxford Circus,27/02/2020,,,,,9,4,1,2,1,,,,,", ["Total Alerts:", "must equal total alerts (9)"]),
])
def test_a_present_malformed_value_or_a_missing_location_or_date_is_bad(row, line_words):
    records, errors, rows = importer.read(published(FULL, row))
    assert len(records) == 1 and rows == 2 and [e.line for e in errors] == [3]
    for words in line_words:
        assert words in errors[0].reason, errors[0].reason


def test_unknown_columns_warn_and_are_ignored_unless_strict():
    header = PUBLISHED_HEADER + ",Notes,Officer in charge"
    text = published(FULL + ",windy,Insp. Example", header=header)
    parsed = importer.read_lines(importer.csv_lines(text))
    assert parsed.errors == [] and len(parsed.records) == 1
    assert parsed.warnings == ["Unknown column(s): Notes, Officer in charge (ignored)."]
    strict = importer.read_lines(importer.csv_lines(text), strict=True)
    assert strict.records == [] and strict.fatal
    assert strict.errors[0].line == 1 and "Unknown column(s): Notes, Officer in charge." in \
        strict.errors[0].reason


def test_two_columns_for_one_field_stop_the_file():
    parsed = importer.read_lines(importer.csv_lines(
        "Deployment Location,Date,Arrests,Outcome - Arrest\nX,01/01/2021,1,1\n"))
    assert parsed.fatal and "'Arrests' and 'Outcome - Arrest' both give Arrests" in \
        parsed.errors[0].reason


def test_blank_rows_and_trailing_empty_cells_are_skipped_and_lines_still_count():
    text = published(FULL + ",,,", ",,,,,,,,,,,,,,,", "", "Bank,01/13/2021" + "," * 14)
    records, errors, rows = importer.read(text)
    assert rows == 2 and len(records) == 1
    assert [e.line for e in errors] == [5] and "Date: '01/13/2021'" in errors[0].reason


def test_a_windows_1252_csv_with_en_dashes_decodes():
    data = published(FULL).encode("cp1252")
    assert b"\x96" in data  # the en dash of "Outcome – Arrest"
    parsed = importer.read_file(data, "grid-2020.csv")
    assert parsed.errors == [] and parsed.records[0].pdr["arrests"] == 3


@pytest.mark.parametrize("value, text", [
    (None, ""), (7292, "7292"), (7292.0, "7292"), (0.6, "0.6"), (0.64, "0.64"),
    (datetime(2020, 2, 27), "2020-02-27"), (date(2020, 2, 27), "2020-02-27"),
    (time(6, 30), "6:30"), (timedelta(hours=26, minutes=15), "26:15"),
    ("  Oxford Circus ", "Oxford Circus"),
])
def test_workbook_cells_become_the_text_a_csv_would_hold(value, text):
    assert importer._cell_text(value) == text


def test_an_xlsx_workbook_reads_like_the_csv():
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["DEPLOYMENT LOCATION", "date", "Duration", "lfr use case", "Watchlist  Size",
                  "Min Threshold Setting", "Total Alerts", "True Alerts Confirmed",
                  "True Alerts Unconfirmed", "False Alerts Confirmed", "False Alerts Unconfirmed",
                  "False Alert Rate", "Outcome - Arrest", "Outcome — Other", "No Action",
                  "Faces Seen (Estimate)"])
    sheet.append(["Oxford Circus", datetime(2020, 2, 27), time(6, 30), "Crime Hotspot", 7292, 0.6,
                  8, 4, 1, 2, 1, 0.000349, 3, 1, 2, 8600])
    sheet.append([None] * 16)
    sheet.append(["Bank", "31/02/2021"] + [None] * 14)
    buf = io.BytesIO()
    book.save(buf)
    parsed = importer.read_file(buf.getvalue(), "grid.xlsx")
    assert parsed.rows == 2 and parsed.warnings == []
    # Errors name the column as the file spells it.
    assert [e.line for e in parsed.errors] == [4] and "date: '31/02/2021'" in parsed.errors[0].reason
    [record] = parsed.records
    csv_record = importer.read(published(FULL))[0][0]
    assert record.pdr == csv_record.pdr and record.key == csv_record.key


def test_an_unreadable_or_old_workbook_is_one_fatal_error():
    parsed = importer.read_file(b"PK\x03\x04 not really a zip", "grid.xlsx")
    assert parsed.fatal and parsed.errors[0].line == 1
    assert "Not a readable .xlsx workbook" in parsed.errors[0].reason
    old = importer.read_file(b"\xd0\xcf\x11\xe0" + b"\0" * 40, "grid.xls")
    assert old.fatal and "save it as .xlsx or .csv" in old.errors[0].reason
