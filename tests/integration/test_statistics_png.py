"""The alert statistics as a PNG chart, through the HTTP API only: a real PNG of
sensible size, and one that shows no more than the JSON answer does.

Each pair of grids below differs only in cells the JSON answer suppresses (the
same totals, the small counts moved between suppressed cells): the JSON answers
are equal, so the charts must be the same picture; a chart that drew a
suppressed count would differ. A third grid differs in a shown cell, and its
chart does differ: the comparison can tell."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from PIL import Image

from cia_authoring.statistics.suppression import MEASURES
from cia_common.web import db

from tests.integration.test_authoring_support import FOI, make_app, ok
from tests.integration.test_foi_statistics import ALERTS, SAMPLE, run_import
from tests.integration.test_foi_support import PNG_SIGNATURE

pytestmark = pytest.mark.integration

THRESHOLD = 4
IC_CODES = ("IC1", "IC2", "IC3", "IC4", "IC5", "IC6", "IC9")

# Per IC code: (true alerts, true-alert engagements, false alerts, false-alert engagements).
ALL_SMALL = {"IC1": (2, 2, 0, 0), "IC3": (1, 1, 0, 0), "IC9": (0, 0, 1, 0)}
ALL_SMALL_MOVED = {"IC1": (1, 1, 0, 0), "IC3": (2, 2, 0, 0), "IC9": (0, 0, 1, 0)}
SOME_SMALL = {"IC1": (20, 18, 10, 5), "IC3": (2, 2, 0, 0), "IC4": (3, 3, 0, 0)}
SOME_SMALL_MOVED = {"IC1": (20, 18, 10, 5), "IC3": (3, 3, 0, 0), "IC4": (2, 2, 0, 0)}
SHOWN_CHANGED = {"IC1": (21, 18, 10, 5), "IC3": (2, 2, 0, 0), "IC4": (3, 3, 0, 0)}


def grid_csv(path: Path, ic: dict[str, tuple[int, int, int, int]]) -> Path:
    """One deployment in the layout of the sample grid, with the given IC breakdown."""
    with SAMPLE.open(newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames
        row = next(r for r in reader if r["IC1 true alerts"])  # a row with per-IC columns
    true = sum(v[0] for v in ic.values())
    false = sum(v[2] for v in ic.values())
    row.update({"Date": "2019-03-05", "Reference": "", "Total alerts": str(true + false),
                "True alerts confirmed": str(true), "True alerts unconfirmed": "0",
                "False alerts confirmed": str(false), "False alerts unconfirmed": "0",
                "Arrests": "0", "Other outcome": "0", "No action": "0"})
    for code in IC_CODES:
        for measure, value in zip(MEASURES, ic.get(code, (0, 0, 0, 0))):
            row[f"{code} {measure.replace('_', ' ')}"] = str(value)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerow(row)
    return path


def answers(databases, tmp_path: Path, label: str, ic) -> tuple[dict, bytes]:
    """The JSON answer and the PNG chart of the same query over a grid of one deployment."""
    app = make_app(databases.new(label), STATS_SUPPRESSION_THRESHOLD=THRESHOLD)
    try:
        result = run_import(app.config["DATABASE_URL"], grid_csv(tmp_path / f"{label}.csv", ic))
        assert result.exit_code == 0, result.output
        client = app.test_client()
        body = ok(client.get(ALERTS, headers=FOI))
        resp = client.get(ALERTS, query_string={"format": "png"}, headers=FOI)
        assert resp.status_code == 200 and resp.mimetype == "image/png"
        return body, resp.data
    finally:
        db(app).dispose()


def picture(data: bytes) -> tuple[tuple[int, int], bytes]:
    """Check the bytes are a real PNG of a readable size; return its size and pixels."""
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(data)) as image:
        image.verify()  # chunk CRCs and structure
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert 500 <= width <= 4000 and 300 <= height <= 4000
        # No count the JSON hides sits in a text chunk (title, description, comment).
        for key, value in image.info.items():
            if isinstance(value, str) and key != "Software":
                assert not re.search(rf"(?<![\d.:-])[1-{THRESHOLD}](?![\d.:-])", value), key
        return image.size, image.convert("RGBA").tobytes()


def suppressed(body: dict) -> list[tuple[str, str]]:
    return [(r["group"], m) for r in body["rows"] for m in MEASURES
            if r[m] == {"suppressed": True}]


def test_an_all_suppressed_answer_charts_the_same_whatever_the_hidden_counts(databases, tmp_path):
    body, png = answers(databases, tmp_path, "small", ALL_SMALL)
    moved_body, moved_png = answers(databases, tmp_path, "moved", ALL_SMALL_MOVED)
    # Every non-zero cell and every non-zero total is suppressed in the JSON answer.
    assert body == moved_body
    shown = [r[m] for r in body["rows"] for m in MEASURES if not isinstance(r[m], dict)]
    assert set(shown) <= {0}
    assert {"IC1", "IC3", "IC9"} <= {g for g, _ in suppressed(body)}
    assert all(v in (0, {"suppressed": True}) for v in body["total"].values())
    assert picture(png) == picture(moved_png)


def test_a_partly_suppressed_answer_charts_only_what_the_json_shows(databases, tmp_path):
    body, png = answers(databases, tmp_path, "some", SOME_SMALL)
    moved_body, moved_png = answers(databases, tmp_path, "some_moved", SOME_SMALL_MOVED)
    changed_body, changed_png = answers(databases, tmp_path, "changed", SHOWN_CHANGED)
    rows = {r["group"]: r for r in body["rows"]}
    assert rows["IC1"]["true_alerts"] == 20 and rows["IC1"]["false_alerts"] == 10
    assert {("IC3", "true_alerts"), ("IC4", "true_alerts")} <= set(suppressed(body))
    assert body == moved_body
    assert picture(png) == picture(moved_png)
    # Control: a shown count that differs is drawn differently.
    assert changed_body != body and picture(changed_png) != picture(png)
