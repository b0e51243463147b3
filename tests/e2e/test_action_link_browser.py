"""A reviewer acts on the signed link in their webhook, in a real browser:
headless Chromium (Debian's) through Playwright, against the whole system."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
import requests
from standardwebhooks import Webhook

from cia_schemas.content import SECTION_TITLES
from tests.e2e.helpers import (ADMIN, PLANNER, REVIEWER, create_authorised_operation, create_cia,
                               ok, reviews_of, wait_status)
from tests.support import is_ci, wait_for

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
# Seen working with Debian's chromium (FIELD-NOTES "Browser tests").
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser():
    """A headless Chromium; skipped without one, except under CI where it must exist."""
    missing = None
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing = f"{CHROMIUM} is not installed (Debian package chromium)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            missing = "the playwright package is not installed"
    if missing:
        if is_ci():
            pytest.fail(f"browser tests are mandatory under CI: {missing}")
        pytest.skip(missing)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
            args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def longest_text(value) -> str:
    """The longest string inside ``value``: a value distinctive enough to look for."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return max((longest_text(v) for v in value), key=len, default="")
    return value if isinstance(value, str) else ""


def screenshot_dir(tmp_path):
    """Where the page's screenshots go: CIA_SCREENSHOT_DIR (e.g. docs/) or the test's tmp."""
    return os.environ.get("CIA_SCREENSHOT_DIR") or str(tmp_path)


def submit_for(system, cia_id: str, reviewers: list[str]) -> dict:
    return ok(requests.post(system.url("authoring") + f"/api/v1/cias/{cia_id}/submit",
                            headers=PLANNER, json={"requested_reviewers": reviewers}, timeout=10))


