"""Small-number suppression: primary, paired and secondary, and an adversary who
knows the rules and tries to work suppressed cells out from what is shown."""
from __future__ import annotations

import itertools
import random

import pytest

from cia_authoring.statistics.suppression import MEASURES, SUPPRESSED, suppress

IC = ["IC1", "IC2", "IC3", "IC4", "IC5", "IC6", "IC9"]


def table(rows: dict[str, tuple[int, int, int, int]]) -> dict:
    return {g: dict(zip(MEASURES, v)) for g, v in rows.items()}


def test_counts_from_one_to_the_threshold_are_suppressed_zero_is_not():
    counts = table({"IC1": (40, 30, 12, 9), "IC2": (0, 0, 0, 0), "IC3": (25, 20, 11, 10),
                    "IC4": (3, 2, 6, 5)})
    out = suppress(["IC1", "IC2", "IC3", "IC4"], counts, 4)
    assert out.cells["IC2"] == {m: 0 for m in MEASURES}
    assert out.cells["IC4"]["true_alerts"] is SUPPRESSED
    assert out.cells["IC4"]["true_alert_engagements"] is SUPPRESSED
    assert out.cells["IC4"]["false_alerts"] == 6 and out.cells["IC4"]["false_alert_engagements"] == 5
    # Totals are the true totals and stay shown.
    assert out.totals == {"true_alerts": 68, "true_alert_engagements": 52, "false_alerts": 29,
                          "false_alert_engagements": 24}
    # One hidden cell per column could be recovered from the total: a second one
    # (the smallest shown) goes with it.
    assert out.cells["IC3"]["true_alerts"] is SUPPRESSED
    assert out.cells["IC1"]["true_alerts"] == 40


def test_the_threshold_is_a_parameter():
    counts = table({"a": (5, 5, 0, 0), "b": (30, 30, 0, 0), "c": (40, 40, 0, 0)})
    assert suppress(["a", "b", "c"], counts, 4).cells["a"]["true_alerts"] == 5
    assert suppress(["a", "b", "c"], counts, 9).cells["a"]["true_alerts"] is SUPPRESSED
    assert suppress(["a", "b", "c"], counts, 0).cells["a"]["true_alerts"] == 5


def test_a_small_total_is_suppressed_and_needs_no_partner():
    counts = table({"IC1": (0, 0, 3, 1), "IC3": (9, 9, 0, 0)})
    out = suppress(["IC1", "IC3"], counts, 4)
    assert out.totals["false_alerts"] is SUPPRESSED
    assert out.totals["false_alert_engagements"] is SUPPRESSED
    assert out.totals["true_alerts"] == 9


def test_pairs_are_suppressed_together():
    # Shown alerts would bound the hidden engagements (engagements <= alerts).
    counts = table({"a": (7, 3, 0, 0), "b": (20, 18, 0, 0), "c": (30, 25, 0, 0)})
    out = suppress(["a", "b", "c"], counts, 4)
    assert out.cells["a"]["true_alert_engagements"] is SUPPRESSED
    assert out.cells["a"]["true_alerts"] is SUPPRESSED


def test_totals_are_the_same_whichever_way_the_table_is_grouped():
    # One borough holds everything: its false alerts are the total itself, so they
    # are shown even though its (small) engagements are hidden.
    by_borough = suppress(["Westminster"], {"Westminster": {
        "true_alerts": 17, "true_alert_engagements": 16, "false_alerts": 12,
        "false_alert_engagements": 4}}, 4)
    assert by_borough.cells["Westminster"]["false_alerts"] == 12
    assert by_borough.cells["Westminster"]["false_alert_engagements"] is SUPPRESSED
    by_ic = suppress(["IC1", "IC3"], table({"IC1": (9, 9, 7, 3), "IC3": (8, 7, 5, 1)}), 4)
    assert by_ic.totals == by_borough.totals == {
        "true_alerts": 17, "true_alert_engagements": 16, "false_alerts": 12,
        "false_alert_engagements": SUPPRESSED}


