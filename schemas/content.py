"""The content of a Community Impact Assessment (DESIGN.md §2, 13 sections).

Every leaf field carries its disclosure class (``open`` / ``s40`` / ``s31``) in
its metadata, through :func:`cia_schemas.disclosure.field`; the OpenAPI schema
shows it as ``x-disclosure``.

Two validation modes:

- draft: ``validate_draft(content)`` — any subset of the sections and fields,
  but every value present must be valid (``partial=True``);
- submission: ``validate_for_submission(content)`` — everything a reviewer
  needs must be there (all sections but the post-deployment review, a
  non-empty engagement log, one equality entry per protected characteristic).

Both return marshmallow's error dict (empty when valid); turn it into JSON
pointers with :func:`cia_schemas.errors.to_json_pointers`.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .disclosure import OPEN, S31, S40, field
from cia_redaction.ranks import RANK_LABELS, RANKS, rank_at_least  # noqa: F401  (re-exported)

# --------------------------------------------------------------------------
# Enumerations
# --------------------------------------------------------------------------

USE_CASES = ("crime_hotspot", "event_pso", "cni_pso")
USE_CASE_LABELS = {
    "crime_hotspot": "Crime hotspot",
    "event_pso": "Event (public safety operation)",
    "cni_pso": "Critical national infrastructure (public safety operation)",
}

WATCHLIST_CATEGORIES = (
    "wanted_by_courts",
    "suspected_of_offence",
    "bail_conditions",
    "missing_person_at_risk",
    "risk_of_harm",
    "associate",
    "witness",
    "victim",
)
WATCHLIST_CATEGORY_LABELS = {
    "wanted_by_courts": "Wanted by the courts",
    "suspected_of_offence": "Suspected of an offence",
    "bail_conditions": "Subject to bail conditions",
    "missing_person_at_risk": "Missing person at risk",
    "risk_of_harm": "Risk of harm to self or others",
    "associate": "Associate",
    "witness": "Witness",
    "victim": "Victim",
}

TENSION_LEVELS = ("low", "medium", "high")
IMPACT_LEVELS = ("none", "low", "medium", "high")
LIKELIHOOD_LEVELS = ("low", "medium", "high")
PROTECTIVE_MARKINGS = ("OFFICIAL", "OFFICIAL-SENSITIVE")
VERSION_STATUSES = (
    "draft",
    "submitted",
    "changes_requested",
    "approved",
    "superseded",
    "withdrawn",
)

PROTECTED_CHARACTERISTICS = (
    "age",
    "disability",
    "gender_reassignment",
    "marriage_and_civil_partnership",
    "pregnancy_and_maternity",
    "race",
    "religion_or_belief",
    "sex",
    "sexual_orientation",
)
PROTECTED_CHARACTERISTIC_LABELS = {
    "age": "Age",
    "disability": "Disability",
    "gender_reassignment": "Gender reassignment",
    "marriage_and_civil_partnership": "Marriage and civil partnership",
    "pregnancy_and_maternity": "Pregnancy and maternity",
    "race": "Race",
    "religion_or_belief": "Religion or belief",
    "sex": "Sex",
    "sexual_orientation": "Sexual orientation",
}

ENGAGEMENT_BODIES = (
    "independent_advisory_group",
    "safer_neighbourhoods_board",
    "council",
    "community_group",
    "public_meeting",
    "other",
)

IC_CODES = ("IC1", "IC2", "IC3", "IC4", "IC5", "IC6", "IC9")
IC_CODE_LABELS = {
    "IC1": "White – North European",
    "IC2": "White – South European",
    "IC3": "Black",
    "IC4": "Asian – Indian subcontinent",
    "IC5": "Chinese, Japanese, Korean or other South East Asian",
    "IC6": "Arab or North African",
    "IC9": "Unknown",
}

PHONE_PATTERN = r"^\+?[0-9 ()\-]{7,24}$"

_text = validate.Length(min=1, max=20000)
_short = validate.Length(min=1, max=500)
_count = validate.Range(min=0)


def utc_convertible(value: datetime) -> None:
    """Refuse a date-time at the calendar's edge that has no UTC equivalent
    (0001-01-01T00:10+13:00): converting it later would fail the request."""
    try:
        value.astimezone(timezone.utc)
    except OverflowError:
        raise ValidationError("Date-time out of range.") from None


def _aware(**kw: Any) -> fields.AwareDateTime:
    # ISO 8601 with an explicit UTC offset; naive date-times are refused.
    return fields.AwareDateTime(format="iso", validate=utc_convertible, **kw)


def _str(disclosure: str, description: str, *, required: bool = False,
         long: bool = True, **kw: Any) -> fields.Field:
    return field(
        fields.String,
        disclosure=disclosure,
        description=description,
        required=required,
        validate=_text if long else _short,
        **kw,
    )


# --------------------------------------------------------------------------
# 1. Header
# --------------------------------------------------------------------------


class HeaderSchema(Schema):
    operation_reference = field(
        fields.String, description="Reference of the LFR operation, e.g. LFR-2026-0042.",
        required=True, validate=validate.Regexp(r"^LFR-\d{4}-\d{4}$"))
    title = _str(OPEN, "Title of the assessment.", required=True, long=False, published=True)
    protective_marking = field(
        fields.String, description="Government Security Classification marking.",
        required=True, validate=validate.OneOf(PROTECTIVE_MARKINGS))
    version = field(fields.Integer, description="Version number of the CIA.",
                    validate=validate.Range(min=1))
    status = field(fields.String, description="Status of this version.",
                   validate=validate.OneOf(VERSION_STATUSES))


# --------------------------------------------------------------------------
# 2. Deployment
# --------------------------------------------------------------------------


class DeploymentSchema(Schema):
    site_description = _str(OPEN, "Description of the deployment site.", required=True,
                            published=True)
    start = field(_aware(required=True), description="Planned start of the deployment (ISO 8601 with offset).")
    end = field(_aware(required=True), description="Planned end of the deployment (ISO 8601 with offset).")
    use_case = field(fields.String, description="MPS use-case category.",
                     required=True, validate=validate.OneOf(USE_CASES))
    location_rationale = _str(S31, "Why this location was chosen (tactical).", required=True)
    camera_positions = field(
        fields.List, fields.String(validate=_short), disclosure=S31,
        description="Positions of the LFR cameras.", required=True)
    operational_timings = _str(
        S31, "Operational timings not yet public (briefing, set-up, stand-down).")
    signage_and_notice_plan = _str(OPEN, "Signage and public notice plan.", required=True,
                                   published=True)

    @validates_schema
    def _end_after_start(self, data, **kwargs):
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            raise ValidationError("End must be after start.", field_name="end")


# --------------------------------------------------------------------------
# 3. Legal basis and proportionality
# --------------------------------------------------------------------------


class AlternativeSchema(Schema):
    alternative = _str(OPEN, "A less intrusive alternative that was considered.", required=True)
    reason_rejected = _str(OPEN, "Why it was rejected.", required=True)


class LegalBasisSchema(Schema):
    legal_framework = _str(OPEN, "Legal framework relied on (common law, DPA 2018, HRA 1998...).")
    legitimate_aim = _str(OPEN, "The legitimate aim pursued.", required=True)
    necessity = _str(OPEN, "Why the deployment is necessary.", required=True)
    proportionality = _str(OPEN, "Why the deployment is proportionate.", required=True)
    alternatives_considered = field(
        fields.List, fields.Nested(AlternativeSchema),
        description="Less intrusive alternatives considered and why they were rejected.",
        required=True)


# --------------------------------------------------------------------------
# 4. Intelligence case (s31)
# --------------------------------------------------------------------------


class IntelligenceCaseSchema(Schema):
    summary = _str(S31, "Summary of the intelligence case.", required=True)
    key_points = field(fields.List, fields.String(validate=_text), disclosure=S31,
                       description="Key points of the intelligence picture.")
    assessed_on = field(fields.Date, disclosure=S31,
                        description="Date the intelligence was assessed.")


# --------------------------------------------------------------------------
# 5. Watchlist
# --------------------------------------------------------------------------


class WatchlistCategoryCountSchema(Schema):
    category = field(fields.String, disclosure=S31, description="Watchlist category.",
                     required=True, validate=validate.OneOf(WATCHLIST_CATEGORIES))
    count = field(fields.Integer, disclosure=S31, description="Number of images in the category.",
                  required=True, validate=_count)


class WatchlistSchema(Schema):
    size = field(fields.Integer, description="Number of images on the watchlist.",
                 required=True, validate=_count)
    categories = field(
        fields.List, fields.String(validate=validate.OneOf(WATCHLIST_CATEGORIES)),
        disclosure=S31, description="Categories the watchlist draws on.", required=True)
    category_counts = field(
        fields.List, fields.Nested(WatchlistCategoryCountSchema), disclosure=S31,
        description="Watchlist composition by category.")
    composition_rationale = _str(S31, "Rationale for the watchlist composition.", required=True)
    last_reviewed = field(fields.Date, description="Date the watchlist was last reviewed.",
                          required=True)

    @validates_schema
    def _composition(self, data, **kwargs):
        errors: dict[str, list[str]] = {}
        cats = data.get("categories")
        if cats is not None and len(set(cats)) != len(cats):
            errors["categories"] = ["Categories must not repeat."]
        counts = data.get("category_counts")
        if counts is not None:
            seen = [c.get("category") for c in counts]
            if len(set(seen)) != len(seen):
                errors.setdefault("category_counts", []).append(
                    "Each category may appear only once.")
            size = data.get("size")
            if size is not None and any(c.get("count", 0) > size for c in counts):
                errors.setdefault("category_counts", []).append(
                    "A category count cannot exceed the watchlist size.")
            if cats is not None and not {s for s in seen if s} <= set(cats):
                errors.setdefault("category_counts", []).append(
                    "Counts are given for categories not listed in categories.")
        if errors:
            raise ValidationError(errors)


# --------------------------------------------------------------------------
# 6. Area profile
# --------------------------------------------------------------------------


class EthnicityShareSchema(Schema):
    group = _str(OPEN, "Census ethnic group.", required=True, long=False)
    percent = field(fields.Float, description="Share of the population, in percent.",
                    required=True, validate=validate.Range(min=0, max=100))


class AreaProfileSchema(Schema):
    area_name = _str(OPEN, "Ward / borough the profile describes.", required=True, long=False,
                     published=True)
    census_source = _str(OPEN, "Source of the census figures.", long=False)
    ethnicity_mix = field(fields.List, fields.Nested(EthnicityShareSchema),
                          description="Census ethnicity mix (group, percent).", required=True)
    recent_incidents = _str(OPEN, "Recent incidents relevant to the community.")
    tension_level = field(fields.String, description="Community tension level.",
                          required=True, validate=validate.OneOf(TENSION_LEVELS))
    tension_narrative = _str(OPEN, "Narrative on community tension.", required=True)
    local_context = _str(OPEN, "Local context.")
    national_context = _str(OPEN, "National context.")

    @validates_schema
    def _shares(self, data, **kwargs):
        mix = data.get("ethnicity_mix")
        if mix:
            total = sum(e.get("percent", 0) for e in mix)
            if total > 100.5:
                raise ValidationError(
                    f"Ethnicity shares add up to {total:g}%, more than 100%.",
                    field_name="ethnicity_mix")


# --------------------------------------------------------------------------
# 7. Engagement log
# --------------------------------------------------------------------------


class EngagementSchema(Schema):
    date = field(fields.Date, description="Date of the engagement.", required=True)
    body = field(fields.String, description="Kind of body engaged.", required=True,
                 validate=validate.OneOf(ENGAGEMENT_BODIES))
    body_name = _str(OPEN, "Name of the body or meeting.", required=True, long=False)
    summary = _str(OPEN, "Summary of the discussion.", required=True)
    outcome = _str(OPEN, "Outcome / actions agreed.")
    contact_name = _str(S40, "Contact person at the body.", long=False, person_name=True)
    contact_role = _str(OPEN, "Role of the contact person.", long=False)
    contact_email = field(fields.Email, disclosure=S40, description="Contact's e-mail address.")
    contact_phone = field(fields.String, disclosure=S40, description="Contact's phone number.",
                          validate=validate.Regexp(PHONE_PATTERN))


# --------------------------------------------------------------------------
# 8. Community sentiment
# --------------------------------------------------------------------------


class CommunitySentimentSchema(Schema):
    summary = _str(OPEN, "Summary of community sentiment.", required=True)
    anticipated_opposition = _str(OPEN, "Anticipated opposition.", required=True)
    protest_expected = field(fields.Boolean, description="Whether protest is anticipated.",
                             required=True)
    protest_details = _str(OPEN, "Anticipated protest and how it will be facilitated.")


# --------------------------------------------------------------------------
# 9. Equality impacts
# --------------------------------------------------------------------------


class EqualityImpactEntrySchema(Schema):
    characteristic = field(fields.String, description="Protected characteristic (Equality Act 2010).",
                           required=True, validate=validate.OneOf(PROTECTED_CHARACTERISTICS))
    impact = field(fields.String, description="Assessed impact level.", required=True,
                   validate=validate.OneOf(IMPACT_LEVELS))
    narrative = _str(OPEN, "Assessment narrative.", required=True)
    mitigations = _str(OPEN, "Mitigations.")


class EqualityImpactsSchema(Schema):
    eia_reference = _str(OPEN, "Reference of the Equality Impact Assessment.", required=True, long=False)
    dpia_reference = _str(OPEN, "Reference of the Data Protection Impact Assessment.", required=True, long=False)
    entries = field(fields.List, fields.Nested(EqualityImpactEntrySchema),
                    description="One entry per protected characteristic.", required=True)

    @validates_schema
    def _entries(self, data, partial=None, **kwargs):
        entries = data.get("entries")
        if entries is None:
            return
        chars = [e.get("characteristic") for e in entries]
        dupes = sorted({c for c in chars if c and chars.count(c) > 1})
        errors = []
        if dupes:
            errors.append("Duplicate characteristics: " + ", ".join(dupes) + ".")
        if not partial:
            missing = [c for c in PROTECTED_CHARACTERISTICS if c not in chars]
            if missing:
                errors.append("An entry is required for every protected characteristic; "
                              "missing: " + ", ".join(missing) + ".")
        if errors:
            raise ValidationError(errors, field_name="entries")


# --------------------------------------------------------------------------
# 10. Risks
# --------------------------------------------------------------------------


class RiskSchema(Schema):
    risk = _str(OPEN, "The risk.", required=True)
    likelihood = field(fields.String, description="Likelihood.", required=True,
                       validate=validate.OneOf(LIKELIHOOD_LEVELS))
    impact = field(fields.String, description="Impact.", required=True,
                   validate=validate.OneOf(LIKELIHOOD_LEVELS))
    mitigation = _str(OPEN, "Mitigation.", required=True)
    owner = _str(S40, "Risk owner (name).", required=True, long=False, person_name=True)
    owner_role = _str(OPEN, "Role of the risk owner.", long=False)
    due_date = field(fields.Date, description="Date the mitigation is due.")


# --------------------------------------------------------------------------
# 11. Communications
# --------------------------------------------------------------------------


class CommunicationsSchema(Schema):
    plan = _str(OPEN, "Communications plan.", required=True)
    press_lines = field(fields.List, fields.String(validate=_text),
                        description="Agreed press lines.")
    leaflets = _str(OPEN, "Leaflets and printed material.")
    social_media = _str(OPEN, "Social-media plan.")


# --------------------------------------------------------------------------
# 12. Sign-off
# --------------------------------------------------------------------------


class SignatorySchema(Schema):
    name = _str(S40, "Name of the signatory (released when the rank is at or above the cut-off).",
                required=True, long=False, rank_exempt_field="rank")
    rank = field(fields.String, description="Police rank (police_staff for civilian staff).",
                 required=True, validate=validate.OneOf(RANKS))
    role = _str(OPEN, "Role in the operation.", long=False)
    email = field(fields.Email, disclosure=S40, description="E-mail address.", required=True)
    phone = field(fields.String, disclosure=S40, description="Phone number.",
                  validate=validate.Regexp(PHONE_PATTERN))
    signed_at = field(_aware(), description="When the signatory signed off.")


class SignOffSchema(Schema):
    author = field(fields.Nested, SignatorySchema, description="Author of the CIA.", required=True)
    community_lead = field(fields.Nested, SignatorySchema,
                           description="Community lead (bronze community officer).", required=True)
    authorising_officer = field(fields.Nested, SignatorySchema,
                                description="Authorising officer.", required=True)


# --------------------------------------------------------------------------
# 13. Post-deployment review
# --------------------------------------------------------------------------


class IcBreakdownSchema(Schema):
    ic_code = field(fields.String, description="IC code (perceived ethnicity).", required=True,
                    validate=validate.OneOf(IC_CODES))
    true_alerts = field(fields.Integer, description="True alerts.", required=True, validate=_count)
    true_alert_engagements = field(fields.Integer, description="Engagements after true alerts.",
                                   required=True, validate=_count)
    false_alerts = field(fields.Integer, description="False alerts.", required=True, validate=_count)
    false_alert_engagements = field(fields.Integer, description="Engagements after false alerts.",
                                    required=True, validate=_count)

    @validates_schema
    def _engagements(self, data, **kwargs):
        errors = {}
        for kind in ("true", "false"):
            alerts, eng = data.get(f"{kind}_alerts"), data.get(f"{kind}_alert_engagements")
            if alerts is not None and eng is not None and eng > alerts:
                errors[f"{kind}_alert_engagements"] = [
                    f"Engagements ({eng}) cannot exceed {kind} alerts ({alerts})."]
        if errors:
            raise ValidationError(errors)


_PDR_COUNTS = (
    "total_alerts", "true_alerts_confirmed", "true_alerts_unconfirmed",
    "false_alerts_confirmed", "false_alerts_unconfirmed",
)


class PostDeploymentReviewSchema(Schema):
    actual_start = field(_aware(required=True), description="Actual start of the deployment.")
    actual_end = field(_aware(required=True), description="Actual end of the deployment.")
    duration_minutes = field(fields.Integer, description="Duration in minutes (must match start/end).",
                             validate=_count)
    faces_seen = field(fields.Integer, description="Estimated number of faces seen.",
                       required=True, validate=_count)
    total_alerts = field(fields.Integer, description="Total alerts.", required=True, validate=_count)
    true_alerts_confirmed = field(fields.Integer, description="True alerts, confirmed.",
                                  required=True, validate=_count)
    true_alerts_unconfirmed = field(fields.Integer, description="True alerts, unconfirmed.",
                                    required=True, validate=_count)
    false_alerts_confirmed = field(fields.Integer, description="False alerts, confirmed.",
                                   required=True, validate=_count)
    false_alerts_unconfirmed = field(fields.Integer, description="False alerts, unconfirmed.",
                                     required=True, validate=_count)
    false_alert_rate = field(
        fields.Float, dump_only=True,
        description="Derived: false alerts / faces seen. Not accepted as input.")
    arrests = field(fields.Integer, description="Outcome: arrests.", required=True, validate=_count)
    other_action = field(fields.Integer, description="Outcome: other action.", required=True,
                         validate=_count)
    no_action = field(fields.Integer, description="Outcome: no action.", required=True,
                      validate=_count)
    ic_breakdown = field(fields.List, fields.Nested(IcBreakdownSchema),
                         description="Alerts and engagements per IC code.", required=True)
    community_feedback = _str(OPEN, "Community feedback after the deployment.")
    complaints_received = field(fields.Integer, description="Number of complaints received.",
                                validate=_count)
    complaints_summary = _str(OPEN, "Summary of complaints.")
    lessons_learned = _str(OPEN, "Lessons learned.")

    @validates_schema
    def _consistency(self, data, **kwargs):
        errors: dict[str, list[str]] = {}

        def err(name: str, msg: str) -> None:
            errors.setdefault(name, []).append(msg)

        start, end = data.get("actual_start"), data.get("actual_end")
        if start and end:
            if end <= start:
                err("actual_end", "Actual end must be after actual start.")
            elif data.get("duration_minutes") is not None:
                expected = derived_duration_minutes(data)
                if abs(data["duration_minutes"] - expected) > 1:
                    err("duration_minutes",
                        f"Duration {data['duration_minutes']} min does not match actual start/end "
                        f"({expected} min).")

        true_total = _sum(data, "true_alerts_confirmed", "true_alerts_unconfirmed")
        false_total = _sum(data, "false_alerts_confirmed", "false_alerts_unconfirmed")
        total = data.get("total_alerts")
        if true_total is not None and false_total is not None and total is not None:
            if true_total + false_total != total:
                err("total_alerts",
                    f"True alerts ({true_total}) + false alerts ({false_total}) must equal "
                    f"total alerts ({total}).")

        rows = data.get("ic_breakdown")
        engagements = None
        if rows is not None:
            codes = [r.get("ic_code") for r in rows]
            if len(set(codes)) != len(codes):
                err("ic_breakdown", "Each IC code may appear only once.")
            ic_true = sum(r.get("true_alerts", 0) for r in rows)
            ic_false = sum(r.get("false_alerts", 0) for r in rows)
            engagements = sum(r.get("true_alert_engagements", 0)
                              + r.get("false_alert_engagements", 0) for r in rows)
            if true_total is not None and ic_true != true_total:
                err("ic_breakdown",
                    f"True alerts per IC code add up to {ic_true}, but true alerts "
                    f"(confirmed + unconfirmed) are {true_total}.")
            if false_total is not None and ic_false != false_total:
                err("ic_breakdown",
                    f"False alerts per IC code add up to {ic_false}, but false alerts "
                    f"(confirmed + unconfirmed) are {false_total}.")

        outcomes = _sum(data, "arrests", "other_action", "no_action")
        if outcomes is not None:
            limit, what = (engagements, "engagements") if engagements is not None else (total, "total alerts")
            if limit is not None and outcomes > limit:
                err("arrests",
                    f"Outcomes (arrests + other action + no action = {outcomes}) cannot exceed "
                    f"{what} ({limit}).")

        faces = data.get("faces_seen")
        if faces is not None and total is not None and total > faces:
            err("total_alerts", f"Total alerts ({total}) cannot exceed faces seen ({faces}).")

        if errors:
            raise ValidationError(errors)


def _sum(data: dict, *names: str) -> int | None:
    values = [data.get(n) for n in names]
    if any(v is None for v in values):
        return None
    return sum(values)


def _parse_dt(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def derived_duration_minutes(pdr: dict) -> int | None:
    """Minutes between ``actual_start`` and ``actual_end`` (loaded or raw ISO)."""
    try:
        start, end = _parse_dt(pdr["actual_start"]), _parse_dt(pdr["actual_end"])
    except (KeyError, TypeError, ValueError):
        return None
    return round((end - start).total_seconds() / 60)


def derived_false_alert_rate(pdr: dict) -> float | None:
    """False alert rate = (false alerts confirmed + unconfirmed) / faces seen.

    Derived, never input. ``None`` when the inputs are missing or no faces were seen.
    """
    try:
        false_alerts = int(pdr["false_alerts_confirmed"]) + int(pdr["false_alerts_unconfirmed"])
        faces = int(pdr["faces_seen"])
    except (KeyError, TypeError, ValueError):
        return None
    if faces <= 0:
        return None
    return false_alerts / faces


# --------------------------------------------------------------------------
# The whole content
# --------------------------------------------------------------------------

SECTIONS = (
    "header",
    "deployment",
    "legal_basis",
    "intelligence_case",
    "watchlist",
    "area_profile",
    "engagement_log",
    "community_sentiment",
    "equality_impacts",
    "risks",
    "communications",
    "sign_off",
    "post_deployment_review",
)
SECTION_TITLES = {
    "header": "Header",
    "deployment": "Deployment",
    "legal_basis": "Legal basis and proportionality",
    "intelligence_case": "Intelligence case",
    "watchlist": "Watchlist",
    "area_profile": "Area profile",
    "engagement_log": "Engagement log",
    "community_sentiment": "Community sentiment",
    "equality_impacts": "Equality impact",
    "risks": "Risks",
    "communications": "Communications",
    "sign_off": "Sign-off",
    "post_deployment_review": "Post-deployment review",
}
SUBMISSION_OPTIONAL_SECTIONS = ("post_deployment_review",)


class CiaContentSchema(Schema):
    """CIA content. Use ``partial=True`` for drafts; full load for submission."""

    header = field(fields.Nested, HeaderSchema, description="1. Header.", required=True)
    deployment = field(fields.Nested, DeploymentSchema, description="2. Deployment.", required=True)
    legal_basis = field(fields.Nested, LegalBasisSchema,
                        description="3. Legal basis and proportionality.", required=True)
    intelligence_case = field(fields.Nested, IntelligenceCaseSchema,
                              description="4. Intelligence case.", required=True)
    watchlist = field(fields.Nested, WatchlistSchema, description="5. Watchlist.", required=True)
    area_profile = field(fields.Nested, AreaProfileSchema, description="6. Area profile.",
                         required=True)
    engagement_log = field(fields.List, fields.Nested(EngagementSchema),
                           description="7. Engagement log.", required=True)
    community_sentiment = field(fields.Nested, CommunitySentimentSchema,
                                description="8. Community sentiment.", required=True)
    equality_impacts = field(fields.Nested, EqualityImpactsSchema,
                             description="9. Equality impact.", required=True)
    risks = field(fields.List, fields.Nested(RiskSchema), description="10. Risks.", required=True)
    communications = field(fields.Nested, CommunicationsSchema, description="11. Communications.",
                           required=True)
    sign_off = field(fields.Nested, SignOffSchema, description="12. Sign-off.", required=True)
    post_deployment_review = field(fields.Nested, PostDeploymentReviewSchema,
                                   description="13. Post-deployment review (after the deployment).")

    @validates_schema(skip_on_field_errors=False)
    def _submission_completeness(self, data, partial=None, **kwargs):
        if partial:
            return
        log = data.get("engagement_log")
        if log is not None and len(log) == 0:
            raise ValidationError("At least one engagement is required for submission.",
                                  field_name="engagement_log")


@functools.cache
def content_schema() -> CiaContentSchema:
    """One shared instance: building a schema copies every nested field, and a
    built schema holds no per-call state, so threads may share it."""
    return CiaContentSchema()


def validate_draft(content: Any) -> dict:
    """Errors for a draft: any subset of fields, every present value valid."""
    return content_schema().validate(content, partial=True)


def validate_for_submission(content: Any) -> dict:
    """Errors for a submission: every section a reviewer needs must be complete."""
    return content_schema().validate(content)
