"""How promptly requests are answered, per month of receipt (the ICO monitors
authorities answering fewer than 90% within 20 working days).

A case counts in the month it was received (or, after a clarification, when the
clock started again). ``within_20_working_days`` ignores extensions (the ICO's
measure); ``within_deadline`` allows a s.10(3) extension. The share is taken of
the cases whose 20 working days are over or that were answered: a case still in
time and unanswered says nothing yet.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_authoring.foi_requests.models import SENT, FoiRequest

ICO_THRESHOLD_PERCENT = 90.0


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _empty(month: str) -> dict:
    return {"month": month, "received": 0, "answered": 0, "within_20_working_days": 0,
            "within_deadline": 0, "answered_late": 0, "open_overdue": 0, "open_in_time": 0}


def _finish(row: dict) -> dict:
    measured = row["answered"] + row["open_overdue"]
    share = round(100.0 * row["within_20_working_days"] / measured, 1) if measured else None
    return {**row, "percent_within_20_working_days": share,
            "below_ico_threshold": share is not None and share < ICO_THRESHOLD_PERCENT}


def report(session: Session, start: date | None, end: date | None, today: date) -> dict:
    query = sa.select(FoiRequest.clock_started_on, FoiRequest.state, FoiRequest.statutory_due_on,
                      FoiRequest.within_statutory_period, FoiRequest.within_deadline)
    if start:
        query = query.where(FoiRequest.clock_started_on >= start)
    if end:
        query = query.where(FoiRequest.clock_started_on <= end)
    months: dict[str, dict] = {}
    total = _empty("total")
    for r in session.execute(query):
        for row in (months.setdefault(_month(r.clock_started_on), _empty(_month(r.clock_started_on))),
                    total):
            row["received"] += 1
            if r.state == SENT:
                row["answered"] += 1
                row["within_20_working_days"] += bool(r.within_statutory_period)
                row["within_deadline"] += bool(r.within_deadline)
                row["answered_late"] += not r.within_deadline
            elif today > r.statutory_due_on:
                row["open_overdue"] += 1
            else:
                row["open_in_time"] += 1
    return {"from": start, "to": end, "ico_threshold_percent": ICO_THRESHOLD_PERCENT,
            "months": [_finish(months[m]) for m in sorted(months)], "total": _finish(total)}
