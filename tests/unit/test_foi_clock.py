"""The FOIA s.10 clock: the answer is due on the 20th working day after receipt
(day 1 is the first working day after it); weekends, Christmas Day, Good Friday
and a bank holiday in any part of the UK are not working days (s.10(6)).

Every expected date below was worked out by hand from the published UK bank
holidays (gov.uk) of each nation, not from the code under test."""
from __future__ import annotations

from datetime import date

import pytest

from cia_authoring.foi_requests import clock

D = date.fromisoformat

# (received on, due on, what the window crosses)
CASES = [
    ("2026-12-21", "2027-01-22", "Christmas, Boxing Day substitute 28 Dec, New Year, 2 Jan (Scotland) on a Saturday"),
    ("2026-12-24", "2027-01-27", "received Christmas Eve: 25 and 28 Dec, 1 Jan"),
    ("2026-12-25", "2027-01-27", "received on Christmas Day itself"),
    ("2026-12-18", "2027-01-21", "Christmas, 28 Dec substitute, New Year"),
    ("2026-12-01", "2026-12-31", "St Andrew's Day 30 Nov just before; Christmas, 28 Dec"),
    ("2025-12-19", "2026-01-22", "25, 26 Dec, 1 Jan, 2 Jan (Scotland)"),
    ("2025-12-24", "2026-01-27", "25, 26 Dec, 1 Jan, 2 Jan (Scotland)"),
    ("2027-12-23", "2028-01-26", "Christmas and Boxing Day both substituted (27, 28 Dec), 3 Jan and 4 Jan (Scotland)"),
    ("2027-12-10", "2028-01-13", "27, 28 Dec substitutes, 3 Jan, 4 Jan (Scotland)"),
    ("2026-12-31", "2027-02-01", "1 Jan, 4 Jan (Scotland's 2 Jan substitute)"),
    ("2025-12-31", "2026-01-30", "1 Jan, 2 Jan (Scotland)"),
    ("2026-03-10", "2026-04-10", "St Patrick's Day, Good Friday, Easter Monday"),
    ("2026-03-20", "2026-04-21", "Good Friday, Easter Monday"),
    ("2027-03-10", "2027-04-12", "St Patrick's Day, Good Friday 26 Mar, Easter Monday 29 Mar"),
    ("2025-03-14", "2025-04-14", "St Patrick's Day on a Monday"),
    ("2025-04-01", "2025-05-01", "Good Friday 18 Apr, Easter Monday 21 Apr"),
    ("2026-04-20", "2026-05-19", "early May bank holiday"),
    ("2026-05-01", "2026-06-02", "early May and spring bank holidays"),
    ("2026-05-11", "2026-06-09", "spring bank holiday"),
    ("2025-05-02", "2025-06-03", "early May and spring bank holidays 2025"),
    ("2026-06-29", "2026-07-28", "Battle of the Boyne substitute 13 Jul (NI)"),
    ("2025-07-01", "2025-07-30", "Battle of the Boyne substitute 14 Jul (NI)"),
    ("2027-06-28", "2027-07-27", "Battle of the Boyne on 12 Jul (NI)"),
    ("2026-07-20", "2026-08-18", "Scotland's summer bank holiday 3 Aug"),
    ("2026-08-14", "2026-09-14", "August bank holiday 31 Aug (England, Wales, NI)"),
    ("2025-07-25", "2025-08-26", "both August bank holidays: 4 Aug (Scotland), 25 Aug"),
    ("2026-11-16", "2026-12-15", "St Andrew's Day 30 Nov (Scotland)"),
    ("2025-11-20", "2025-12-19", "St Andrew's Day substitute 1 Dec (Scotland)"),
    ("2027-11-15", "2027-12-14", "St Andrew's Day on a Tuesday"),
    ("2026-09-14", "2026-10-12", "no holiday: exactly four weeks"),
    ("2026-10-03", "2026-10-30", "received on a Saturday"),
    ("2027-03-19", "2027-04-20", "Good Friday and Easter Monday 2027"),
]


@pytest.mark.parametrize("received, due, crosses", CASES, ids=[c[0] for c in CASES])
def test_due_on_is_the_twentieth_working_day_after_receipt(received, due, crosses):
    assert clock.due_on(D(received)) == D(due), crosses


def test_at_least_thirty_receipt_dates_are_checked():
    assert len({c[0] for c in CASES}) >= 30


@pytest.mark.parametrize("day, working", [
    ("2026-12-25", False), ("2026-12-28", False), ("2027-01-04", False),  # Scotland only
    ("2026-03-17", False),  # Northern Ireland only
    ("2026-04-06", False),  # Easter Monday: not in Scotland, still not a working day
    ("2026-08-03", False), ("2026-08-31", False), ("2026-11-30", False),
    ("2026-07-13", False), ("2026-07-14", True), ("2026-12-29", True), ("2026-10-03", False),
])
def test_working_days_take_the_union_of_the_four_nations(day, working):
    assert clock.is_working_day(D(day)) is working


def test_extension_adds_working_days_and_is_bounded():
    assert clock.due_on(D("2026-09-14"), 20) == D("2026-11-09")
    assert clock.due_on(D("2026-12-21"), 5) == D("2027-01-29")
    with pytest.raises(ValueError):
        clock.due_on(D("2026-09-14"), 21)


def test_clarification_date_restarts_the_count():
    # A request received 1 Dec and clarified 21 Dec is due as if received 21 Dec.
    assert clock.due_on(D("2026-12-21")) == D("2027-01-22") != clock.due_on(D("2026-12-01"))


def test_due_soon_is_five_working_days_before_and_counts_back_over_holidays():
    assert clock.due_soon_on(D("2026-10-12")) == D("2026-10-05")
    assert clock.due_soon_on(D("2027-01-05")) == D("2026-12-23")  # over 4 Jan, 1 Jan, 28, 25 Dec


def test_working_days_between():
    assert clock.working_days_between(D("2026-12-21"), D("2027-01-22")) == 20
    assert clock.working_days_between(D("2026-12-21"), D("2027-01-25")) == 21
    assert clock.working_days_between(D("2026-12-21"), D("2026-12-21")) == 0