def test_a_reviewer_decides_through_the_webhook_link_in_a_browser(make_system, databases,
                                                                  receiver, browser, tmp_path):
    system = make_system(databases)
    # reviewer-1's own endpoint: only their work, only their links.
    sub = ok(requests.post(system.url("notifier") + "/api/v1/subscriptions", headers=ADMIN,
                           json={"url": receiver.url, "event_types": ["review.requested"],
                                 "recipient": "reviewer-1", "reviewer_sub": "reviewer-1"},
                           timeout=10), 201)

    op = create_authorised_operation(system)
    cia = create_cia(system, op)
    submit_for(system, cia["id"], ["reviewer-1", "reviewer-2"])

    [hook] = wait_for(lambda: receiver.of_type("review.requested"), 60,
                      message="review.requested at reviewer-1's endpoint")
    Webhook(sub["secret"]).verify(hook.body, hook.headers)
    data = json.loads(hook.body)["data"]
    assert data["cia_id"] == cia["id"] and data["reviewers"] == ["reviewer-1", "reviewer-2"]
    # The personal subscription carries reviewer-1's link and nobody else's.
    assert list(data["action_links"]) == ["reviewer-1"]
    first_link = data["action_links"]["reviewer-1"]
    assert first_link.startswith(system.url("review") + "/review/actions/")

    page = browser.new_page()
    resp = page.goto(first_link)
    assert resp.status == 200
    assert page.inner_text("h1") == "Review requested"
    summary = page.inner_text("main")
    for expected in (op["reference"], op["name"], op["borough"], "Crime hotspot",
                     cia["content"]["header"]["title"], "reviewer-1", "Planned start",
                     "Review due", "0 of 1 needed"):
        assert expected in summary, expected
    # The documents are linked for this reviewer alone, without a bearer token.
    docx_link = page.get_attribute("a:has-text('Word document')", "href")
    pdf_link = page.get_attribute("a:has-text('as a PDF')", "href")
    for link in (docx_link, pdf_link):
        assert link.startswith(system.url("review") + "/review/documents/")
    page.screenshot(path=str(tmp_path / "action-page-round-1.png"), full_page=True)

    # The CIA itself is on the page: every section of the DOCX, in order, with its values
    # (folded sections included: their text is in the page, one click away).
    for i, title in enumerate(SECTION_TITLES.values(), start=1):
        assert page.get_by_role("heading", name=f"{i}. {title}", exact=True).is_visible(), title
    cia_text = page.text_content("#cia")
    for key in SECTION_TITLES:
        if key in cia["content"]:
            planted = longest_text(cia["content"][key])
            assert planted and planted in cia_text, key
    assert "What changed" not in page.inner_text("main")  # the first round has no baseline

    # The DOCX downloads from the page: version 1's document, as the review service recorded it.
    with page.expect_download() as downloading:
        page.click("a:has-text('Word document')")
    docx = Path(downloading.value.path()).read_bytes()
    digest = hashlib.sha256(docx).hexdigest()
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        assert cia["content"]["header"]["title"] in z.read("word/document.xml").decode()
    round_one = reviews_of(system, cia["id"])[0]
    assert [(d["reviewer"], d["version"], d["format"], d["sha256"]) for d in ok(requests.get(
        system.url("review") + f"/api/v1/reviews/{round_one['id']}", headers=ADMIN,
        timeout=10))["document_downloads"]] == [("reviewer-1", 1, "docx", digest)]
    # The link is for version 1 and reviewer-1 only: an altered link gets 403.
    body, mac = docx_link.rsplit("/", 1)[1].split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "v": 2}).encode()).rstrip(b"=")
    assert requests.get(docx_link.rsplit("/", 1)[0] + f"/{forged.decode()}.{mac}",
                        timeout=10).status_code == 403

    # Round 1: changes requested, with a comment and comments on two sections.
    section_comments = {"engagement_log": "Add the minutes of the IAG meeting of 2 May.",
                        "risks": "Name an owner for the disorder risk."}
    for key, text in section_comments.items():
        page.click(f"#section-{key} summary:has-text('Comment on this section')")
        page.fill(f"textarea[name='section_comment.{key}']", text)
    page.fill("textarea[name=comment]", "Add the minutes of the IAG meeting of 2 May.")
    page.click("button:has-text('Request changes')")
    assert page.inner_text("h1") == "Decision recorded"
    assert "requested changes to version 1" in page.inner_text("main")
    # Deciding ended the page's document links.
    assert requests.get(docx_link, timeout=10).status_code == 403
    changed = wait_status(system, cia["id"], "changes_requested")
    assert changed["version"] == 1
    # The planner sees who asked for what.
    assert (changed["review"]["decided_by"]["sub"], changed["review"]["comment"]) == (
        "reviewer-1", "Add the minutes of the IAG meeting of 2 May.")
    assert changed["review"]["section_comments"] == [
        {"section": key, "comment": text} for key, text in section_comments.items()]

    # The planner revises and resubmits: a new round, and a new link for reviewer-1.
    patched = ok(requests.patch(
        system.url("authoring") + f"/api/v1/cias/{cia['id']}",
        headers={**PLANNER, "If-Match": changed["etag"]},
        json={"content": {"header": {"title": "CIA: North End, Croydon (IAG minutes added)"}}},
        timeout=10))
    submit_for(system, cia["id"], ["reviewer-1"])
    second = wait_for(lambda: receiver.of_type("review.requested")[1:], 60,
                      message="the second review.requested")[0]
    second_data = json.loads(second.body)["data"]
    assert (second_data["version"], second_data["round"]) == (1, 2)
    second_link = second_data["action_links"]["reviewer-1"]
    assert second_link != first_link

    resp = page.goto(second_link)
    assert resp.status == 200
    text = page.inner_text("main")
    assert patched["content"]["header"]["title"] in text
    assert "Earlier review rounds" in text and "Add the minutes of the IAG meeting" in text
    # What changed since round 1: the title, old and new.
    changes = page.inner_text("section[aria-labelledby=s-changes]")
    assert "What changed since review round 1" in changes
    assert cia["content"]["header"]["title"] in changes
    assert patched["content"]["header"]["title"] in changes
    shots = screenshot_dir(tmp_path)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=os.path.join(shots, "action-page-desktop.png"), full_page=True)
    phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                             is_mobile=True)
    assert phone.goto(second_link).status == 200  # opening the page does not spend the link
    # Nothing is wider than the phone's screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=os.path.join(shots, "action-page-phone.png"), full_page=True)
    phone.close()
    page.click("button:has-text('Approve')")
    assert page.inner_text("h1") == "Decision recorded"
    assert "The review is now approved" in page.inner_text("main")

    approved = wait_status(system, cia["id"], "approved")
    assert approved["version"] == 1
    rounds = sorted(reviews_of(system, cia["id"]), key=lambda r: r["round"])
    assert [(r["round"], r["state"], [d["channel"] for d in r["decisions"]]) for r in rounds] == [
        (1, "changes_requested", ["link"]), (2, "approved", ["link"])]

    # Each link worked once; a tampered one gets a clear page, never a trace.
    for link in (second_link, first_link):
        resp = page.goto(link)
        assert resp.status == 410
        assert page.inner_text("h1") == "Link already used"
    body, mac = second_link.rsplit(".", 1)
    resp = page.goto(f"{body}.{'A' * len(mac)}")
    assert resp.status == 400
    assert page.inner_text("h1") == "Link not valid"
    assert "altered" in page.inner_text("main") and "Traceback" not in page.content()
    # The API agrees nobody decided twice.
    assert ok(requests.get(system.url("review") + f"/api/v1/reviews/{rounds[1]['id']}",
                           headers=REVIEWER, timeout=10))["approvals"] == 1
