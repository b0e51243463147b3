"""The alert statistics as a person reads them: a titled bar chart, and the words
that go with it (period, what was suppressed, what the codes mean) — shared by
the PNG and the CSV's header comments, so both say the same thing."""
from __future__ import annotations

import io
import textwrap
from datetime import datetime, timedelta, timezone

SUPPRESSED_MARK = "[c]"

MEASURE_LABELS = {
    "true_alerts": "True alerts",
    "true_alert_engagements": "True-alert engagements",
    "false_alerts": "False alerts",
    "false_alert_engagements": "False-alert engagements",
}
# Okabe–Ito colours, told apart with any common colour-vision deficiency; the
# engagements are hatched too, so the chart survives greyscale printing.
COLOURS = {
    "true_alerts": "#0072B2",
    "true_alert_engagements": "#56B4E9",
    "false_alerts": "#D55E00",
    "false_alert_engagements": "#E69F00",
}
HATCHES = {"true_alert_engagements": "//", "false_alert_engagements": "//"}
GROUPING_WORDS = {"ic_code": "IC code", "year": "year", "borough": "borough"}
AXIS_LABELS = {"ic_code": "IC code (the officer-defined ethnicity classification)",
               "year": "Year of the deployment", "borough": "Borough"}


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def _at(moment: datetime) -> str:
    return f"{_day(moment)} {moment:%H:%M} UTC"


def period(result: dict) -> str:
    """The period as it was asked: a bare date as the upper bound reaches the
    service as the next midnight (exclusive), and is shown as that day again."""
    start, end = _moment(result.get("from")), _moment(result.get("to"))
    midnight = {"hour": 0, "minute": 0, "second": 0, "microsecond": 0}
    start_text = None if start is None else (
        _day(start) if start == start.replace(**midnight) else _at(start))
    if end is not None and end.astimezone(timezone.utc) == end.astimezone(timezone.utc).replace(
            **midnight):
        end_text = _day(end.astimezone(timezone.utc) - timedelta(days=1))
    else:
        end_text = None if end is None else f"before {_at(end)}"
    if start_text and end_text:
        return f"{start_text} to {end_text}"
    if start_text:
        return f"from {start_text}"
    if end_text:
        return f"up to {end_text}"
    return "all deployments"


def title(result: dict) -> str:
    grouping = GROUPING_WORDS.get(result["group_by"], result["group_by"])
    return f"LFR alerts and engagements by {grouping}, {period(result)}"


def _is_suppressed(value) -> bool:
    return isinstance(value, dict) and bool(value.get("suppressed"))


def _cells(result: dict) -> list:
    return [row[m] for row in result["rows"] for m in result["measures"]]


def notice(result: dict) -> str | None:
    """A plain sentence when the bars alone would mislead: nothing to show, all
    suppressed, or some suppressed. None when every count is shown."""
    threshold = result["suppression"]["threshold"]
    cells = _cells(result)
    hidden = sum(1 for c in cells if _is_suppressed(c))
    shown = [c for c in cells if not _is_suppressed(c)]
    without = result.get("deployments_without_ic_breakdown") or 0
    if not result.get("deployments"):
        if without:
            return (f"No data to show: none of the {without} deployment(s) in this period "
                    "recorded alerts by IC code.")
        return "No data: no deployment in this period has an approved post-deployment review."
    if hidden and not any(shown):
        return (f"All counts are suppressed: each is between 1 and {threshold}, or would let "
                "one be worked out, so none can be shown.")
    if hidden:
        return (f"{hidden} of {len(cells)} counts are suppressed ({SUPPRESSED_MARK}): each is "
                f"between 1 and {threshold}, or would let one be worked out.")
    if not any(shown):
        return "No alerts were recorded in this period."
    return None


def group_label(result: dict, row: dict) -> str:
    if result["group_by"] == "ic_code":
        return f"{row['group']}\n" + "\n".join(textwrap.wrap(row["label"], 16))
    return str(row["group"])


def csv_comments(result: dict) -> list[str]:
    """The header comment lines of the CSV (without the leading ``# ``)."""
    lines = [title(result)]
    sentence = notice(result)
    if sentence:
        lines.append(sentence)
    lines.append(f"{SUPPRESSED_MARK}: suppressed. {result['suppression']['rule']}")
    if result["group_by"] == "ic_code":
        lines.append("IC codes: " + "; ".join(f"{r['group']} {r['label']}" for r in result["rows"]))
    return lines


def figure(result: dict):
    """The chart as a matplotlib Figure (tests read its axes; ``png`` draws it)."""
    from matplotlib.figure import Figure  # heavy import, only when a chart is asked for
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    rows, measures = result["rows"], result["measures"]
    labels = [group_label(result, r) for r in rows]
    fig = Figure(figsize=(max(8.0, 1.25 * len(rows) + 3), 5.6), dpi=100)
    ax = fig.subplots()
    width = 0.8 / len(measures)
    tallest = 0
    for i, m in enumerate(measures):
        xs = [g + (i - (len(measures) - 1) / 2) * width for g in range(len(rows))]
        values = [r[m] for r in rows]
        heights = [0 if _is_suppressed(v) else v for v in values]
        tallest = max([tallest, *heights])
        bars = ax.bar(xs, heights, width, label=MEASURE_LABELS.get(m, m), color=COLOURS.get(m),
                      hatch=HATCHES.get(m), edgecolor="white", linewidth=0.5)
        for bar, v in zip(bars, values):
            if _is_suppressed(v):
                ax.annotate(SUPPRESSED_MARK, (bar.get_x() + bar.get_width() / 2, 0),
                            xytext=(0, 2), textcoords="offset points",
                            ha="center", va="bottom", fontsize=7, rotation=90)
    # Counts: from 0, whole numbers only, however small or large.
    ax.set_ylim(0, max(tallest * 1.1, 1))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=2))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: f"{int(round(y)):,}"))
    ax.set_xticks(range(len(rows)), labels, fontsize=8,
                  rotation=30 if len(rows) > 8 and result["group_by"] != "ic_code" else 0)
    ax.set_xlabel(AXIS_LABELS.get(result["group_by"], result["group_by"]))
    ax.set_ylabel("Number of alerts or engagements")
    ax.set_title(title(result), fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    if tallest:
        ax.legend(fontsize=8, frameon=False)
    sentence = notice(result)
    if sentence and not tallest:
        # Nothing drawn: the sentence takes the bars' place.
        ax.text(0.5, 0.5, "\n".join(textwrap.wrap(sentence, 60, break_on_hyphens=False)),
                transform=ax.transAxes,
                ha="center", va="center", fontsize=11)
    if sentence and tallest:
        footnote = sentence  # it already says what [c] means
    else:
        footnote = (f"{SUPPRESSED_MARK}: suppressed (counts of 1 to "
                    f"{result['suppression']['threshold']}, and counts that would reveal them).")
    fig.text(0.01, 0.01, footnote, fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def png(result: dict) -> bytes:
    buf = io.BytesIO()
    figure(result).savefig(buf, format="png")
    return buf.getvalue()
