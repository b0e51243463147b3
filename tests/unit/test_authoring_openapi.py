"""The authoring service's served OpenAPI (/openapi.json): every CIA content
field carries its disclosure class, and the submission requirements are stated."""
from __future__ import annotations

import pytest
from marshmallow import fields

from cia_authoring.app import create_app
from cia_schemas.content import CiaContentSchema
from cia_schemas.disclosure import DISCLOSURE_CLASSES

REF = "#/components/schemas/"


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> dict:
    # No migrations, no query: the database is never opened to serve the spec.
    url = f"sqlite:///{tmp_path_factory.mktemp('spec') / 'never-opened.db'}"
    app = create_app({"DATABASE_URL": url, "RUN_MIGRATIONS": False, "TESTING": True})
    resp = app.test_client().get("/openapi.json")
    assert resp.status_code == 200
    return resp.get_json()


def _component(spec, name):
    return spec["components"]["schemas"][name]


def _walk_served(spec, name, pointer="", ancestors=()):
    """(pointer, property) for every property reachable from component ``name``."""
    if name in ancestors:  # a cycle: nothing new below
        return
    for prop_name, prop in _component(spec, name).get("properties", {}).items():
        ptr = f"{pointer}/{prop_name}"
        yield ptr, prop
        target = prop.get("$ref") or prop.get("items", {}).get("$ref")
        if target:
            yield from _walk_served(spec, target[len(REF):], ptr + ("/*" if "items" in prop else ""),
                                    (*ancestors, name))


def _walk_schema(schema, pointer=""):
    """(pointer, field) for every field of the marshmallow content schema."""
    for name, f in schema.fields.items():
        ptr = f"{pointer}/{f.data_key or name}"
        yield ptr, f
        if isinstance(f, fields.Nested):
            yield from _walk_schema(f.schema, ptr)
        elif isinstance(f, fields.List) and isinstance(f.inner, fields.Nested):
            yield from _walk_schema(f.inner.schema, ptr + "/*")


def test_every_content_field_in_the_served_spec_has_its_disclosure_class(spec):
    served = dict(_walk_served(spec, "CiaContent"))
    declared = dict(_walk_schema(CiaContentSchema()))
    assert set(served) == set(declared)  # every field reached, none invented
    assert len(served) > 120
    for pointer, prop in served.items():
        assert prop.get("x-disclosure") in DISCLOSURE_CLASSES, pointer
        assert prop["x-disclosure"] == declared[pointer].metadata["x-disclosure"], pointer
    assert served["/deployment/camera_positions"]["x-disclosure"] == "s31"
    assert served["/intelligence_case/summary"]["x-disclosure"] == "s31"
    assert served["/engagement_log/*/contact_email"]["x-disclosure"] == "s40"
    assert served["/sign_off/author/name"]["x-rank-exempt-field"] == "rank"
    assert served["/post_deployment_review/ic_breakdown/*/false_alerts"]["x-disclosure"] == "open"
    # The content is the one documented on the CIA requests and responses.
    for component in ("CiaCreate", "CiaPatch", "Cia"):
        assert _component(spec, component)["properties"]["content"]["$ref"] == REF + "CiaContent"


def test_submission_requirements_are_stated_not_imposed_on_drafts(spec):
    root = _component(spec, "CiaContent")
    sections = root["x-required-for-submission"]
    assert sections == ["header", "deployment", "legal_basis", "intelligence_case", "watchlist",
                        "area_profile", "engagement_log", "community_sentiment",
                        "equality_impacts", "risks", "communications", "sign_off"]
    description = root["description"]
    for needed in sections + ["post_deployment_review", "at least one engagement",
                              "each of the 9 protected characteristics", "amendment",
                              "deployed", "422"]:
        assert needed in description, needed
    # Drafts may be partial: no content schema says "required"; each says what
    # submission needs instead, exactly the marshmallow schema's required fields.
    for pointer, f in _walk_schema(CiaContentSchema()):
        if isinstance(f, fields.Nested) or (isinstance(f, fields.List)
                                            and isinstance(f.inner, fields.Nested)):
            nested = f.schema if isinstance(f, fields.Nested) else f.inner.schema
            name = type(nested).__name__.removesuffix("Schema")
            component = _component(spec, name)
            assert "required" not in component, name
            assert component.get("x-required-for-submission", []) == sorted(
                n for n, g in nested.fields.items() if g.required), name
    assert _component(spec, "Deployment")["x-required-for-submission"][:2] == ["camera_positions",
                                                                              "end"]
    # Requests other than content keep their JSON-Schema "required".
    assert "reference" in _component(spec, "OperationCreate")["required"]

    submit = spec["paths"]["/api/v1/cias/{cia_id}/submit"]["post"]
    assert "equality_impacts" in submit["description"] and "422" in submit["description"]


def test_the_document_endpoint_offers_docx_and_pdf(spec):
    get = spec["paths"]["/api/v1/cias/{cia_id}/versions/{number}/document"]["get"]
    assert set(get["responses"]["200"]["content"]) == {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/pdf"}
    assert {"406", "503"} <= set(get["responses"])
    assert "X-Content-SHA256" in get["responses"]["200"]["headers"]


def test_both_document_endpoints_answer_503_with_retry_after_while_a_pdf_is_made(spec):
    for path in ("/api/v1/cias/{cia_id}/versions/{number}/document",
                 "/api/v1/disclosures/{cia_id}/versions/{number}/document"):
        responses = spec["paths"][path]["get"]["responses"]
        assert "Retry-After" in responses["503"]["headers"], path
        assert "still being produced" in responses["503"]["description"], path
        assert "not ready" not in responses["406"]["description"], path

    revisions = spec["paths"]["/api/v1/cias/{cia_id}/revisions"]["post"]
    assert {"201", "409", "422"} <= set(revisions["responses"])
