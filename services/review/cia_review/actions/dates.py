"""Dates and times as a reviewer in the UK reads them on the action page."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    _UK = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # no time-zone database on the host: UTC alone still reads right
    _UK = None


def _parse(value) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def when(moment) -> str:
    """UK local time with its zone, and UTC beside it when they differ (BST)."""
    moment = _parse(moment)
    if moment is None:
        return "—"
    utc = moment.astimezone(timezone.utc)
    if _UK is None:
        return utc.strftime("%a %d %b %Y, %H:%M UTC")
    local = moment.astimezone(_UK)
    text = local.strftime("%a %d %b %Y, %H:%M %Z")
    if local.utcoffset():
        text += utc.strftime(" (%H:%M UTC)")
    return text


def day(value) -> str:
    """``2026-05-14`` → ``Thu 14 May 2026``; anything else as it is."""
    try:
        return date.fromisoformat(str(value)).strftime("%a %d %b %Y")
    except ValueError:
        return str(value)
