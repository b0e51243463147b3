"""The action page shows the CIA under review: every section, escaped, what changed
since the last round or approval, and takes comments on sections."""
from __future__ import annotations

import copy
import html
import json
from pathlib import Path

import pytest

from cia_common.web import db
from cia_review.actions.dates import when
from cia_schemas.content import SECTION_TITLES
from tests.integration.test_review_action_links import (app, assert_html, client, emitted,  # noqa: F401
                                                        form_fields, open_with_links, review_state)
from tests.leaks import found, readable
from tests.review_events import deliver, submitted_event

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def planted_content() -> tuple[dict, dict[str, str]]:
    """The example CIA with one recognisable value planted in every section."""
    content = json.loads((EXAMPLES / "cia-content.json").read_text())
    content["post_deployment_review"] = json.loads(
        (EXAMPLES / "post-deployment-review.json").read_text())
    planted = {key: f"Planted value of {key} 7f3c" for key in SECTION_TITLES}
    content["header"]["title"] = planted["header"]
    content["deployment"]["site_description"] = planted["deployment"]
    content["legal_basis"]["necessity"] = planted["legal_basis"]
    content["intelligence_case"]["summary"] = planted["intelligence_case"]
    content["watchlist"]["composition_rationale"] = planted["watchlist"]
    content["area_profile"]["tension_narrative"] = planted["area_profile"]
    content["engagement_log"][1]["summary"] = planted["engagement_log"]
    content["community_sentiment"]["summary"] = planted["community_sentiment"]
    content["equality_impacts"]["entries"][0]["narrative"] = planted["equality_impacts"]
    content["risks"][1]["mitigation"] = planted["risks"]
    content["communications"]["plan"] = planted["communications"]
    content["sign_off"]["author"]["name"] = planted["sign_off"]
    content["post_deployment_review"]["lessons_learned"] = planted["post_deployment_review"]
    return content, planted


def page_of(client, path) -> str:
    return assert_html(client.get(path), 200)


def submit_round(app, cia_id, content, version=1, reviewers=("reviewer-1",)) -> str:
    """Deliver a cia.submitted with ``content``; the path of reviewer-1's link."""
    deliver(db(app), app.config, submitted_event(
        cia_id=cia_id, version=version, content=content,
        content_hash="sha256:" + str(hash(json.dumps(content, sort_keys=True))),
        requested_reviewers=list(reviewers)))
    requested = emitted(app, "review.requested")[-1]
    assert (requested["cia_id"], requested["version"]) == (cia_id, version)
    return requested["action_links"]["reviewer-1"].replace("http://review.test", "")


def test_page_shows_every_section_in_the_sop_order_with_its_values(app, client):
    content, planted = planted_content()
    _rid, links = open_with_links(app, content=content)
    page = page_of(client, links["reviewer-1"])
    # Every heading of the DOCX, in its order, after the review's facts.
    positions = [page.index(f"{i}. {html.escape(title)}</h2>")
                 for i, title in enumerate(SECTION_TITLES.values(), start=1)]
    assert positions == sorted(positions)
    assert page.index('id="s-review"') < positions[0] < page.index('id="s-decide"')
    for key, value in planted.items():
        assert value in page, key
    # Lists of records and nested records are rendered, not dumped as JSON; choices,
    # dates and times read as words, not as stored codes.
    body = content["engagement_log"][0]["body"]
    assert body == "independent_advisory_group"
    assert "Independent advisory group" in page and body not in page
    start = content["deployment"]["start"]
    assert start not in page and when(start) in page
    assert "{&#39;" not in page and "{'" not in page
    # First time round there is nothing to compare with.
    assert "What changed" not in page


def test_long_sections_fold_and_short_ones_are_open(app, client):
    content, _planted = planted_content()
    content["communications"] = {"plan": "Short plan."}
    content["legal_basis"]["proportionality"] = "Long text. " * 300
    _rid, links = open_with_links(app, content=content)
    page = page_of(client, links["reviewer-1"])
    legal = page[page.index('id="section-legal_basis"'):]
    comms = page[page.index('id="section-communications"'):]
    assert legal.startswith('id="section-legal_basis" aria-labelledby="h-legal_basis">\n  <details>')
    assert comms.startswith('id="section-communications" aria-labelledby="h-communications">'
                            '\n  <details open>')
    assert "<script" not in page.lower()


def test_content_is_escaped(app, client):
    content, _planted = planted_content()
    content["deployment"]["site_description"] = '<img src=x onerror="alert(1)"> & <b>bold</b>'
    content["risks"][0]["risk"] = "</dd></dl><script>alert(2)</script>"
    _rid, links = open_with_links(app, content=content)
    page = page_of(client, links["reviewer-1"])
    assert "<img" not in page and "<b>bold" not in page and "<script>" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "&lt;/dd&gt;&lt;/dl&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page


def test_content_is_kept_out_of_the_stored_submission_and_the_api(app, client):
    content, planted = planted_content()
    rid, links = open_with_links(app, content=content)
    # The review API's answer does not copy the CIA's content.
    body = readable(json.dumps(review_state(client, app, rid)))
    assert not found(planted["sign_off"], body) and not found(planted["deployment"], body)
    # Positive control: the same checker sees both on the reviewer's page, where they belong.
    page = readable(page_of(client, links["reviewer-1"]))
    assert found(planted["sign_off"], page) and found(planted["deployment"], page)


def test_a_round_without_content_still_has_its_page(app, client):
    _rid, links = open_with_links(app)
    page = page_of(client, links["reviewer-1"])
    assert "did not come with the submission" in page and 'id="s-decide"' in page


