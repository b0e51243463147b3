"""Operation (an LFR deployment) and its authorisation."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .content import USE_CASES, WATCHLIST_CATEGORIES, utc_convertible
from cia_redaction.ranks import RANKS, rank_at_least

REFERENCE_PATTERN = r"^LFR-\d{4}-\d{4}$"
DEFAULT_MATCH_THRESHOLD = 0.64
OPERATION_STATUSES = ("planned", "authorised", "deployed", "completed", "cancelled")

_name = validate.Length(min=1, max=200)


class OperationCreateSchema(Schema):
    reference = fields.String(
        required=True, validate=validate.Regexp(REFERENCE_PATTERN, error="Reference must look like LFR-2026-0042."),
        metadata={"description": "Unique operation reference, e.g. LFR-2026-0042.",
                  "example": "LFR-2026-0042"})
    name = fields.String(required=True, validate=_name, metadata={"description": "Operation name."})
    borough = fields.String(required=True, validate=_name, metadata={"description": "Borough."})
    ward = fields.String(required=True, validate=_name, metadata={"description": "Ward."})
    location_name = fields.String(required=True, validate=_name,
                                  metadata={"description": "Public name of the location."})
    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-90, max=90),
                            metadata={"description": "Latitude (WGS 84), optional."})
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-180, max=180),
                             metadata={"description": "Longitude (WGS 84), optional."})
    use_case = fields.String(required=True, validate=validate.OneOf(USE_CASES),
                             metadata={"description": "MPS use-case category."})
    planned_start = fields.AwareDateTime(required=True, format="iso", validate=utc_convertible,
                                         metadata={"description": "Planned start (ISO 8601 with offset)."})
    planned_end = fields.AwareDateTime(required=True, format="iso", validate=utc_convertible,
                                       metadata={"description": "Planned end (ISO 8601 with offset)."})
    # Upper bounds keep the values within the database's integer columns.
    watchlist_size = fields.Integer(required=True, validate=validate.Range(min=0, max=10_000_000),
                                    metadata={"description": "Number of images on the watchlist."})
    watchlist_categories = fields.List(
        fields.String(validate=validate.OneOf(WATCHLIST_CATEGORIES)), required=True,
        validate=validate.Length(min=1),
        metadata={"description": "Categories the watchlist draws on."})
    match_threshold = fields.Float(load_default=DEFAULT_MATCH_THRESHOLD,
                                   validate=validate.Range(min=0, max=1),
                                   metadata={"description": "Face-match threshold (0.64 in MPS practice since mid-2024)."})
    camera_count = fields.Integer(required=True, validate=validate.Range(min=1, max=1000),
                                  metadata={"description": "Number of cameras."})

    @validates_schema
    def _cross(self, data, **kwargs):
        errors: dict[str, list[str]] = {}
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end <= start:
            errors["planned_end"] = ["Planned end must be after planned start."]
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            errors["longitude" if data.get("longitude") is None else "latitude"] = [
                "Give both latitude and longitude, or neither."]
        cats = data.get("watchlist_categories")
        if cats and len(set(cats)) != len(cats):
            errors["watchlist_categories"] = ["Categories must not repeat."]
        if errors:
            raise ValidationError(errors)


class AuthorisationSchema(Schema):
    officer_name = fields.String(required=True, validate=_name,
                                 metadata={"description": "Authorising officer's name."})
    officer_rank = fields.String(required=True, validate=validate.OneOf(RANKS),
                                 metadata={"description": "Authorising officer's rank.", "enum": RANKS})
    collar_number = fields.String(required=True, validate=validate.Length(min=1, max=20),
                                  metadata={"description": "Collar / warrant number."})
    authorised_at = fields.AwareDateTime(required=True, format="iso", validate=utc_convertible,
                                         metadata={"description": "Time of authorisation (ISO 8601 with offset)."})
    authority_reference = fields.String(required=True, validate=validate.Length(min=1, max=100),
                                        metadata={"description": "Reference of the written authority document."})


def authorisation_rank_errors(data: dict, minimum_rank: str = "superintendent") -> dict:
    """Error dict (marshmallow shape) if the officer's rank is below the configured minimum."""
    rank = data.get("officer_rank")
    if rank in RANKS and not rank_at_least(rank, minimum_rank):
        return {"officer_rank": [f"The authorising officer must be of rank {minimum_rank} or above."]}
    return {}
