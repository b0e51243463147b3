"""The targets of the speed figures (issue 32's table), checked against one run's
results: each figure, its value, its target and whether it holds.

``bench.run`` prints this table at the end of every run; a missed target is
reported, not a failure (a run fails on wrong answers: 5xx, lost writes, a name
bar). Against a saved run: ``python -m bench.targets [bench/results/latest.json]``.
"""
from __future__ import annotations

import json
import operator
import sys
from pathlib import Path

AT_MOST, AT_LEAST = "≤", "≥"
_COMPARE = {AT_MOST: operator.le, AT_LEAST: operator.ge}
WRITES = ("create operation", "authorise operation", "create CIA", "edit CIA (PATCH)", "submit")

# (figure, path of the value in the results, comparison, target)
TARGETS: list[tuple[str, tuple[str, ...], str, float]] = [
    ("loop: submit → webhook p50 / raw Kafka round trip", ("loop", "ratio_p50"), AT_MOST, 4),
    ("http: GET /cias/{id} / bare Flask, requests/s", ("http", "ratio_rps"), AT_LEAST, 0.6),
    *[(f"load: {op} p50 / bare endpoint", ("load", "ratio_p50_vs_bare", op), AT_MOST, 10)
      for op in WRITES],
    ("bundle of 1,000 copies / bare zipfile", ("bundle", "ratio_vs_bare_zipfile"), AT_MOST, 1.5),
    ("list by status, first page, 100k / 10k", ("list_scale", "ratio_status_first_page"),
     AT_MOST, 1.2),
    ("full DOCX / one-line docxtpl", ("documents", "docx", "ratio_full"), AT_MOST, 1.5),
    ("disclosure DOCX / full DOCX", ("documents", "docx", "ratio_disclosure_vs_full"),
     AT_MOST, 1.3),
]


def _value(results: dict, path: tuple[str, ...]):
    for key in path:
        if not isinstance(results, dict) or key not in results:
            return None
        results = results[key]
    return results


def against_targets(results: dict) -> list[tuple[str, float | None, str, bool | None]]:
    """(figure, value or None when not run, target as text, holds or None)."""
    rows = []
    for figure, path, compare, target in TARGETS:
        value = _value(results, path)
        holds = None if value is None else _COMPARE[compare](value, target)
        rows.append((figure, value, f"{compare} {target:g}", holds))
    return rows


def print_targets(results: dict, out=sys.stdout) -> list[str]:
    """Print the table; return the figures that miss their target."""
    missed = []
    print("targets", file=out)
    for figure, value, target, holds in against_targets(results):
        shown = "not run" if value is None else f"{value:g}"
        verdict = "" if holds is None else ("holds" if holds else "MISSED")
        print(f"  {figure:<54} {shown:>8}  {target:<6} {verdict}", file=out)
        if holds is False:
            missed.append(f"{figure}: {shown} (target {target})")
    return missed


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0] if argv else Path(__file__).with_name("results") / "latest.json")
    print_targets(json.loads(path.read_text()))


if __name__ == "__main__":
    main()
