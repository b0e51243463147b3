"""The deployment grid: the per-deployment outcome table the MPS publishes, as
exported by ``GET /api/v1/statistics/deployments`` and read back by
``cia import-deployments`` (pure: no Flask, no SQLAlchemy).

Columns, in order: the published grid (Location, Date, Duration, Use case,
Watchlist size, Threshold, Total alerts, True alerts confirmed / unconfirmed,
False alerts confirmed / unconfirmed, False alert rate, Arrests, Other outcome,
No action, Faces seen), then Reference, Borough, Start time and End time.

On import, headers are matched loosely (case, spaces, brackets: "True alerts
(confirmed)" is ``true_alerts_confirmed``); Reference, Borough, Ward, Start
time and End time are optional, False alert rate is derived and ignored. Per-IC
columns are optional: ``IC1 true alerts``, ``IC1 true alert engagements``,
``IC1 false alerts``, ``IC1 false alert engagements`` and so on for IC1–IC6 and
IC9 (an absent one counts 0). Dates are ``YYYY-MM-DD`` or ``DD/MM/YYYY``, times
``HH:MM`` in London time, durations ``H:MM``, minutes, or ``6h 30m``.
"""
from __future__ import annotations

import hashlib
import json
import re
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

IC_MEASURES = ("true_alerts", "true_alert_engagements", "false_alerts", "false_alert_engagements")
IC_COLUMNS = tuple(f"{code} {m.replace('_', ' ')}" for code in IC_CODES for m in IC_MEASURES)

# PDR count fields and the grid columns that carry them.
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
_ALIASES = {
    "location_name": "location", "site": "location",
    "deployment_date": "date",
    "duration_minutes": "duration", "deployment_duration": "duration",
    "start": "start_time", "end": "end_time",
    "match_threshold": "threshold", "threshold_setting": "threshold",
    "other_action": "other_outcome", "faces": "faces_seen",
    "ref": "reference", "operation_reference": "reference",
}


