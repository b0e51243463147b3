"""Outcome statistics from the approved post-deployment reviews.

Source: for each CIA, its latest approved version, if it carries a
post-deployment review (section 13). Operations are selected by planned start
in [from, to); "year" is the year of that start in London time.

- ``alerts``: true alerts, true-alert engagements, false alerts and false-alert
  engagements from the per-IC breakdown, grouped by IC code, year or borough,
  with small numbers suppressed (``suppression``). A record without a per-IC
  breakdown (imported from a grid that had none) is counted in
  ``deployments_without_ic_breakdown`` and ``not_recorded`` and in no cell, so
  that every grouping adds up to the same totals. ``figures`` totals the
  grid's own figures (faces seen, alerts, outcomes, duration).
- ``deployments_csv`` / ``deployments_summary``: one row per deployment in the
  deployment-grid layout (``grid``), the figures the force publishes per
  deployment, unsuppressed; the summary adds the totals.

A figure a deployment did not record (a blank grid cell) is absent from its
outcome record. Totals are over the deployments that recorded the figure, and
``not_recorded`` says, per measure, how many did not: a missing figure is
never counted as 0.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.events import isoformat
from cia_schemas.content import IC_CODE_LABELS, IC_CODES, derived_duration_minutes

from cia_authoring import cells, domain
from cia_authoring.cias.models import Cia, CiaVersion
from cia_authoring.operations.models import Operation
from cia_authoring.disclosure import redactors, register
from cia_redaction import Redactor
from cia_authoring.statistics import chart as alerts_chart
from cia_authoring.statistics import grid
from cia_authoring.disclosure import censor_rules as rules_service
from cia_authoring.statistics.suppression import DEFAULT_THRESHOLD, MEASURES, SUPPRESSED, suppress

GROUPINGS = ("ic_code", "year", "borough")
# Grid figures that add up across deployments (totals), and the per-deployment
# settings that do not (only their not-recorded counts are given).
FIGURES = ("faces_seen", "total_alerts", "true_alerts_confirmed", "true_alerts_unconfirmed",
           "false_alerts_confirmed", "false_alerts_unconfirmed", "arrests", "other_action",
           "no_action", "duration_minutes")
SETTINGS = ("use_case", "watchlist_size", "match_threshold")
CSV_SUPPRESSED = alerts_chart.SUPPRESSED_MARK
RULE = ("Counts from 1 to {t} are suppressed, and so are totals in that range; totals do not "
        "depend on the grouping. When one cell of a group's (alerts, engagements) pair is "
        "suppressed, so is the other. In each column with a shown total, further cells (the "
        "smallest first) are suppressed until at least two are hidden and the hidden cells add up "
        "to more than {t}, so no suppressed count can be worked out from the total. A column's "
        "only non-zero cell equals its total and is shown. Suppressed cells all look alike.")


def threshold(cfg: dict) -> int:
    """``STATS_SUPPRESSION_THRESHOLD``: config, then env ``CIA_STATS_SUPPRESSION_THRESHOLD``, then 4."""
    value = cfg.get("STATS_SUPPRESSION_THRESHOLD")
    if value is None:
        value = os.environ.get("CIA_STATS_SUPPRESSION_THRESHOLD", DEFAULT_THRESHOLD)
    value = int(value)
    if value < 0:
        raise ValueError(f"STATS_SUPPRESSION_THRESHOLD={value} must be 0 or more")
    return value


@dataclass(frozen=True)
class OutcomeRecord:
    reference: str
    borough: str
    location: str
    use_case: str | None
    watchlist_size: int | None
    threshold: float | None
    planned_start: datetime
    pdr: dict
    cia_id: str | None = None

    @property
    def year(self) -> str:
        return str(grid._local(self.planned_start).year)


def outcome_records(session: Session, start_from: datetime | None = None,
                    start_to: datetime | None = None) -> Iterator[OutcomeRecord]:
    latest = (sa.select(CiaVersion.cia_id, sa.func.max(CiaVersion.number).label("number"))
              .where(CiaVersion.status == domain.APPROVED)
              .group_by(CiaVersion.cia_id).subquery())
    query = (
        sa.select(CiaVersion.content, CiaVersion.cia_id, Operation.reference, Operation.borough,
                  Operation.location_name, Operation.use_case, Operation.watchlist_size,
                  Operation.match_threshold, Operation.planned_start)
        .join(latest, sa.and_(CiaVersion.cia_id == latest.c.cia_id,
                              CiaVersion.number == latest.c.number))
        .join(Cia, Cia.id == CiaVersion.cia_id)
        .join(Operation, Operation.id == Cia.operation_id)
        .order_by(Operation.planned_start, Operation.reference)
    )
    if start_from:
        query = query.where(Operation.planned_start >= start_from)
    if start_to:
        query = query.where(Operation.planned_start < start_to)
    for r in session.execute(query.execution_options(yield_per=200)):
        pdr = r.content.get("post_deployment_review") if isinstance(r.content, dict) else None
        if isinstance(pdr, dict):
            yield OutcomeRecord(r.reference, r.borough, r.location_name, r.use_case,
                                r.watchlist_size, r.match_threshold, r.planned_start, pdr,
                                r.cia_id)


def _ic_rows(pdr: dict) -> list[dict] | None:
    rows = pdr.get("ic_breakdown")
    if not isinstance(rows, list):
        return None
    return [r for r in rows if isinstance(r, dict) and r.get("ic_code") in IC_CODES]


def alerts(session: Session, *, group_by: str, threshold_: int,
           start_from: datetime | None = None, start_to: datetime | None = None) -> dict:
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}")
    counts: dict[str, dict[str, int]] = {}
    counted = without = 0
    missing = {m: 0 for m in MEASURES}
    summed = Figures()
    for rec in outcome_records(session, start_from, start_to):
        summed.add(rec)
        rows = _ic_rows(rec.pdr)
        for m in MEASURES:
            if rows is None or not any(_is_count(row.get(m)) for row in rows):
                missing[m] += 1
        if rows is None:
            without += 1
            continue
        counted += 1
        for row in rows:
            group = {"ic_code": row["ic_code"], "year": rec.year, "borough": rec.borough}[group_by]
            cell = counts.setdefault(group, {m: 0 for m in MEASURES})
            for m in MEASURES:
                value = row.get(m)
                cell[m] += value if _is_count(value) else 0
    groups = list(IC_CODES) if group_by == "ic_code" else sorted(counts, key=str.casefold)
    table = suppress(groups, counts, threshold_)

    def cell(value):
        return {"suppressed": True} if value is SUPPRESSED else value

    return {
        "from": isoformat(start_from) if start_from else None,
        "to": isoformat(start_to) if start_to else None,
        "group_by": group_by,
        "measures": list(MEASURES),
        "deployments": counted,
        "deployments_without_ic_breakdown": without,
        "not_recorded": missing,
        "suppression": {"threshold": threshold_, "rule": RULE.format(t=threshold_)},
        "rows": [{"group": g, "label": IC_CODE_LABELS.get(g, g) if group_by == "ic_code" else g,
                  **{m: cell(table.cells[g][m]) for m in MEASURES}} for g in groups],
        "total": {m: cell(table.totals[m]) for m in MEASURES},
        # Published per deployment in the grid already: totals need no suppression.
        "figures": summed.as_dict(),
    }


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Figures:
    """Totals of the grid figures over the deployments that recorded them, and per
    measure the number of deployments that did not."""

    def __init__(self) -> None:
        self.deployments = 0
        self.totals = {m: 0 for m in FIGURES}
        self.not_recorded = {m: 0 for m in (*FIGURES, *SETTINGS)}

    def add(self, rec: "OutcomeRecord") -> None:
        self.deployments += 1
        for m in FIGURES:
            value = rec.pdr.get(m)
            if m == "duration_minutes" and value is None:
                value = derived_duration_minutes(rec.pdr)
            if _is_count(value):
                self.totals[m] += value
            else:
                self.not_recorded[m] += 1
        for m, value in (("use_case", rec.use_case), ("watchlist_size", rec.watchlist_size),
                         ("match_threshold", rec.threshold)):
            self.not_recorded[m] += value is None

    def as_dict(self) -> dict:
        return {"deployments": self.deployments, "totals": dict(self.totals),
                "not_recorded": dict(self.not_recorded)}


def _text(value) -> str:
    return CSV_SUPPRESSED if isinstance(value, dict) and value.get("suppressed") else str(value)


def alerts_csv(result: dict) -> str:
    """The table, after ``#`` comment lines saying what it shows (as the chart does)."""
    buf = io.StringIO()
    for line in alerts_chart.csv_comments(result):
        buf.write(f"# {line}\n")
    if "not_recorded" in result:
        buf.write("# Deployments without a figure (not recorded, not counted): " + ", ".join(
            f"{m} {result['not_recorded'][m]}" for m in result["measures"]) + "\n")
    writer = cells.writer(buf)
    writer.writerow([result["group_by"], "label", *result["measures"]])
    for row in result["rows"]:
        writer.writerow([row["group"], row["label"], *(_text(row[m]) for m in result["measures"])])
    writer.writerow(["total", "All", *(_text(result["total"][m]) for m in result["measures"])])
    return buf.getvalue()


