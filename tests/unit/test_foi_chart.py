"""The alerts chart a person reads: y from 0 in whole numbers, IC codes with their
descriptions, the period as asked, a sentence when values are suppressed or there
is no data, a colour-blind-safe palette — and the same words in the CSV."""
from __future__ import annotations

import csv
import io

import matplotlib
import pytest

from cia_authoring.statistics import chart as alerts_chart
from cia_authoring.statistics.service import RULE, alerts_csv
from cia_schemas.content import IC_CODE_LABELS, IC_CODES

matplotlib.use("Agg")

MEASURES = ["true_alerts", "true_alert_engagements", "false_alerts", "false_alert_engagements"]
HIDDEN = {"suppressed": True}
# Asked for 2030-01-01 to 2030-12-31: the upper bound arrives as the next midnight.
ASKED = {"from": "2030-01-01T00:00:00+00:00", "to": "2031-01-01T00:00:00+00:00"}
TITLE = "LFR alerts and engagements by IC code, 1 January 2030 to 31 December 2030"


def result(cells: dict[str, list], *, deployments: int = 3, without: int = 0,
           period=ASKED) -> dict:
    """An ``alerts`` answer grouped by IC code; ``cells`` {code: 4 values}, others 0."""
    rows = []
    for code in IC_CODES:
        values = cells.get(code, [0, 0, 0, 0])
        rows.append({"group": code, "label": IC_CODE_LABELS[code], **dict(zip(MEASURES, values))})
    return {**period, "group_by": "ic_code", "measures": MEASURES, "deployments": deployments,
            "deployments_without_ic_breakdown": without,
            "suppression": {"threshold": 4, "rule": RULE.format(t=4)},
            "rows": rows, "total": {m: 0 for m in MEASURES}}


def texts(fig) -> list[str]:
    ax = fig.axes[0]
    return [t.get_text() for t in ax.texts] + [t.get_text() for t in fig.texts]


def y_ticks(ax) -> list[float]:
    low, high = ax.get_ylim()
    return [t for t in ax.get_yticks() if low <= t <= high]


def check_common(fig) -> None:
    ax = fig.axes[0]
    assert ax.get_title() == TITLE
    assert ax.get_ylim()[0] == 0
    ticks = y_ticks(ax)
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "IC1\nWhite – North\nEuropean"
    assert [label.split("\n")[0] for label in labels] == list(IC_CODES)
    assert labels[4].replace("\n", " ") == "IC5 Chinese, Japanese, Korean or other South East Asian"


def test_no_data_says_so_on_an_axis_from_zero():
    fig = alerts_chart.figure(result({}, deployments=0))
    check_common(fig)
    assert fig.axes[0].get_ylim() == (0, 1)
    assert [float(t) for t in y_ticks(fig.axes[0])] == [0.0, 1.0]
    assert any("No data: no deployment in this period" in t for t in texts(fig))
    assert fig.axes[0].get_legend() is None


def test_all_suppressed_says_so_in_words():
    every = {code: [HIDDEN] * 4 for code in ("IC1", "IC3", "IC9")}
    fig = alerts_chart.figure(result(every))
    check_common(fig)
    assert fig.axes[0].get_ylim() == (0, 1)  # not -0.04 to 0.04
    words = " ".join(texts(fig)).replace("\n", " ")
    assert "All counts are suppressed" in words
    assert texts(fig).count("[c]") == 12  # each hidden bar is marked


def test_some_suppressed_are_marked_and_counted():
    cells = {"IC1": [37, 30, 2, 2], "IC3": [HIDDEN, HIDDEN, 5, 5], "IC4": [HIDDEN, HIDDEN, 0, 0]}
    fig = alerts_chart.figure(result(cells))
    check_common(fig)
    ax = fig.axes[0]
    assert ax.get_ylim()[1] >= 37
    words = " ".join(texts(fig))
    assert "4 of 28 counts are suppressed ([c])" in words
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["True alerts", "True-alert engagements", "False alerts",
                      "False-alert engagements"]
    colours = {matplotlib.colors.to_hex(c.patches[0].get_facecolor()) for c in ax.containers}
    assert colours == {c.lower() for c in alerts_chart.COLOURS.values()}


def test_large_numbers_keep_whole_thousand_separated_ticks():
    cells = {"IC1": [1_234_567, 1_000_000, 25_000, 20_000], "IC2": [800_000, 700_000, 9, 9]}
    fig = alerts_chart.figure(result(cells))
    check_common(fig)
    ax = fig.axes[0]
    assert ax.get_ylim()[1] >= 1_234_567
    fig.canvas.draw()  # formats the tick labels
    shown = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "0" in shown and any("," in t for t in shown)
    assert not any("e" in t or "." in t for t in shown)  # no 1e6 offset, no decimals
    assert alerts_chart.notice(result(cells)) is None


@pytest.mark.parametrize("period,words", [
    (ASKED, "1 January 2030 to 31 December 2030"),
    ({"from": "2016-01-01T00:00:00+00:00", "to": None}, "from 1 January 2016"),
    ({"from": None, "to": "2023-01-01T00:00:00+00:00"}, "up to 31 December 2022"),
    ({"from": None, "to": None}, "all deployments"),
    ({"from": "2030-06-01T12:30:00+00:00", "to": "2030-06-02T08:00:00+00:00"},
     "1 June 2030 12:30 UTC to before 2 June 2030 08:00 UTC"),
])
def test_the_period_reads_as_it_was_asked(period, words):
    assert alerts_chart.period(result({}, period=period)) == words


def test_the_csv_header_comments_say_what_the_chart_says():
    cells = {"IC3": [HIDDEN, HIDDEN, 5, 5]}
    text = alerts_csv(result(cells))
    comments = [line[2:] for line in text.splitlines() if line.startswith("# ")]
    assert comments[0] == TITLE
    assert comments[1].startswith("2 of 28 counts are suppressed")
    assert comments[2].startswith("[c]: suppressed. Counts from 1 to 4 are suppressed")
    assert "IC1 White – North European" in comments[3]
    table = list(csv.reader(io.StringIO("\n".join(
        line for line in text.splitlines() if not line.startswith("#")))))
    assert table[0] == ["ic_code", "label", *MEASURES]

    nothing = alerts_csv(result({}, deployments=0, without=2))
    assert "# No data to show: none of the 2 deployment(s)" in nothing


def test_the_chart_renders_as_a_png():
    data = alerts_chart.png(result({"IC1": [12, 10, 6, 5]}))
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
