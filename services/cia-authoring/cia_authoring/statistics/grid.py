"""The deployment grid: the per-deployment outcome table the MPS publishes, as
exported by ``GET /api/v1/statistics/deployments`` and read back by
``cia import-deployments`` (pure: no Flask, no SQLAlchemy).

Export columns, in order: the published grid (Location, Date, Duration, Use
case, Watchlist size, Threshold, Total alerts, True alerts confirmed /
unconfirmed, False alerts confirmed / unconfirmed, False alert rate, Arrests,
Other outcome, No action, Faces seen), then Reference, Borough, Start time and
End time.

On import, a header is matched ignoring case, spaces, dashes and punctuation,
against our export names and the names the MPS publishes under ("Deployment
Location", "LFR Use Case", "Min Threshold Setting", "Outcome – Arrest",
"Faces seen (estimate)", ...; ``HEADERS``). A column matching neither is
reported and ignored. Only Location and Date are required; every other cell
may be blank, which means "not recorded": the figure is left out of the
outcome record (never taken as 0) and exported blank. False alert rate is
derived and ignored. Per-IC columns are optional: ``IC1 true alerts``, ``IC1
true alert engagements``, ``IC1 false alerts``, ``IC1 false alert
engagements`` and so on for IC1–IC6 and IC9; a row with any of them is a
breakdown in which a blank counts 0. Dates are ``DD/MM/YYYY`` or ISO
``YYYY-MM-DD``, times ``HH:MM`` in London time, durations ``H:MM``
(``H:MM:SS``), minutes, or ``6h 30m``.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from cia_schemas.content import (IC_CODES, USE_CASE_LABELS, USE_CASES, PostDeploymentReviewSchema,
                                 derived_duration_minutes, derived_false_alert_rate)
from cia_schemas.operation import REFERENCE_PATTERN

LONDON = ZoneInfo("Europe/London")

GRID_COLUMNS = (
    "Location", "Date", "Duration", "Use case", "Watchlist size", "Threshold", "Total alerts",
    "True alerts confirmed", "True alerts unconfirmed", "False alerts confirmed",
    "False alerts unconfirmed", "False alert rate", "Arrests", "Other outcome", "No action",
    "Faces seen",
)
EXTRA_COLUMNS = ("Reference", "Borough", "Start time", "End time")
COLUMNS = GRID_COLUMNS + EXTRA_COLUMNS

# The headers of the grid as the MPS publishes it (one year's spelling).
PUBLISHED_COLUMNS = (
    "Deployment Location", "Date", "Duration", "LFR Use Case", "Watchlist Size",
    "Min Threshold Setting", "Total Alerts", "True Alerts Confirmed", "True Alerts Unconfirmed",
    "False Alerts Confirmed", "False Alerts Unconfirmed", "False Alert Rate", "Outcome – Arrest",
    "Outcome – Other", "No action", "Faces seen (estimate)",
)

IC_MEASURES = ("true_alerts", "true_alert_engagements", "false_alerts", "false_alert_engagements")
IC_COLUMNS = tuple(f"{code} {m.replace('_', ' ')}" for code in IC_CODES for m in IC_MEASURES)

# PDR count fields and the export columns that carry them.
_COUNTS = {
    "total_alerts": "Total alerts",
    "true_alerts_confirmed": "True alerts confirmed",
    "true_alerts_unconfirmed": "True alerts unconfirmed",
    "false_alerts_confirmed": "False alerts confirmed",
    "false_alerts_unconfirmed": "False alerts unconfirmed",
    "arrests": "Arrests",
    "other_action": "Other outcome",
    "no_action": "No action",
    "faces_seen": "Faces seen",
}
COUNT_FIELDS = tuple(_COUNTS)

# Field -> the names it goes by: our export name first, then the published one,
# then spellings seen in other years' grids and in our own earlier exports.
HEADERS: dict[str, tuple[str, ...]] = {
    "location": ("Location", "Deployment Location", "Location name", "Site"),
    "date": ("Date", "Deployment date"),
    "duration": ("Duration", "Duration minutes", "Deployment duration"),
    "use_case": ("Use case", "LFR Use Case"),
    "watchlist_size": ("Watchlist size",),
    "threshold": ("Threshold", "Min Threshold Setting", "Threshold setting", "Match threshold"),
    "total_alerts": ("Total alerts",),
    "true_alerts_confirmed": ("True alerts confirmed",),
    "true_alerts_unconfirmed": ("True alerts unconfirmed",),
    "false_alerts_confirmed": ("False alerts confirmed",),
    "false_alerts_unconfirmed": ("False alerts unconfirmed",),
    "false_alert_rate": ("False alert rate",),
    "arrests": ("Arrests", "Outcome – Arrest", "Outcome – Arrests"),
    "other_action": ("Other outcome", "Outcome – Other", "Other action"),
    "no_action": ("No action", "Outcome – No action"),
    "faces_seen": ("Faces seen", "Faces seen (estimate)", "Faces"),
    "reference": ("Reference", "Ref", "Operation reference"),
    "borough": ("Borough",),
    "ward": ("Ward",),
    "start_time": ("Start time", "Start"),
    "end_time": ("End time", "End"),
    **{f"{code.lower()}_{m}": (f"{code} {m.replace('_', ' ')}",)
       for code in IC_CODES for m in IC_MEASURES},
}
REQUIRED = ("location", "date")
LABELS = {name: names[0] for name, names in HEADERS.items()}


def _compact(name: str) -> str:
    # Letters and digits only: case, spaces, dashes of any kind and brackets
    # are how one year's grid differs from another's.
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if ch.isalnum() and ch.isascii())


_LOOKUP = {_compact(n): f for f, names in HEADERS.items() for n in (f, *names)}


def match_header(name: str | None) -> str | None:
    """The field a column header names (``"Outcome – Arrest"`` -> ``"arrests"``), or None."""
    if not name:
        return None
    return _LOOKUP.get(_compact(name))


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    return moment.astimezone(LONDON)


def format_duration(minutes: int | None) -> str:
    if minutes is None:
        return ""
    h, m = divmod(int(minutes), 60)
    return f"{h}:{m:02d}"


def export_row(*, reference: str, borough: str, location: str, use_case: str | None,
               watchlist_size: int | None, threshold: float | None, pdr: dict,
               planned_start: datetime | None = None) -> dict[str, str]:
    """One grid row (column -> text) from an operation's fields and its outcome record;
    a figure not recorded (None or absent) is a blank cell."""
    start = _parse_dt(pdr.get("actual_start"))
    end = _parse_dt(pdr.get("actual_end"))
    duration = pdr.get("duration_minutes")
    if duration is None:
        duration = derived_duration_minutes(pdr)
    rate = derived_false_alert_rate(pdr)
    # A record without an actual start (not recorded) is dated by its operation.
    day = start or planned_start
    row = {
        "Location": location,
        "Date": _local(day).date().isoformat() if day else "",
        "Duration": format_duration(duration),
        "Use case": USE_CASE_LABELS.get(use_case, use_case) if use_case else "",
        "Watchlist size": "" if watchlist_size is None else str(watchlist_size),
        "Threshold": "" if threshold is None else f"{threshold:g}",
        "False alert rate": "" if rate is None else f"{rate:.6g}",
        "Reference": reference,
        "Borough": borough,
        "Start time": _local(start).strftime("%H:%M") if start else "",
        "End time": _local(end).strftime("%H:%M") if end else "",
    }
    for name, column in _COUNTS.items():
        value = pdr.get(name)
        row[column] = "" if value is None else str(value)
    return {c: row.get(c, "") for c in COLUMNS}


def _parse_dt(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------


@dataclass
class Record:
    """A valid grid row, ready to become a completed operation and its CIA.

    ``start``/``end`` are the operation's window: the actual start and end when
    the row gives them, else the London day of the deployment. ``pdr`` holds
    only the figures the row records."""
    line: int
    key: str
    reference: str | None
    location: str
    borough: str
    ward: str
    use_case: str | None
    watchlist_size: int | None
    threshold: float | None
    start: datetime
    end: datetime
    pdr: dict = field(default_factory=dict)
    has_ic_breakdown: bool = False
    not_recorded: tuple[str, ...] = ()
    # The key without the reference: the same deployment in a file that gives one
    # (our export) and in one that does not (the published grid).
    site_key: str = ""


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class BadRow(ValueError):
    pass


@dataclass
class Header:
    """What the header row says: per column, the field it carries (None: ignored)."""
    names: list[str]
    fields: list[str | None]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_header(names: list[Any] | None, *, strict: bool = False) -> Header:
    """Match each header to a field. Unknown columns are a warning (an error when
    ``strict``); a missing Location or Date column, or two columns for the same
    field, is an error."""
    texts = ["" if n is None else str(n).strip() for n in (names or [])]
    header = Header(names=texts, fields=[match_header(n) for n in texts])
    if not any(texts):
        header.errors.append("The file is empty or has no header row.")
        return header
    seen: dict[str, str] = {}
    for name, f in zip(texts, header.fields):
        if f is None:
            continue
        if f in seen:
            header.errors.append(f"Columns {seen[f]!r} and {name!r} both give {LABELS[f]}.")
        seen.setdefault(f, name)
    missing = [LABELS[f] for f in REQUIRED if f not in seen]
    if missing:
        header.errors.append("Missing column(s): " + ", ".join(missing) + ".")
    unknown = [n for n, f in zip(texts, header.fields) if n and f is None]
    if unknown:
        message = "Unknown column(s): " + ", ".join(unknown)
        if strict:
            header.errors.append(message + ".")
        else:
            header.warnings.append(message + " (ignored).")
    return header


def parse_row(raw: dict[str, Any], line: int) -> Record:
    """A validated ``Record``, or ``BadRow`` naming every problem of the row.

    ``raw`` maps column headers (any known spelling) to cell text; unknown
    headers are ignored. A blank cell is a figure not recorded."""
    row: dict[str, str] = {}
    label: dict[str, str] = dict(LABELS)
    for k, v in raw.items():
        f = match_header(k)
        if f is not None:
            row[f] = "" if v is None else str(v).strip()
            label[f] = str(k).strip()  # errors name the column as the file does
    problems: list[str] = []

    def text(f: str, required: bool = False, max_len: int = 200) -> str:
        value = row.get(f, "")
        if required and not value:
            problems.append(f"{label[f]}: required.")
        elif len(value) > max_len:
            problems.append(f"{label[f]}: at most {max_len} characters.")
        return value

    def count(f: str) -> int | None:
        value = row.get(f, "").replace(",", "")
        if not value:
            return None
        m = re.fullmatch(r"(\d+)(?:\.0*)?", value)
        if not m:
            problems.append(f"{label[f]}: {row[f]!r} is not a whole number of 0 or more.")
            return None
        return int(m.group(1))

    location = text("location", required=True)
    borough = text("borough") or "Not recorded"
    ward = text("ward") or "Not recorded"
    reference = text("reference", max_len=32) or None
    if reference and not re.fullmatch(REFERENCE_PATTERN.strip("^$"), reference):
        problems.append(f"{label['reference']}: {reference!r} does not look like LFR-2019-0001.")
    day = _parse_date(text("date", required=True), problems, label["date"])
    start_t = _parse_time(label["start_time"], row.get("start_time", ""), problems)
    end_t = _parse_time(label["end_time"], row.get("end_time", ""), problems)
    duration = _parse_duration(row.get("duration", ""), problems, label["duration"])
    use_case = _parse_use_case(row.get("use_case", ""), problems, label["use_case"])
    watchlist = count("watchlist_size")
    threshold = _parse_threshold(row.get("threshold", ""), problems, label["threshold"])
    counts = {name: count(name) for name in COUNT_FIELDS}

    ic_fields = [(code, m, f"{code.lower()}_{m}") for code in IC_CODES for m in IC_MEASURES]
    has_ic = any(row.get(f) for _c, _m, f in ic_fields)
    ic_rows: list[dict[str, Any]] = []
    if has_ic:
        for code in IC_CODES:
            # Within a breakdown a blank cell is 0: the breakdown must add up to the totals.
            ic_rows.append({"ic_code": code, **{m: count(f"{code.lower()}_{m}") or 0
                                                 for m in IC_MEASURES}})

    if duration is not None and duration <= 0:
        problems.append(f"{label['duration']}: must be more than zero.")
        duration = None
    start = end = None
    if day is not None and start_t is not None:
        local_start = datetime.combine(day, start_t, tzinfo=LONDON)
        start = local_start.astimezone(timezone.utc)
        if end_t is not None:
            local_end = datetime.combine(day, end_t, tzinfo=LONDON)
            if local_end <= local_start:
                local_end = datetime.combine(day + timedelta(days=1), end_t, tzinfo=LONDON)
            end = local_end.astimezone(timezone.utc)
            minutes = round((end - start).total_seconds() / 60)
            if duration is not None and abs(minutes - duration) > 1:
                problems.append(f"{label['duration']}: {format_duration(duration)} does not match "
                                f"the start and end times ({format_duration(minutes)}).")
        elif duration is not None:
            end = start + timedelta(minutes=duration)
    elif end_t is not None:
        problems.append(f"{label['end_time']}: needs a {label['start_time']}.")

    if problems:
        raise BadRow(" ".join(problems))

    pdr: dict[str, Any] = {}
    if start is not None:
        pdr["actual_start"] = start.isoformat()
    if end is not None:
        pdr["actual_end"] = end.isoformat()
        pdr["duration_minutes"] = round((end - start).total_seconds() / 60)
    elif duration is not None:
        pdr["duration_minutes"] = duration
    pdr.update({name: value for name, value in counts.items() if value is not None})
    if has_ic:
        pdr["ic_breakdown"] = ic_rows
    # The outcome record must pass the same rules as one entered through the API,
    # for the figures it has; a figure not recorded is left out, not checked.
    absent = tuple(n for n in ("actual_start", "actual_end", *COUNT_FIELDS, "ic_breakdown")
                   if n not in pdr)
    errors = PostDeploymentReviewSchema().validate(pdr, partial=absent)
    if errors:
        raise BadRow(" ".join(_describe_errors(errors, names=label)))
    not_recorded = tuple(f for f, v in (("duration", pdr.get("duration_minutes")),
                                         ("use_case", use_case), ("watchlist_size", watchlist),
                                         ("threshold", threshold), *counts.items()) if v is None)
    day_start = datetime.combine(day, time(0, 0), tzinfo=LONDON).astimezone(timezone.utc)
    day_end = datetime.combine(day + timedelta(days=1), time(0, 0),
                               tzinfo=LONDON).astimezone(timezone.utc)
    key = identity_key(reference, day, start_t, location, borough)
    site_key = identity_key(None, day, start_t, location, borough)
    return Record(line=line, key=key, reference=reference, location=location, borough=borough,
                  ward=ward, use_case=use_case, watchlist_size=watchlist, threshold=threshold,
                  start=start or day_start, end=end or day_end,
                  pdr=pdr, has_ic_breakdown=has_ic, not_recorded=not_recorded,
                  site_key=site_key)


def identity_key(reference: str | None, day: date, start: time | None, location: str,
                 borough: str) -> str:
    """The same deployment gives the same key, whichever file or source it came from."""
    if reference:
        ident: list = ["ref", reference.upper()]
    else:
        ident = ["site", day.isoformat(), start.strftime("%H:%M") if start else "",
                 " ".join(location.casefold().split()), " ".join(borough.casefold().split())]
    return hashlib.sha256(json.dumps(ident).encode()).hexdigest()


_FIELD_COLUMNS = {"actual_start": "start_time", "actual_end": "end_time",
                  "duration_minutes": "duration"}


def _describe_errors(errors: Any, prefix: str = "", names: dict[str, str] | None = None) -> list[str]:
    """marshmallow's error dict as "Column: message" sentences, naming the file's columns."""
    names = names or LABELS
    out = []
    if isinstance(errors, dict):
        for k, v in errors.items():
            if k == "_schema" or k == "ic_breakdown":
                name = prefix if k == "_schema" else "IC columns: "
            elif isinstance(k, int):
                name = (IC_CODES[k] if 0 <= k < len(IC_CODES) else str(k)) + " "
            elif prefix.startswith("IC") and prefix[2:3].isdigit():
                name = f"{prefix}{k.replace('_', ' ')}: "
            else:
                f = _FIELD_COLUMNS.get(k, k)
                name = f"{names.get(f, k.replace('_', ' '))}: "
            out.extend(_describe_errors(v, name, names))
    elif isinstance(errors, (list, tuple)):
        for item in errors:
            out.extend(_describe_errors(item, prefix, names))
    else:
        out.append(f"{prefix}{errors}")
    return out


def _parse_date(value: str, problems: list[str], column: str = "Date") -> date | None:
    if not value:
        return None
    v = value.strip()
    # A spreadsheet's date cell saved as text may carry a midnight time.
    v = re.sub(r"^(\d{4}-\d{2}-\d{2})[ T]00:00(:00)?$", r"\1", v)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(v, fmt).date()
        except ValueError:
            pass
    problems.append(f"{column}: {value!r} is not a date (DD/MM/YYYY or YYYY-MM-DD).")
    return None


def _parse_time(column: str, value: str, problems: list[str]) -> time | None:
    if not value:
        return None
    m = re.fullmatch(r"(\d{1,2})[:.](\d{2})(?::00)?", value)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        problems.append(f"{column}: {value!r} is not a time (HH:MM).")
        return None
    return time(int(m.group(1)), int(m.group(2)))


def _parse_duration(value: str, problems: list[str], column: str = "Duration") -> int | None:
    if not value:
        return None
    v = value.strip().lower()
    if re.fullmatch(r"\d+", v):
        return int(v)
    m = re.fullmatch(r"(\d+):([0-5]\d)(?::([0-5]\d))?", v)
    if m:
        return int(m.group(1)) * 60 + int(m.group(2)) + (1 if int(m.group(3) or 0) >= 30 else 0)
    m = re.fullmatch(r"(?:(\d+(?:\.\d+)?)\s*(?:h|hr|hrs|hour|hours))?\s*"
                     r"(?:(\d+)\s*(?:m|min|mins|minute|minutes))?", v)
    if m and (m.group(1) or m.group(2)):
        return round(float(m.group(1) or 0) * 60) + int(m.group(2) or 0)
    problems.append(f"{column}: {value!r} is not a duration (H:MM, minutes, or 6h 30m).")
    return None


def _parse_use_case(value: str, problems: list[str], column: str = "Use case") -> str | None:
    if not value:
        return None
    v = " ".join(value.strip().lower().split())
    if v in USE_CASES:
        return v
    for code, label in USE_CASE_LABELS.items():
        if v == label.lower():
            return code
    if v.startswith("crime"):
        return "crime_hotspot"
    if v.startswith("event"):
        return "event_pso"
    if v.startswith(("cni", "critical")):
        return "cni_pso"
    problems.append(f"{column}: {value!r} is not one of crime hotspot, event, critical national "
                    "infrastructure.")
    return None


def _parse_threshold(value: str, problems: list[str], column: str = "Threshold") -> float | None:
    if not value:
        return None
    try:
        t = float(value)
    except ValueError:
        t = -1.0
    if not 0 <= t <= 1:
        problems.append(f"{column}: {value!r} is not a number from 0 to 1.")
        return None
    return t