def alerts_png(result: dict) -> bytes:
    return alerts_chart.png(result)


def deployment_rows(session: Session, start_from: datetime | None = None,
                    start_to: datetime | None = None,
                    cfg: dict | None = None) -> Iterator[tuple[OutcomeRecord, dict]]:
    """Each deployment with its grid row. The row's text columns pass through the
    disclosure pass (each CIA's censor rules, the name register, the detectors),
    so a location the copies withhold is withheld here too."""
    withheld = redactors.withheld_names(register.names(session))
    rules_of = rules_service.applicable_to_all(session)
    by_cia: dict[str | None, Redactor] = {}
    for rec in outcome_records(session, start_from, start_to):
        if rec.cia_id not in by_cia:
            by_cia[rec.cia_id] = redactors.redactor_for(cfg or {}, withheld=withheld,
                                                        rules=rules_of(rec.cia_id))
        redactor = by_cia[rec.cia_id]
        yield rec, grid.export_row(
            reference=redactor.text(rec.reference or ""), borough=redactor.place(rec.borough or ""),
            location=redactor.place(rec.location or ""),
            use_case=rec.use_case, watchlist_size=rec.watchlist_size, threshold=rec.threshold,
            pdr=rec.pdr, planned_start=rec.planned_start)


def deployments_csv(session: Session, start_from: datetime | None = None,
                    start_to: datetime | None = None, cfg: dict | None = None) -> str:
    """The deployment grid, the layout ``cia import-deployments`` reads back; a figure
    not recorded is a blank cell."""
    buf = io.StringIO()
    writer = cells.DictWriter(buf, fieldnames=list(grid.COLUMNS))
    writer.writeheader()
    for _rec, row in deployment_rows(session, start_from, start_to, cfg):
        writer.writerow(row)
    return buf.getvalue()


_NUMBERS = {"Threshold": float, "False alert rate": float,
            **{c: int for c in ("Watchlist size", *(grid.LABELS[f] for f in grid.COUNT_FIELDS))}}


def deployments_summary(session: Session, start_from: datetime | None = None,
                        start_to: datetime | None = None,
                        cfg: dict | None = None) -> dict:
    """The grid as JSON (blank cells: null) with the totals over recorded figures and,
    per measure, how many deployments did not record it."""
    summed = Figures()
    rows = []
    for rec, row in deployment_rows(session, start_from, start_to, cfg):
        summed.add(rec)
        rows.append({c: (None if v == "" else _NUMBERS.get(c, str)(v)) for c, v in row.items()})
    return {"from": isoformat(start_from) if start_from else None,
            "to": isoformat(start_to) if start_to else None,
            "columns": list(grid.COLUMNS), **summed.as_dict(), "rows": rows}
