"""Marshmallow fields and schemas the services' API schemas share."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from marshmallow import Schema, ValidationError, fields

from . import json_input


class DateOrDateTime(fields.Field):
    """``2026-05-01`` or an ISO 8601 date-time; a bare date as an upper bound
    covers that whole day. Naive values are UTC."""

    def __init__(self, *, upper: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.upper = upper

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value).strip().replace(" ", "+")  # a '+' offset arrives as a space
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                moment = datetime.combine(day, time.min, tzinfo=timezone.utc)
                moment = moment + timedelta(days=1) if self.upper else moment
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except (ValueError, OverflowError):  # the day after 9999-12-31 overflows
            raise ValidationError("Not a valid date (YYYY-MM-DD) or ISO 8601 date-time.") from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        out_of_range = json_input.datetime_problem(moment)
        if out_of_range:
            raise ValidationError(out_of_range)
        return moment


class PersonSchema(Schema):
    sub = fields.String(metadata={"description": "Stable user id (token subject)."})
    name = fields.String()
