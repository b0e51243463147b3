"""The AsyncAPI 3.0 document made from the event contracts: docs/asyncapi.json is
current, every contract is a message on its producer's topic, the CIA content
keeps its disclosure classes, and each service serves its own channels."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cia_authoring.app import create_app as authoring_app
from cia_common.cli import main as cia
from cia_notifier.app import create_app as notifier_app
from cia_review.app import create_app as review_app
from cia_schemas.asyncapi import document, to_json
from cia_schemas.contracts import CONTRACTS, TOPICS

from tests.asyncapi_events import DOCUMENT, problems

NO_DB = {"DATABASE_URL": "sqlite:///:memory:", "RUN_MIGRATIONS": False, "TESTING": True}


def test_the_committed_document_is_the_generated_one():
    assert DOCUMENT.read_text(encoding="utf-8") == to_json(document()), \
        "docs/asyncapi.json is stale: run `cia asyncapi --write docs/asyncapi.json`"


def test_cia_asyncapi_writes_and_prints_it(tmp_path):
    target = tmp_path / "asyncapi.json"
    written = CliRunner().invoke(cia, ["asyncapi", "--write", str(target)])
    assert written.exit_code == 0, written.output
    assert target.read_text(encoding="utf-8") == to_json(document())
    printed = CliRunner().invoke(cia, ["asyncapi", "--service", "review"])
    assert json.loads(printed.output) == document("review")


def test_every_contract_is_a_message_on_its_producer_s_topic():
    doc = document()
    assert doc["asyncapi"] == "3.0.0"
    by_address = {c["address"]: c for c in doc["channels"].values()}
    assert set(by_address) == set(TOPICS.values())
    for event_type, contract in CONTRACTS.items():
        channel = by_address[contract.topic]
        assert channel["messages"][event_type] == {"$ref": f"#/components/messages/{event_type}"}
        payload = doc["components"]["messages"][event_type]["payload"]
        typed = payload["allOf"][1]["properties"]
        assert typed["type"] == {"const": event_type}
        data_ref = typed["data"]["$ref"].rsplit("/", 1)[1]
        assert data_ref in doc["components"]["schemas"]
    # Every operation points at a channel of the document and at messages of that channel.
    for operation in doc["operations"].values():
        channel = operation["channel"]["$ref"].rsplit("/", 1)[1]
        for message in operation["messages"]:
            assert message["$ref"].startswith(f"#/channels/{channel}/messages/")
            assert message["$ref"].rsplit("/", 1)[1] in doc["channels"][channel]["messages"]


def test_the_submitted_content_keeps_its_disclosure_classes():
    schemas = document()["components"]["schemas"]
    assert schemas["CiaSubmittedData"]["properties"]["content"]["$ref"] == \
        "#/components/schemas/CiaContent"
    signatory = schemas["Signatory"]["properties"]
    assert signatory["name"]["x-disclosure"] == "s40"
    assert schemas["IntelligenceCase"]["properties"]["summary"]["x-disclosure"] == "s31"


def test_each_service_document_has_only_its_own_channels():
    review = document("review")
    operations = {k: (o["action"], sorted(m["$ref"].rsplit("/", 1)[1] for m in o["messages"]))
                  for k, o in review["operations"].items()}
    assert operations["reviewReceivesAuthoringEvents"] == ("receive",
                                                          ["cia.submitted", "cia.withdrawn"])
    assert operations["reviewSends"][0] == "send"
    assert all(t.startswith("review.") for t in operations["reviewSends"][1])
    assert "notifierEvents" not in review["channels"]
    authoring = document("authoring")
    assert "review.completed" in authoring["channels"]["reviewEvents"]["messages"]
    assert "review.requested" not in authoring["components"]["messages"]
    assert set(document("notifier")["channels"]) == {"authoringEvents", "reviewEvents",
                                                     "notifierEvents"}


@pytest.mark.parametrize("service,make", [("authoring", authoring_app), ("review", review_app),
                                          ("notifier", notifier_app)])
def test_each_service_serves_its_asyncapi(service, make):
    resp = make(dict(NO_DB)).test_client().get("/asyncapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert resp.get_json() == json.loads(json.dumps(document(service)))


def test_the_validator_refuses_an_event_the_document_does_not_describe():
    event = {"specversion": "1.0", "id": "e-1", "source": "/cia-workflow/review",
             "type": "review.superseded", "subject": "c", "time": "2026-05-01T09:00:00Z",
             "datacontenttype": "application/json",
             "data": {"review_id": "r-1", "cia_id": "c", "version": 1, "round": 1,
                      "superseded_by": "r-2"}}
    assert problems(event) == []
    renamed = {**event, "data": {**event["data"], "replaced_by": "r-2"}}
    del renamed["data"]["superseded_by"]
    assert len(problems(renamed)) == 2  # one missing, one not allowed
    assert problems({**event, "type": "review.unheard_of"}) == \
        ["no message 'review.unheard_of' in the AsyncAPI document"]