@pytest.mark.parametrize("seed", range(50))
def test_random_regroupings_publish_the_same_totals(seed):
    rnd = random.Random(seed)
    records = []
    for _ in range(rnd.randint(1, 6)):
        ta, fa = rnd.randint(0, 9), rnd.randint(0, 6)
        records.append((rnd.choice(IC), rnd.choice(["2019", "2020"]),
                        {"true_alerts": ta, "true_alert_engagements": rnd.randint(0, ta),
                         "false_alerts": fa, "false_alert_engagements": rnd.randint(0, fa)}))
    outs = []
    for key in (0, 1):
        counts: dict = {}
        for rec in records:
            cell = counts.setdefault(rec[key], {m: 0 for m in MEASURES})
            for m in MEASURES:
                cell[m] += rec[2][m]
        outs.append(suppress(sorted(counts), counts, 4))
    assert outs[0].totals == outs[1].totals


def shown_column_sums_hide_at_least_two(out, counts, threshold):
    for m in MEASURES:
        hidden = [g for g in out.groups if out.cells[g][m] is SUPPRESSED]
        if out.totals[m] is SUPPRESSED or not hidden:
            continue
        left = sum(counts[g][m] for g in hidden)  # what subtraction from the total gives
        assert left == 0 or (len(hidden) >= 2 and left > threshold)


@pytest.mark.parametrize("seed", range(200))
def test_no_column_leaves_one_cell_to_subtraction(seed):
    rnd = random.Random(seed)
    groups = IC[: rnd.randint(1, 7)]
    counts = {}
    for g in groups:
        ta = rnd.choice([0, 0, 1, 2, 3, 4, 5, 8, 13, 40])
        fa = rnd.choice([0, 0, 1, 2, 3, 4, 6, 11])
        counts[g] = {"true_alerts": ta, "true_alert_engagements": rnd.randint(0, ta),
                     "false_alerts": fa, "false_alert_engagements": rnd.randint(0, fa)}
    out = suppress(groups, counts, 4)
    shown_column_sums_hide_at_least_two(out, counts, 4)
    for g in groups:
        for m in MEASURES:
            v = counts[g][m]
            if 1 <= v <= 4:
                assert out.cells[g][m] is SUPPRESSED
            if out.cells[g][m] is not SUPPRESSED:
                assert out.cells[g][m] == v


def consistent_tables(out, groups, measures, pairs, threshold, limit):
    """Every table an adversary cannot tell apart from the real one: the same
    published output, engagements never above alerts."""
    columns = []
    for m in measures:
        hidden = [g for g in groups if out.cells[g][m] is SUPPRESSED]
        shown = sum(out.cells[g][m] for g in groups if g not in hidden)
        options = []
        for values in itertools.product(range(limit + 1), repeat=len(hidden)):
            if out.totals[m] is not SUPPRESSED and shown + sum(values) != out.totals[m]:
                continue
            options.append(dict(zip(hidden, values)))
        columns.append(options)
    for combo in itertools.product(*columns):
        counts = {g: {m: (combo[i].get(g, out.cells[g][m])) for i, m in enumerate(measures)}
                  for g in groups}
        if any(counts[g][b] > counts[g][a] for g in groups for a, b in pairs):
            continue
        again = suppress(groups, counts, threshold, measures, pairs)
        if again.cells == out.cells and again.totals == out.totals:
            yield counts


@pytest.mark.parametrize("seed", range(25))
def test_an_adversary_who_knows_the_rules_cannot_pin_down_a_suppressed_cell(seed):
    # Small tables (one pair of measures, threshold 2) so every candidate can be tried.
    rnd = random.Random(1000 + seed)
    measures, pairs, threshold, limit = ("alerts", "engagements"), (("alerts", "engagements"),), 2, 6
    groups = ["g1", "g2", "g3"][: rnd.randint(2, 3)]
    counts = {}
    for g in groups:
        alerts = rnd.randint(0, limit)
        counts[g] = {"alerts": alerts, "engagements": rnd.randint(0, alerts)}
    out = suppress(groups, counts, threshold, measures, pairs)
    candidates = list(consistent_tables(out, groups, measures, pairs, threshold, limit))
    assert counts in candidates  # the real table is among them
    for g in groups:
        for m in measures:
            if out.cells[g][m] is SUPPRESSED:
                values = {c[g][m] for c in candidates}
                # A zero hidden only as the partner of a hidden count may come out:
                # zero is shown anywhere else, and it bounds nothing.
                assert len(values) >= 2 or values == {0}, (counts, g, m, values)
