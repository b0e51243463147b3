"""Redaction of the disclosure copy: driven by the schema metadata only."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from marshmallow import Schema, fields

from cia_redaction.detectors import Detectors
from cia_redaction.redactor import Redactor
from cia_authoring.documents.redaction import S31_MARKER, S40_MARKER, redact
from cia_schemas.disclosure import S31, S40, field
from tests.support import planted_content

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

PLANTED_S40 = [
    "Hollingsworth-S40", "Okonkwo-S40", "Penhaligon-S40", "Marchbanks-S40", "Renwick-S40",
    "Whitcombe-S40", "Castellano-S40",
    "p.hollingsworth.s40@example.police.uk", "d.okonkwo.s40@example.police.uk",
    "m.ashdown.s40@example.police.uk", "s40.contact@croydon-iag.example.org",
    "s40.board@croydon-snb.example.org", "s40.council@croydon.example.gov.uk",
    "s40.freetext@example.org",
    "07700 900123", "07700 900456", "07700 900789", "020 7946 0018", "020 7946 0555",
    "020 7946 0991", "0117 496 0123",
]
PLANTED_S31 = [
    "S31-LOCATION-RATIONALE-7731", "S31-OPNAME-KESTREL", "S31-CAMPOS-ALPHA", "S31-CAMPOS-BRAVO",
    "S31-TIMINGS-0915", "S31-INTEL-CASE-5521", "S31-INTEL-POINT-ONE", "S31-INTEL-POINT-TWO",
    "S31-WATCHLIST-RATIONALE-3390", "wanted_by_courts", "suspected_of_offence",
    "bail_conditions", "missing_person_at_risk", "2026-04-17",
]


def load(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture
def content() -> dict:
    c = planted_content()
    c["post_deployment_review"] = load("post-deployment-review.json")
    return c


def strings(node):
    """Every string (keys excluded) and every scalar rendered as text, recursively."""
    if isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)
    elif node is not None:
        yield str(node)


def resolve(doc, pointer: str):
    for seg in pointer.split("/")[1:]:
        seg = seg.replace("~1", "/").replace("~0", "~")
        doc = doc[int(seg)] if isinstance(doc, list) else doc[seg]
    return doc


def test_planted_values_are_really_in_the_example(content):
    text = json.dumps(content, ensure_ascii=False)
    for token in PLANTED_S40 + PLANTED_S31:
        assert token in text, token


def test_no_planted_value_survives_redaction(content):
    redacted, _ = redact(content)
    all_text = list(strings(redacted))
    for token in PLANTED_S40 + PLANTED_S31:
        assert not any(token in s for s in all_text), token
    joined = "\n".join(all_text)
    assert "S40" not in joined and "S31-" not in joined and "@" not in joined


def test_every_logged_value_is_gone(content):
    redacted, log = redact(content)
    joined = json.dumps(redacted, ensure_ascii=False)
    field_pointers = {e["pointer"] for e in log if "free text" not in e["reason"]}
    assert len(field_pointers) >= 25
    for ptr in field_pointers:
        original = resolve(content, ptr)
        assert resolve(redacted, ptr) in (S40_MARKER, S31_MARKER), ptr
        for s in strings(original):
            if len(s) >= 6:
                assert s not in joined, (ptr, s)


def test_markers_and_log_entries(content):
    redacted, log = redact(content)
    assert S40_MARKER == "[Redacted — s.40(2)]"
    assert S31_MARKER == "[Redacted — s.31(1)(a)(b)]"
    by_ptr = {}
    for e in log:
        assert set(e) - {"score", "review", "term"} == {"pointer", "exemption", "reason",
                                                         "rule_id", "detector"}
        # A score comes with the model's findings only.
        assert ("score" in e) == (e["detector"] in ("person_model", "child"))
        assert e["reason"]
        by_ptr.setdefault(e["pointer"], []).append(e)
    assert by_ptr["/deployment/location_rationale"][0]["exemption"] == "s.31(1)(a)(b)"
    assert by_ptr["/engagement_log/0/contact_email"][0]["exemption"] == "s.40(2)"
    assert by_ptr["/risks/1/owner"][0]["exemption"] == "s.40(2)"
    assert "Superintendent" in by_ptr["/sign_off/author/name"][0]["reason"]
    assert redacted["deployment"]["location_rationale"] == S31_MARKER
    assert redacted["engagement_log"][0]["contact_phone"] == S40_MARKER


def test_non_string_values_become_the_marker(content):
    redacted, _ = redact(content)
    assert redacted["deployment"]["camera_positions"] == S31_MARKER
    assert redacted["watchlist"]["categories"] == S31_MARKER
    assert redacted["watchlist"]["category_counts"] == S31_MARKER
    assert redacted["intelligence_case"]["key_points"] == S31_MARKER
    assert redacted["intelligence_case"]["assessed_on"] == S31_MARKER


def test_open_values_are_kept(content):
    redacted, _ = redact(content)
    assert redacted["watchlist"]["size"] == 12431
    assert redacted["deployment"]["start"] == content["deployment"]["start"]
    assert redacted["engagement_log"][0]["body_name"] == "Croydon Independent Advisory Group"
    assert redacted["engagement_log"][0]["contact_role"] == "IAG chair"
    assert redacted["risks"][0]["owner_role"] == "Silver commander"
    assert redacted["post_deployment_review"] == content["post_deployment_review"]
    assert redacted["area_profile"]["ethnicity_mix"] == content["area_profile"]["ethnicity_mix"]
    assert redacted["sign_off"]["author"]["rank"] == "inspector"
    assert redacted["equality_impacts"] == content["equality_impacts"]


def test_rank_rule_releases_chief_superintendent_only(content):
    redacted, log = redact(content)
    so = redacted["sign_off"]
    assert so["authorising_officer"]["name"] == "Margaret Ashdown"
    assert so["authorising_officer"]["email"] == S40_MARKER
    assert so["authorising_officer"]["phone"] == S40_MARKER
    assert so["author"]["name"] == S40_MARKER
    assert so["community_lead"]["name"] == S40_MARKER
    assert "/sign_off/authorising_officer/name" not in {e["pointer"] for e in log}


def test_rank_cutoff_is_configurable(content):
    higher, _ = redact(content, rank_cutoff="assistant_chief_constable")
    assert higher["sign_off"]["authorising_officer"]["name"] == S40_MARKER
    lower, _ = redact(content, rank_cutoff="inspector")
    assert lower["sign_off"]["author"]["name"] == "Priya Hollingsworth-S40"
    assert lower["sign_off"]["community_lead"]["name"] == S40_MARKER
    with pytest.raises(ValueError):
        redact(content, rank_cutoff="general")


def test_missing_or_unknown_rank_withholds_the_name(content):
    content["sign_off"]["authorising_officer"].pop("rank")
    redacted, _ = redact(content)
    assert redacted["sign_off"]["authorising_officer"]["name"] == S40_MARKER
    content["sign_off"]["authorising_officer"]["rank"] = "field_marshal"
    redacted, _ = redact(content)
    assert redacted["sign_off"]["authorising_officer"]["name"] == S40_MARKER


def test_free_text_emails_and_phones_are_scrubbed(content):
    redacted, log = redact(content)
    summary = redacted["community_sentiment"]["summary"]
    assert summary.startswith("Mixed. Traders")
    assert summary.count(S40_MARKER) == 2
    reasons = [e["reason"] for e in log if e["pointer"] == "/community_sentiment/summary"]
    assert len(reasons) == 2 and any("E-mail" in r for r in reasons) and any("Phone" in r for r in reasons)


@pytest.mark.parametrize("text", [
    "ring 07700 900123", "ring +44 20 7946 0018", "ring +44 (0)20 7946 0018",
    "ring (0117) 496 0123", "ring 020-7946-0018", "mail a.b-c@d.example.co.uk",
])
def test_scrub_free_text_finds_contact_details(text):
    redactor = Redactor(Detectors())
    out = redactor.text(text, "/t")
    assert out == "ring " + S40_MARKER or out == "mail " + S40_MARKER
    assert len(redactor.log) == 1


@pytest.mark.parametrize("text", [
    "LFR-2026-0042", "14 May 2026 between 10:00 and 18:00", "watchlist of 12431 images",
    "FOI 01.FOI.22.024139", "ratio 0.64",
])
def test_scrub_free_text_leaves_ordinary_numbers(text):
    redactor = Redactor(Detectors())
    assert redactor.text(text, "/t") == text and redactor.log == []


def test_input_is_not_mutated(content):
    before = copy.deepcopy(content)
    redact(content)
    assert content == before


def test_unknown_keys_are_withheld(content):
    content["deployment"]["secret_note"] = "S31-UNDECLARED"
    redacted, log = redact(content)
    assert redacted["deployment"]["secret_note"] == S40_MARKER
    assert any(e["pointer"] == "/deployment/secret_note" for e in log)


def test_partial_draft_content_is_handled():
    redacted, log = redact({"sign_off": {"author": {"name": "A Person-S40"}}, "risks": []})
    assert redacted == {"sign_off": {"author": {"name": S40_MARKER}}, "risks": []}
    assert [e["pointer"] for e in log] == ["/sign_off/author/name"]


def test_redaction_is_driven_by_schema_metadata_only():
    class Inner(Schema):
        secret = field(fields.Integer, disclosure=S31, description="Number.")
        note = field(fields.String, description="Note.")

    class Custom(Schema):
        who = field(fields.String, disclosure=S40, description="Who.", rank_exempt_field="grade")
        grade = field(fields.String, description="Rank.")
        items = field(fields.List, fields.Nested(Inner), description="Items.")

    data = {"who": "X", "grade": "constable",
            "items": [{"secret": 5, "note": "call 07700 900999"}, {"note": "fine"}]}
    redacted, log = redact(data, schema=Custom)
    assert redacted == {"who": S40_MARKER, "grade": "constable",
                        "items": [{"secret": S31_MARKER, "note": "call " + S40_MARKER},
                                  {"note": "fine"}]}
    assert [e["pointer"] for e in log] == ["/who", "/items/0/secret", "/items/0/note"]
    released, _ = redact({**data, "grade": "commissioner"}, schema=Custom())
    assert released["who"] == "X"