def normalise_header(name: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    return _ALIASES.get(key, key)


def _key(column: str) -> str:
    return normalise_header(column)


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


def export_row(*, reference: str, borough: str, location: str, use_case: str,
               watchlist_size: int, threshold: float, pdr: dict) -> dict[str, str]:
    """One grid row (column -> text) from an operation's fields and its outcome record."""
    start = _parse_dt(pdr.get("actual_start"))
    end = _parse_dt(pdr.get("actual_end"))
    duration = pdr.get("duration_minutes")
    if duration is None:
        duration = derived_duration_minutes(pdr)
    rate = derived_false_alert_rate(pdr)
    row = {
        "Location": location,
        "Date": _local(start).date().isoformat() if start else "",
        "Duration": format_duration(duration),
        "Use case": USE_CASE_LABELS.get(use_case, use_case),
        "Watchlist size": str(watchlist_size),
        "Threshold": f"{threshold:g}",
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
    """A valid grid row, ready to become a completed operation and its CIA."""
    line: int
    key: str
    reference: str | None
    location: str
    borough: str
    ward: str
    use_case: str
    watchlist_size: int
    threshold: float
    start: datetime
    end: datetime
    pdr: dict = field(default_factory=dict)
    has_ic_breakdown: bool = False


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class BadRow(ValueError):
    pass


def check_header(fieldnames: list[str] | None) -> list[str]:
    """Problems with the header row (missing required columns, unknown IC columns)."""
    if not fieldnames:
        return ["The file is empty or has no header row."]
    keys = {normalise_header(f) for f in fieldnames if f}
    required = [c for c in ("Location", "Date", "Use case", "Watchlist size", "Threshold",
                            *_COUNTS.values()) if _key(c) not in keys]
    problems = []
    if required:
        problems.append("Missing column(s): " + ", ".join(required) + ".")
    if _key("Duration") not in keys and _key("End time") not in keys:
        problems.append("Missing column: Duration (or End time).")
    known = {_key(c) for c in (*COLUMNS, *IC_COLUMNS, "Ward")}
    unknown = sorted(f for f in fieldnames if f and normalise_header(f) not in known)
    if unknown:
        problems.append("Unknown column(s): " + ", ".join(unknown) + ".")
    return problems


def parse_row(raw: dict[str, str | None], line: int) -> Record:
    """A validated ``Record``, or ``BadRow`` naming every problem of the row."""
    row = {normalise_header(k): (v or "").strip() for k, v in raw.items() if k}
    problems: list[str] = []

    def text(column: str, required: bool = True, max_len: int = 200) -> str:
        value = row.get(_key(column), "")
        if required and not value:
            problems.append(f"{column}: required.")
        elif len(value) > max_len:
            problems.append(f"{column}: at most {max_len} characters.")
        return value

    def count(column: str, required: bool = True) -> int | None:
        value = row.get(_key(column), "").replace(",", "")
        if not value:
            if required:
                problems.append(f"{column}: required.")
            return None if required else 0
        if not re.fullmatch(r"\d+", value):
            problems.append(f"{column}: {value!r} is not a whole number of 0 or more.")
            return None
        return int(value)

    location = text("Location")
    borough = text("Borough", required=False) or "Not recorded"
    ward = text("Ward", required=False) or "Not recorded"
    reference = text("Reference", required=False, max_len=32) or None
    if reference and not re.fullmatch(REFERENCE_PATTERN.strip("^$"), reference):
        problems.append(f"Reference: {reference!r} does not look like LFR-2019-0001.")
    day = _parse_date(text("Date"), problems)
    start_t = _parse_time("Start time", row.get(_key("Start time"), ""), problems)
    end_t = _parse_time("End time", row.get(_key("End time"), ""), problems)
    duration = _parse_duration(row.get(_key("Duration"), ""), problems)
    use_case = _parse_use_case(text("Use case"), problems)
    watchlist = count("Watchlist size")
    threshold = _parse_threshold(text("Threshold"), problems)
    counts = {name: count(column) for name, column in _COUNTS.items()}

    ic_rows, has_ic = [], any(k.startswith("ic") and k[2:3].isdigit() and row.get(k)
                              for k in row)
    if has_ic:
        for code in IC_CODES:
            entry: dict[str, Any] = {"ic_code": code}
            for m in IC_MEASURES:
                entry[m] = count(f"{code} {m.replace('_', ' ')}", required=False)
            ic_rows.append(entry)

    start = end = None
    if day is not None:
        local_start = datetime.combine(day, start_t or time(0, 0), tzinfo=LONDON)
        start = local_start.astimezone(timezone.utc)
        if end_t is not None:
            local_end = datetime.combine(day, end_t, tzinfo=LONDON)
            if local_end <= local_start:
                local_end = datetime.combine(day + timedelta(days=1), end_t, tzinfo=LONDON)
            end = local_end.astimezone(timezone.utc)
            if duration is not None and abs((end - start).total_seconds() / 60 - duration) > 1:
                problems.append(f"Duration: {format_duration(duration)} does not match the start "
                                f"and end times ({format_duration(round((end - start).total_seconds() / 60))}).")
        elif duration is not None:
            if duration <= 0:
                problems.append("Duration: must be more than zero.")
            else:
                end = start + timedelta(minutes=duration)
        elif not problems:
            problems.append("Duration: required (or an End time).")

    if problems:
        raise BadRow(" ".join(problems))

    pdr: dict[str, Any] = {
        "actual_start": start.isoformat(),
        "actual_end": end.isoformat(),
        "duration_minutes": round((end - start).total_seconds() / 60),
        **counts,
    }
    if has_ic:
        pdr["ic_breakdown"] = ic_rows
    # The outcome record must pass the same rules as one entered through the API;
    # without per-IC columns there is no breakdown to check (it was not collated).
    errors = PostDeploymentReviewSchema().validate(pdr, partial=() if has_ic else ("ic_breakdown",))
    if errors:
        raise BadRow(" ".join(_describe_errors(errors)))
    key = identity_key(reference, day, start_t, location, borough)
    return Record(line=line, key=key, reference=reference, location=location, borough=borough,
                  ward=ward, use_case=use_case, watchlist_size=watchlist, threshold=threshold,
                  start=start, end=end, pdr=pdr, has_ic_breakdown=has_ic)


def identity_key(reference: str | None, day: date, start: time | None, location: str,
                 borough: str) -> str:
    """The same deployment gives the same key, whichever file or source it came from."""
    if reference:
        ident: list = ["ref", reference.upper()]
    else:
        ident = ["site", day.isoformat(), start.strftime("%H:%M") if start else "",
                 " ".join(location.casefold().split()), " ".join(borough.casefold().split())]
    return hashlib.sha256(json.dumps(ident).encode()).hexdigest()


_FIELD_COLUMNS = {**_COUNTS, "actual_start": "Date/Start time", "actual_end": "End time",
                  "duration_minutes": "Duration", "ic_breakdown": "IC columns"}


def _describe_errors(errors: Any, prefix: str = "") -> list[str]:
    """marshmallow's error dict as "Column: message" sentences."""
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
                name = f"{_FIELD_COLUMNS.get(k, k.replace('_', ' '))}: "
            out.extend(_describe_errors(v, name))
    elif isinstance(errors, (list, tuple)):
        for item in errors:
            out.extend(_describe_errors(item, prefix))
    else:
        out.append(f"{prefix}{errors}")
    return out


def _parse_date(value: str, problems: list[str]) -> date | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            pass
    problems.append(f"Date: {value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY).")
    return None


def _parse_time(column: str, value: str, problems: list[str]) -> time | None:
    if not value:
        return None
    m = re.fullmatch(r"(\d{1,2})[:.](\d{2})", value)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        problems.append(f"{column}: {value!r} is not a time (HH:MM).")
        return None
    return time(int(m.group(1)), int(m.group(2)))


def _parse_duration(value: str, problems: list[str]) -> int | None:
    if not value:
        return None
    v = value.strip().lower()
    if re.fullmatch(r"\d+", v):
        return int(v)
    m = re.fullmatch(r"(\d+):(\d{2})", v)
    if m and int(m.group(2)) < 60:
        return int(m.group(1)) * 60 + int(m.group(2))
    m = re.fullmatch(r"(?:(\d+(?:\.\d+)?)\s*(?:h|hr|hrs|hour|hours))?\s*"
                     r"(?:(\d+)\s*(?:m|min|mins|minute|minutes))?", v)
    if m and (m.group(1) or m.group(2)):
        return round(float(m.group(1) or 0) * 60) + int(m.group(2) or 0)
    problems.append(f"Duration: {value!r} is not a duration (H:MM, minutes, or 6h 30m).")
    return None


def _parse_use_case(value: str, problems: list[str]) -> str | None:
    if not value:
        return None
    v = value.strip().lower()
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
    problems.append(f"Use case: {value!r} is not one of crime hotspot, event, critical national "
                    "infrastructure.")
    return None


def _parse_threshold(value: str, problems: list[str]) -> float | None:
    if not value:
        return None
    try:
        t = float(value)
    except ValueError:
        t = -1.0
    if not 0 <= t <= 1:
        problems.append(f"Threshold: {value!r} is not a number from 0 to 1.")
        return None
    return t
