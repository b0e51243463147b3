"""The benchmark's targets table: each figure read from a run's results and judged
against its target, in the direction the target points."""
from __future__ import annotations

import io

from bench.targets import TARGETS, WRITES, against_targets, print_targets


def results(**over) -> dict:
    """A run whose every figure sits exactly on its target."""
    out: dict = {}
    for _figure, path, _compare, target in TARGETS:
        node = out
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = target
    for path, value in over.items():
        node = out
        keys = path.split(".")
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return out


def test_a_figure_on_its_target_holds_and_one_past_it_is_missed():
    assert all(holds for *_rest, holds in against_targets(results()))  # positive control
    worse = results(**{"loop.ratio_p50": 4.1, "http.ratio_rps": 0.59,
                       "documents.docx.ratio_disclosure_vs_full": 1.31})
    missed = {figure for figure, _v, _t, holds in against_targets(worse) if holds is False}
    assert missed == {TARGETS[0][0], TARGETS[1][0], TARGETS[-1][0]}


def test_every_write_of_the_load_is_judged_and_a_part_not_run_is_said_so():
    run = results()
    run["load"]["ratio_p50_vs_bare"]["submit"] = 32.4
    del run["bundle"]
    out = io.StringIO()
    missed = print_targets(run, out)
    assert missed == ["load: submit p50 / bare endpoint: 32.4 (target ≤ 10)"]
    lines = out.getvalue().splitlines()
    assert sum("load:" in line for line in lines) == len(WRITES)
    assert [line for line in lines if "bundle" in line][0].split()[-3:] == ["run", "≤", "1.5"]
