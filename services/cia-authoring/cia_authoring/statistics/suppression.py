"""Small-number suppression of the alert statistics (pure).

A table has one row per group (IC code, year or borough) and four measures:
true alerts, true-alert engagements, false alerts, false-alert engagements;
plus a total per measure. The total of a measure over a date range is the same
whichever way the table is grouped, so it is decided once, by rule 1 alone,
and treated as public: the other rules make sure no suppressed cell can be
worked out from it.

1. **Primary**: a count from 1 to the threshold (default 4) is suppressed;
   zero is shown. A total from 1 to the threshold is suppressed as well.
2. **Pairs**: engagements can never exceed alerts, so a shown alert count would
   bound a hidden engagement count (and the reverse). When either cell of a
   group's (alerts, engagements) pair is suppressed, both are.
3. **Secondary**: in each measure whose total is shown, while the suppressed
   cells are fewer than two or add up to 1..threshold, the smallest non-zero
   shown cell is suppressed too. Subtracting the shown cells from the total
   then leaves a sum shared by two or more cells that is no small number (or
   zero, which tells nothing that is not shown anyway).

Rules 2 and 3 repeat until nothing changes. One case is left: a measure whose
only non-zero cell is hidden by rule 2. That cell equals the published total
(more than the threshold), so hiding it protects nothing; it is shown, and
rule 2 leaves it alone. Every suppressed cell looks the same
(``SUPPRESSED``): telling primary from secondary cells apart would let a
reader narrow the values down again.
"""
from __future__ import annotations

from dataclasses import dataclass

MEASURES = ("true_alerts", "true_alert_engagements", "false_alerts", "false_alert_engagements")
PAIRS = (("true_alerts", "true_alert_engagements"), ("false_alerts", "false_alert_engagements"))
DEFAULT_THRESHOLD = 4


class _Suppressed:
    def __repr__(self) -> str:
        return "SUPPRESSED"


SUPPRESSED = _Suppressed()


@dataclass(frozen=True)
class Table:
    groups: list[str]
    cells: dict[str, dict[str, object]]   # group -> measure -> int | SUPPRESSED
    totals: dict[str, object]             # measure -> int | SUPPRESSED


def suppress(groups: list[str], counts: dict[str, dict[str, int]], threshold: int,
             measures: tuple[str, ...] = MEASURES,
             pairs: tuple[tuple[str, str], ...] = PAIRS) -> Table:
    """Apply the rules above to ``counts[group][measure]`` (missing counts are 0)."""
    if threshold < 0:
        raise ValueError("threshold must be 0 or more")
    value = {(g, m): int(counts.get(g, {}).get(m, 0)) for g in groups for m in measures}
    totals = {m: sum(value[(g, m)] for g in groups) for m in measures}
    hidden = {(g, m) for (g, m), v in value.items() if 1 <= v <= threshold}
    hidden_totals = {m for m, t in totals.items() if 1 <= t <= threshold}
    public: set[tuple[str, str]] = set()  # equal to a published total: nothing to hide

    changed = True
    while changed:
        changed = False
        for g in groups:
            for a, b in pairs:
                for one, other in (((g, a), (g, b)), ((g, b), (g, a))):
                    if one in hidden and other not in hidden and other not in public:
                        hidden.add(other)
                        changed = True
        for m in measures:
            if m in hidden_totals:
                continue
            while True:
                column = [g for g in groups if (g, m) in hidden]
                total_hidden = sum(value[(g, m)] for g in column)
                if total_hidden == 0 or (len(column) >= 2 and total_hidden > threshold):
                    break
                shown = [g for g in groups if (g, m) not in hidden and (g, m) not in public
                         and value[(g, m)] > 0]
                if not shown:
                    # The lone non-zero cell is the total itself (rule 1 shows the total).
                    lone = [(g, m) for g in column if value[(g, m)] > 0]
                    hidden.difference_update(lone)
                    public.update(lone)
                    changed = True
                    break
                pick = min(shown, key=lambda g: (value[(g, m)], groups.index(g)))
                hidden.add((pick, m))
                changed = True

    cells = {g: {m: SUPPRESSED if (g, m) in hidden else value[(g, m)] for m in measures}
             for g in groups}
    return Table(groups=list(groups), cells=cells,
                 totals={m: SUPPRESSED if m in hidden_totals else totals[m] for m in measures})
