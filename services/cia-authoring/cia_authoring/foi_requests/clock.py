"""The statutory clock of FOIA s.10: pure date arithmetic, no database.

- A *working day* (s.10(6)) is any day other than a Saturday, a Sunday,
  Christmas Day, Good Friday or a day that is a bank holiday under the Banking
  and Financial Dealings Act 1971 in *any* part of the United Kingdom. The bank
  holidays come from the ``holidays`` package, the union of its four UK
  subdivisions (England, Northern Ireland, Scotland, Wales), substitute days
  included; a one-off holiday proclaimed for one nation counts too.
- The answer is due "not later than the twentieth working day following the
  date of receipt" (s.10(1)): day 1 is the first working day after receipt.
- A request for clarification (s.1(3)) stops the clock; the date the
  clarification arrives is a new date of receipt.
- A public-interest extension (s.10(3)) adds up to 20 further working days.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

STATUTORY_WORKING_DAYS = 20
MAX_EXTENSION_WORKING_DAYS = 20
DUE_SOON_WORKING_DAYS = 5
UK_SUBDIVISIONS = ("ENG", "NIR", "SCT", "WLS")


@lru_cache(maxsize=64)
def uk_bank_holidays(year: int) -> frozenset[date]:
    """Every day that is a bank holiday somewhere in the UK in ``year``."""
    days: set[date] = set()
    for subdiv in UK_SUBDIVISIONS:
        days.update(holidays.country_holidays("GB", subdiv=subdiv, years=year).keys())
    return frozenset(days)


def is_working_day(day: date) -> bool:
    # Christmas Day and Good Friday are named in s.10(6) on their own; the
    # package lists both for every nation, so the union already holds them.
    return day.weekday() < 5 and day not in uk_bank_holidays(day.year)


def add_working_days(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (``n`` ≥ 0; 0 is ``start`` itself)."""
    if n < 0:
        raise ValueError("n must be 0 or more")
    day = start
    while n:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if ``end`` ≤ ``start``)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def due_on(received_on: date, extension_working_days: int = 0) -> date:
    """The last day for the answer to a request received (or clarified) on ``received_on``."""
    if not 0 <= extension_working_days <= MAX_EXTENSION_WORKING_DAYS:
        raise ValueError(f"an extension is 0 to {MAX_EXTENSION_WORKING_DAYS} working days")
    return add_working_days(received_on, STATUTORY_WORKING_DAYS + extension_working_days)


def due_soon_on(due: date) -> date:
    """When the case is "due soon": ``DUE_SOON_WORKING_DAYS`` working days before ``due``."""
    day, n = due, DUE_SOON_WORKING_DAYS
    while n:
        day -= timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day