def test_second_round_shows_what_changed_since_the_first(app, client):
    content, planted = planted_content()
    first = submit_round(app, "cia-diff-1", content)
    resp = client.post(first, data={**form_fields(page_of(client, first)),
                                    "decision": "request_changes", "comment": "Fix two things."})
    assert_html(resp, 200, "Decision recorded")

    revised = copy.deepcopy(content)
    revised["risks"][1]["mitigation"] = "Revised mitigation <with> care"
    revised["communications"]["leaflets"] = "New leaflet run of 5,000."
    second = submit_round(app, "cia-diff-1", revised)
    page = page_of(client, second)
    assert "What changed since review round 1" in page
    changes = page[page.index('id="s-changes"'):page.index('id="cia"')]
    # The changed sections, each with its field and both values, escaped.
    assert changes.index(">Risks</h3>") < changes.index(">Communications</h3>")
    assert "#2 › Mitigation" in changes and planted["risks"] in changes
    assert "Revised mitigation &lt;with&gt; care" in changes
    assert "Leaflets" in changes and "New leaflet run of 5,000." in changes
    # Unchanged sections are not listed as changes, and changed ones are flagged below.
    assert ">Deployment</h3>" not in changes and planted["deployment"] not in changes
    assert page.count('class="tag">Changed<') == 2


def test_amendment_is_compared_with_the_last_approved_version(app, client):
    content, _planted = planted_content()
    first = submit_round(app, "cia-diff-2", content)
    assert_html(client.post(first, data={**form_fields(page_of(client, first)),
                                         "decision": "approve"}), 200, "now approved")
    amended = copy.deepcopy(content)
    amended["watchlist"]["size"] = content["watchlist"]["size"] + 100
    page = page_of(client, submit_round(app, "cia-diff-2", amended, version=2))
    changes = page[page.index('id="s-changes"'):page.index('id="cia"')]
    assert "What changed since approved version 1" in changes
    assert ">Watchlist</h3>" in changes and "Size" in changes
    assert str(content["watchlist"]["size"] + 100) in changes


def test_request_changes_records_section_comments(app, client):
    content, _planted = planted_content()
    rid, links = open_with_links(app, content=content)
    path = links["reviewer-1"]
    page = page_of(client, path)
    # One comment box per section, tied to the decision form.
    assert page.count('form="decide"') == len(SECTION_TITLES)
    resp = client.post(path, data={
        **form_fields(page), "decision": "request_changes", "comment": "Two gaps.",
        "section_comment.engagement_log": "Add the IAG meeting of 2 May.",
        "section_comment.risks": "  Name an owner for risk 2.  ",
        "section_comment.watchlist": "   ",  # blank: not a comment
        "section_comment.not_a_section": "ignored"})
    assert_html(resp, 200, "Decision recorded")
    [decision] = review_state(client, app, rid)["decisions"]
    assert decision["section_comments"] == [
        {"section": "engagement_log", "comment": "Add the IAG meeting of 2 May."},
        {"section": "risks", "comment": "Name an owner for risk 2."}]
    completed = emitted(app, "review.completed")[-1]
    assert completed["section_comments"] == decision["section_comments"]


@pytest.mark.parametrize("decision", ["request_changes", "reject"])
def test_a_comment_is_required_to_request_changes_or_reject(app, client, decision):
    content, _planted = planted_content()
    rid, links = open_with_links(app, content=content)
    path = links["reviewer-1"]
    resp = client.post(path, data={**form_fields(page_of(client, path)), "decision": decision,
                                   "comment": "  ", "section_comment.risks": "Kept <on> error"})
    page = assert_html(resp, 422, "needs a comment", 'role="alert"')
    # The reviewer's section comment survives the error, escaped, in an open box.
    assert "<details class=\"remark\" open>" in page and "Kept &lt;on&gt; error" in page
    assert review_state(client, app, rid)["decisions"] == []
    # The link was not spent: the reviewer can correct and send.
    resp = client.post(path, data={**form_fields(page), "decision": decision,
                                   "comment": "Because."})
    assert_html(resp, 200, "Decision recorded")


def test_an_overlong_section_comment_is_refused(app, client):
    rid, links = open_with_links(app, content=planted_content()[0])
    path = links["reviewer-1"]
    resp = client.post(path, data={**form_fields(page_of(client, path)),
                                   "decision": "request_changes", "comment": "See risks.",
                                   "section_comment.risks": "x" * 10_001})
    assert_html(resp, 422, "section comment is too long", "Risks")
    assert review_state(client, app, rid)["decisions"] == []


def test_fields_read_in_the_schemas_order_whatever_order_the_content_came_in(app, client):
    content, _planted = planted_content()
    # JSON stores may hand keys back sorted; the page must still read like the DOCX.
    content["deployment"] = dict(sorted(content["deployment"].items(), reverse=True))
    content["risks"] = [dict(sorted(r.items())) for r in content["risks"]]
    _rid, links = open_with_links(app, content=content)
    page = page_of(client, links["reviewer-1"])
    deployment = page[page.index('id="section-deployment"'):page.index('id="section-legal_basis"')]
    assert (deployment.index("<dt>Site description</dt>") < deployment.index("<dt>Start</dt>")
            < deployment.index("<dt>Camera positions</dt>"))
    risks = page[page.index('id="section-risks"'):page.index('id="section-communications"')]
    assert risks.index("<dt>Risk</dt>") < risks.index("<dt>Likelihood</dt>") < risks.index(
        "<dt>Owner</dt>")
