"""CIA content, operation and event schemas: validation modes, cross-field
rules, JSON-pointer errors, and the disclosure metadata in the OpenAPI schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, ValidationError, fields

from cia_schemas.content import (
    IC_CODES,
    PROTECTED_CHARACTERISTICS,
    RANKS,
    CiaContentSchema,
    derived_false_alert_rate,
    rank_at_least,
    validate_draft,
    validate_for_submission,
)
from cia_schemas.disclosure import DISCLOSURE_CLASSES, DISCLOSURE_KEY, OPEN, RANK_EXEMPT_KEY, S31, S40
from cia_schemas.errors import to_json_pointers
from cia_schemas.events import CloudEventSchema, make_event
from cia_schemas.operation import AuthorisationSchema, OperationCreateSchema, authorisation_rank_errors

from tests.support import planted_content

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture
def content() -> dict:
    return load("cia-content.json")


@pytest.fixture
def pdr() -> dict:
    return load("post-deployment-review.json")


def pointers(errors: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in to_json_pointers(errors):
        out.setdefault(e["pointer"], []).append(e["detail"])
    return out


# ---------------------------------------------------------------- examples


def test_example_content_passes_submission(content):
    assert validate_for_submission(content) == {}
    assert "post_deployment_review" not in content


def test_example_content_with_post_deployment_review_passes(content, pdr):
    assert validate_for_submission({**content, "post_deployment_review": pdr}) == {}


def test_example_operation_and_authorisation_are_valid():
    op = OperationCreateSchema().load(load("operation.json"))
    assert op["reference"] == "LFR-2026-0042"
    auth = AuthorisationSchema().load(load("authorisation.json"))
    assert rank_at_least(auth["officer_rank"], "superintendent")
    assert authorisation_rank_errors(auth) == {}


def test_the_example_reads_like_a_real_cia_and_the_planted_fixture_stays_in_tests(content):
    text = json.dumps(content, ensure_ascii=False)
    for marker in ("S31-", "-S40", "s40.", "S40", "s40@"):
        assert marker not in text, marker
    sign_off = content["sign_off"]
    # Author and community lead below the rank cut-off, the authorising officer at or above.
    assert not rank_at_least(sign_off["author"]["rank"], "superintendent")
    assert not rank_at_least(sign_off["community_lead"]["rank"], "superintendent")
    assert rank_at_least(sign_off["authorising_officer"]["rank"], "superintendent")
    assert sign_off["authorising_officer"]["name"] == load("authorisation.json")["officer_name"]

    planted = planted_content()
    assert validate_for_submission(planted) == {}
    assert "S31-LOCATION-RATIONALE-7731" in json.dumps(planted)
    assert [k for k in planted] == [k for k in content]  # the same sections, in the same order


def test_example_content_matches_operation(content):
    op = load("operation.json")
    assert content["header"]["operation_reference"] == op["reference"]
    assert content["watchlist"]["size"] == op["watchlist_size"]


# ---------------------------------------------------------------- modes


def test_draft_accepts_any_subset():
    assert validate_draft({}) == {}
    assert validate_draft({"deployment": {"site_description": "High street"}}) == {}
    assert validate_draft({"engagement_log": []}) == {}
    assert validate_draft({"equality_impacts": {"entries": [
        {"characteristic": "age", "impact": "low"}]}}) == {}


def test_draft_rejects_invalid_present_values():
    errs = pointers(validate_draft({
        "area_profile": {"tension_level": "extreme"},
        "deployment": {"use_case": "shopping", "start": "not a date"},
        "header": {"operation_reference": "OP-1"},
        "surprise": 1,
    }))
    assert set(errs) >= {"/area_profile/tension_level", "/deployment/use_case",
                         "/deployment/start", "/header/operation_reference", "/surprise"}


def test_submission_requires_sections_but_not_post_deployment_review(content):
    del content["area_profile"]
    del content["sign_off"]["community_lead"]
    content["deployment"].pop("camera_positions")
    errs = pointers(validate_for_submission(content))
    assert set(errs) == {"/area_profile", "/sign_off/community_lead", "/deployment/camera_positions"}
    assert errs["/area_profile"] == ["This field is required."]


def test_submission_requires_non_empty_engagement_log(content):
    content["engagement_log"] = []
    errs = pointers(validate_for_submission(content))
    assert list(errs) == ["/engagement_log"]
    assert validate_draft(content) == {}


def test_submission_requires_all_nine_protected_characteristics(content):
    assert len(PROTECTED_CHARACTERISTICS) == 9
    content["equality_impacts"]["entries"] = [
        e for e in content["equality_impacts"]["entries"] if e["characteristic"] != "race"]
    errs = pointers(validate_for_submission(content))
    assert list(errs) == ["/equality_impacts/entries"]
    assert "race" in errs["/equality_impacts/entries"][0]
    assert validate_draft(content) == {}


def test_duplicate_characteristic_rejected_even_in_draft(content):
    entries = content["equality_impacts"]["entries"]
    entries.append(dict(entries[0]))
    assert "/equality_impacts/entries" in pointers(validate_draft(content))


# ---------------------------------------------------------------- cross-field rules


@pytest.mark.parametrize("end", ["2026-05-14T09:00:00+01:00", "2026-05-14T10:00:00+01:00"])
def test_deployment_end_must_be_after_start(content, end):
    content["deployment"]["end"] = end
    errs = pointers(validate_for_submission(content))
    assert errs == {"/deployment/end": ["End must be after start."]}
    assert pointers(validate_draft({"deployment": {"start": "2026-05-14T10:00:00+01:00", "end": end}})) == errs


def test_naive_datetimes_are_refused(content):
    content["deployment"]["start"] = "2026-05-14T10:00:00"
    assert "/deployment/start" in pointers(validate_for_submission(content))


def test_watchlist_rules(content):
    content["watchlist"]["category_counts"][0]["count"] = 99999
    content["watchlist"]["categories"].append("wanted_by_courts")
    errs = pointers(validate_draft(content))
    assert "/watchlist/category_counts" in errs and "/watchlist/categories" in errs


def test_ethnicity_shares_cannot_exceed_100(content):
    content["area_profile"]["ethnicity_mix"][0]["percent"] = 90
    assert "/area_profile/ethnicity_mix" in pointers(validate_for_submission(content))


def _with_pdr(content, pdr):
    return {**content, "post_deployment_review": pdr}


def test_pdr_actual_end_after_actual_start(content, pdr):
    pdr["actual_end"] = "2026-05-14T10:00:00+01:00"
    pdr.pop("duration_minutes")
    errs = pointers(validate_for_submission(_with_pdr(content, pdr)))
    assert errs == {"/post_deployment_review/actual_end": ["Actual end must be after actual start."]}


def test_pdr_true_plus_false_equals_total(content, pdr):
    pdr["total_alerts"] = 10
    errs = pointers(validate_for_submission(_with_pdr(content, pdr)))
    assert list(errs) == ["/post_deployment_review/total_alerts"]
    assert "must equal total alerts (10)" in errs["/post_deployment_review/total_alerts"][0]


def test_pdr_per_ic_true_alerts_sum_to_total(content, pdr):
    pdr["ic_breakdown"][1]["true_alerts"] = 1  # IC2
    errs = pointers(validate_for_submission(_with_pdr(content, pdr)))
    assert list(errs) == ["/post_deployment_review/ic_breakdown"]
    assert "True alerts per IC code add up to 8" in errs["/post_deployment_review/ic_breakdown"][0]


def test_pdr_per_ic_false_alerts_sum_to_total(content, pdr):
    pdr["false_alerts_confirmed"] = 2
    pdr["total_alerts"] = 10
    errs = pointers(validate_for_submission(_with_pdr(content, pdr)))
    assert list(errs) == ["/post_deployment_review/ic_breakdown"]
    assert "False alerts per IC code add up to 2" in errs["/post_deployment_review/ic_breakdown"][0]


def test_pdr_engagements_cannot_exceed_alerts(content, pdr):
    pdr["ic_breakdown"][2]["false_alert_engagements"] = 2  # IC3 has 1 false alert
    errs = pointers(validate_for_submission(_with_pdr(content, pdr)))
    assert "/post_deployment_review/ic_breakdown/2/false_alert_engagements" in errs


def test_pdr_outcomes_cannot_exceed_engagements(content, pdr):
    pdr["arrests"] = 5
    errs = pointers(validate_for_submission(_with_pdr(content, pdr)))
    assert list(errs) == ["/post_deployment_review/arrests"]


def test_pdr_duplicate_ic_code(content, pdr):
    pdr["ic_breakdown"].append({"ic_code": "IC9", "true_alerts": 0, "true_alert_engagements": 0,
                                "false_alerts": 0, "false_alert_engagements": 0})
    assert "/post_deployment_review/ic_breakdown" in pointers(validate_for_submission(_with_pdr(content, pdr)))


def test_pdr_duration_must_match(content, pdr):
    pdr["duration_minutes"] = 300
    assert list(pointers(validate_for_submission(_with_pdr(content, pdr)))) == [
        "/post_deployment_review/duration_minutes"]


def test_false_alert_rate_is_derived_not_input(content, pdr):
    assert derived_false_alert_rate(pdr) == pytest.approx(2 / 18500)
    assert derived_false_alert_rate({**pdr, "faces_seen": 0}) is None
    pdr["false_alert_rate"] = 0.5
    errs = pointers(validate_for_submission(_with_pdr(content, pdr)))
    assert "/post_deployment_review/false_alert_rate" in errs


def test_pdr_fields_required_when_section_present(content):
    errs = pointers(validate_for_submission(_with_pdr(content, {"faces_seen": 10})))
    assert "/post_deployment_review/total_alerts" in errs
    assert "/post_deployment_review/ic_breakdown" in errs
    assert validate_draft({"post_deployment_review": {"faces_seen": 10}}) == {}


def test_ic_codes():
    assert IC_CODES == ("IC1", "IC2", "IC3", "IC4", "IC5", "IC6", "IC9")


# ---------------------------------------------------------------- ranks


def test_ranks_are_ordered_and_compared():
    assert RANKS.index("constable") < RANKS.index("superintendent") < RANKS.index("chief_superintendent")
    assert rank_at_least("chief_superintendent", "superintendent")
    assert rank_at_least("superintendent", "superintendent")
    assert not rank_at_least("chief_inspector", "superintendent")
    assert rank_at_least("commander", "assistant_chief_constable")  # equivalent ranks
    assert rank_at_least("assistant_chief_constable", "commander")
    assert not rank_at_least("police_staff", "constable")
    assert not rank_at_least(None, "constable")
    assert not rank_at_least("general", "constable")
    with pytest.raises(ValueError):
        rank_at_least("superintendent", "general")


def test_authorisation_rank_minimum():
    assert authorisation_rank_errors({"officer_rank": "inspector"}) == {
        "officer_rank": ["The authorising officer must be of rank superintendent or above."]}
    assert authorisation_rank_errors({"officer_rank": "inspector"}, minimum_rank="inspector") == {}


# ---------------------------------------------------------------- operation


def test_operation_rules():
    op = load("operation.json")
    bad = {**op, "reference": "LFR-26-42", "planned_end": op["planned_start"],
           "latitude": 95, "match_threshold": 1.5}
    bad.pop("longitude")
    errs = pointers(OperationCreateSchema().validate(bad))
    assert {"/reference", "/latitude", "/match_threshold"} <= set(errs)
    errs = pointers(OperationCreateSchema().validate({**op, "planned_end": op["planned_start"]}))
    assert errs == {"/planned_end": ["Planned end must be after planned start."]}
    no_lon = dict(op)
    no_lon.pop("longitude")
    assert "/longitude" in pointers(OperationCreateSchema().validate(no_lon))


def test_operation_defaults():
    op = load("operation.json")
    op.pop("match_threshold")
    op.pop("latitude")
    op.pop("longitude")
    loaded = OperationCreateSchema().load(op)
    assert loaded["match_threshold"] == 0.64
    assert loaded["latitude"] is None and loaded["longitude"] is None


# ---------------------------------------------------------------- errors → pointers


def test_to_json_pointers_flattens_nested_lists_and_schema_errors():
    messages = {
        "_schema": ["Whole document is wrong."],
        "engagement_log": {1: {"date": ["Not a valid date."]}, "_schema": ["List problem."]},
        "a/b": {"c~d": ["Escaped."]},
        "sign_off": {"author": {"email": ["Not a valid email address.", "Too long."]}},
        "risks": ["Missing data for required field."],
    }
    out = to_json_pointers(messages)
    assert {"pointer": "", "detail": "Whole document is wrong."} in out
    assert {"pointer": "/engagement_log/1/date", "detail": "Not a valid date."} in out
    assert {"pointer": "/engagement_log", "detail": "List problem."} in out
    assert {"pointer": "/a~1b/c~0d", "detail": "Escaped."} in out
    assert {"pointer": "/risks", "detail": "This field is required."} in out
    assert [e["detail"] for e in out if e["pointer"] == "/sign_off/author/email"] == [
        "Not a valid email address.", "Too long."]
    assert len(out) == 7


def test_real_errors_become_pointers_with_list_indices(content):
    content["engagement_log"][1]["date"] = "yesterday"
    content["risks"][0]["likelihood"] = "certain"
    errs = pointers(validate_for_submission(content))
    assert set(errs) == {"/engagement_log/1/date", "/risks/0/likelihood"}


# ---------------------------------------------------------------- events


def test_cloudevent_roundtrip_and_validation():
    ev = make_event("cia.approved", "/cia-authoring", {"cia_id": "c1", "version": 2}, subject="c1")
    loaded = CloudEventSchema().load(ev)
    assert loaded["specversion"] == "1.0" and loaded["datacontenttype"] == "application/json"
    assert loaded["data"] == {"cia_id": "c1", "version": 2}
    for bad, ptr in [({"specversion": "0.3"}, "/specversion"),
                     ({"datacontenttype": "text/xml"}, "/datacontenttype"),
                     ({"type": "CIA Approved"}, "/type"),
                     ({"time": "2026-05-14T10:00:00"}, "/time")]:
        with pytest.raises(ValidationError) as exc:
            CloudEventSchema().load({**ev, **bad})
        assert ptr in pointers(exc.value.messages)
    missing = dict(ev)
    del missing["id"]
    assert "/id" in pointers(CloudEventSchema().validate(missing))
    with pytest.raises(ValidationError):
        make_event("bad type", "/x", {})


# ---------------------------------------------------------------- disclosure metadata


def _walk_fields(schema: Schema, path: str = ""):
    for name, f in schema.fields.items():
        p = f"{path}/{name}"
        yield p, f
        if isinstance(f, fields.Nested):
            yield from _walk_fields(f.schema, p)
        elif isinstance(f, fields.List) and isinstance(f.inner, fields.Nested):
            yield from _walk_fields(f.inner.schema, p + "/*")


def test_every_content_field_has_a_disclosure_class_and_description():
    walked = list(_walk_fields(CiaContentSchema()))
    assert len(walked) > 100
    for p, f in walked:
        assert f.metadata.get(DISCLOSURE_KEY) in DISCLOSURE_CLASSES, p
        assert f.metadata.get("description"), p


def test_disclosure_classification():
    cls = {p: f.metadata[DISCLOSURE_KEY] for p, f in _walk_fields(CiaContentSchema())}
    for p in ["/deployment/location_rationale", "/deployment/camera_positions",
              "/deployment/operational_timings", "/intelligence_case/summary",
              "/intelligence_case/key_points", "/watchlist/categories",
              "/watchlist/category_counts", "/watchlist/composition_rationale"]:
        assert cls[p] == S31, p
    for p in ["/engagement_log/*/contact_name", "/engagement_log/*/contact_email",
              "/engagement_log/*/contact_phone", "/risks/*/owner",
              "/sign_off/author/name", "/sign_off/author/email", "/sign_off/author/phone",
              "/sign_off/authorising_officer/name"]:
        assert cls[p] == S40, p
    for p in ["/deployment/site_description", "/watchlist/size", "/sign_off/author/rank",
              "/post_deployment_review/ic_breakdown/*/true_alerts", "/risks/*/risk"]:
        assert cls[p] == OPEN, p
    rank_exempt = {p for p, f in _walk_fields(CiaContentSchema()) if f.metadata.get(RANK_EXEMPT_KEY)}
    assert rank_exempt == {f"/sign_off/{who}/name" for who in
                           ("author", "community_lead", "authorising_officer")}


def test_x_disclosure_appears_in_apispec_generated_schema():
    spec = APISpec(title="t", version="1", openapi_version="3.0.3", plugins=[MarshmallowPlugin()])
    spec.components.schema("CiaContent", schema=CiaContentSchema)
    schemas = spec.to_dict()["components"]["schemas"]
    assert schemas["Deployment"]["properties"]["location_rationale"]["x-disclosure"] == "s31"
    assert schemas["Deployment"]["properties"]["camera_positions"]["x-disclosure"] == "s31"
    assert schemas["Deployment"]["properties"]["site_description"]["x-disclosure"] == "open"
    assert schemas["Engagement"]["properties"]["contact_email"]["x-disclosure"] == "s40"
    name = schemas["Signatory"]["properties"]["name"]
    assert name["x-disclosure"] == "s40" and name["x-rank-exempt-field"] == "rank"
    assert schemas["IcBreakdown"]["properties"]["false_alerts"]["x-disclosure"] == "open"
    # every property of every content schema carries it
    for sname, s in schemas.items():
        for pname, prop in s.get("properties", {}).items():
            assert prop.get("x-disclosure") in DISCLOSURE_CLASSES, (sname, pname)


def test_flask_smorest_exposes_x_disclosure():
    from flask import Flask
    from flask_smorest import Api, Blueprint

    app = Flask("t")
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3")
    api = Api(app)
    blp = Blueprint("cias", __name__, url_prefix="/api/v1/cias")

    @blp.route("/")
    @blp.arguments(CiaContentSchema(partial=True))
    def create(body):  # pragma: no cover - never called
        return body

    api.register_blueprint(blp)
    with app.app_context():
        spec = api.spec.to_dict()
    props = spec["components"]["schemas"]["Signatory"]["properties"]
    assert props["email"]["x-disclosure"] == "s40"


def test_content_schema_is_not_mutated_by_partial(content):
    before = copy.deepcopy(content)
    CiaContentSchema(partial=True).load(content)
    assert content == before
