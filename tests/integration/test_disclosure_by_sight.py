"""The check by sight before release: a disclosure copy is read as its reader meets it
(LibreOffice's rendering, page by page, read back by OCR) by the worker, and a copy
whose picture shows what the redaction withholds is not released until an FOI
officer has looked at the page and confirmed it.

The hostile template draws a withheld name and phone number as a picture: no text
node of the copy holds them, so only the reading of the rendered page finds them.
The positive control is an ordinary copy, read clean and released.
"""
from __future__ import annotations

import io
import json

import docx
import pytest
from docx.shared import Pt
from PIL import Image, ImageDraw, ImageFont

from cia_common.web import db

from tests.integration.test_authoring_support import (ADMIN, FOI, content_for, libreoffice,
                                                      make_app, ok, problem)
from tests.integration.test_foi_support import FOI_OFFICER, approve, checked
from tests.leaks import norm

pytestmark = pytest.mark.integration
__all__ = ["libreoffice"]

TEMPLATE = "services/cia-authoring/cia_authoring/documents/templates/cia.docx"
# The author of the example content: an inspector, so the copy withholds the name.
WITHHELD_NAME = "Rachel Whitfield"
WITHHELD_PHONE = "07700 900518"
DOCX_MEDIA = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def app(databases, libreoffice):
    app = make_app(databases.new("authoring"), SIGHT_WAIT_SECONDS=0)
    yield app
    db(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def picture_of(text: str) -> bytes:
    """``text`` drawn as a picture, 12 pt at 200 dpi: what a reader reads and no text
    node holds."""
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 34)
    image = Image.new("L", (1400, 60), 255)
    ImageDraw.Draw(image).text((8, 8), text, fill=0, font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def template_drawing(text: str) -> bytes:
    """The shipped CIA template with ``text`` drawn in a picture after its body."""
    document = docx.Document(TEMPLATE)
    paragraph = document.add_paragraph()
    paragraph.add_run("Issued by the planning cell.").font.size = Pt(9)
    document.add_picture(io.BytesIO(picture_of(text)), width=docx.shared.Inches(5))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def upload_template(client, data: bytes) -> None:
    ok(client.put("/api/v1/templates/cia", headers=ADMIN, content_type="multipart/form-data",
                  data={"file": (io.BytesIO(data), "cia.docx")}), 201)


def copy_of(client, cia_id: str) -> dict:
    return ok(client.get(f"/api/v1/disclosures/{cia_id}/versions/1", headers=FOI))


def test_an_ordinary_copy_is_read_clean_and_released(app, client):
    """The positive control: the check finds nothing in an ordinary copy, which is
    released; before the worker read it, release answers 409 checking."""
    _op, cia = approve(app, client, content_for("LFR-2026-0042"))
    url = f"/api/v1/disclosures/{cia['id']}/versions/1/release"
    body = problem(client.post(url, headers=FOI_OFFICER), 409)
    assert body["state"] == "checking" and body["progress"]["done"] == 0
    assert copy_of(client, cia["id"])["sight_check"]["state"] == "checking"

    assert checked(app) == 1
    check = copy_of(client, cia["id"])["sight_check"]
    assert check["state"] == "clean", check
    assert check["progress"]["done"] == check["progress"]["pages"] > 1
    released = ok(client.post(url, headers=FOI_OFFICER))
    assert released["state"] == "released" and released["pdf_sha256"]


def test_with_sight_ahead_off_a_copy_is_read_once_its_release_is_asked_for(app, client):
    """CIA_SIGHT_AHEAD=false: the worker reads no copy of its own accord, but the one
    whose release was asked for (409 checking), which is then released; the check is
    never skipped."""
    app.config["SIGHT_AHEAD"] = False
    _op, cia = approve(app, client, reference="LFR-2026-0043")
    _op, other = approve(app, client, reference="LFR-2026-0044")
    assert checked(app) == 0  # nothing asked for: nothing read
    url = f"/api/v1/disclosures/{cia['id']}/versions/1/release"
    assert problem(client.post(url, headers=FOI_OFFICER), 409)["state"] == "checking"
    assert checked(app) == 1  # the copy asked for, not the other
    assert copy_of(client, other["id"])["sight_check"]["state"] == "checking"
    assert ok(client.post(url, headers=FOI_OFFICER))["state"] == "released"


def test_a_name_drawn_by_the_template_blocks_the_release_until_confirmed(app, client):
    upload_template(client, template_drawing(f"Prepared by {WITHHELD_NAME}, {WITHHELD_PHONE}"))
    _op, cia = approve(app, client, content_for("LFR-2026-0042"))
    # No text node of the copy holds the name: the pass over the file cannot see it.
    copy_docx = client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/document", headers=FOI)
    from cia_redaction.docx import said
    assert norm(WITHHELD_NAME) not in norm(said(copy_docx.data))

    assert checked(app) == 1
    check = copy_of(client, cia["id"])["sight_check"]
    assert check["state"] == "hits", check
    [page] = check["needs_manual_review"]
    kinds = {f["kind"] for f in check["findings"] if f["page"] == page}
    # The name: as the copy's withheld value, or by the name model (of two hits on one
    # span, the detector's is kept); the number by the phone detector.
    assert kinds & {"withheld_value", "person_model"} and "phone" in kinds, kinds

    url = f"/api/v1/disclosures/{cia['id']}/versions/1/release"
    body = problem(client.post(url, headers=FOI_OFFICER), 409)
    assert body["state"] == "needs_manual_review"
    assert body["needs_manual_review"][0]["page"] == page
    assert f"page {page}" in body["detail"] and "phone" in body["detail"]
    # The answer names the page and the kind of hit, never the value.
    answer = norm(json.dumps(body))
    assert norm("Whitfield") not in answer and norm("900518") not in answer

    confirm = f"/api/v1/disclosures/{cia['id']}/versions/1/pages/{page}/confirm"
    problem(client.post(confirm, headers=FOI_OFFICER), 409)  # not looked at yet
    png = client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/pages/{page}.png",
                     headers=FOI_OFFICER)
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    assert _red_pixels(png.data) > 100  # the hit is boxed
    assert ok(client.post(confirm, headers=FOI_OFFICER))["sight_check"]["needs_manual_review"] == []
    assert ok(client.post(url, headers=FOI_OFFICER))["state"] == "released"


def _red_pixels(png: bytes) -> int:
    raw = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    return sum(1 for i in range(0, len(raw), 3)
               if raw[i] > 200 and raw[i + 1] < 60 and raw[i + 2] < 60)


def test_a_letter_whose_template_draws_the_requester_is_not_sent_until_confirmed(app, client,
                                                                                  monkeypatch):
    """The response letter is read by sight before it is sent: a force's letter template
    that draws the requester's name as a picture is stopped at the send; an
    ordinary letter (the tests of test_foi_requests and test_public_log) is sent."""
    from tests.integration.test_foi_requests import BASE, FOI2, REQUESTER, new_request
    from tests.integration.test_foi_support import at

    at(monkeypatch, "2026-11-20T10:00:00")
    document = docx.Document("services/cia-authoring/cia_authoring/documents/templates/"
                             "foi-response.docx")
    document.add_picture(io.BytesIO(picture_of(f"Our caller: {REQUESTER['name']}")),
                         width=docx.shared.Inches(5))
    out = io.BytesIO()
    document.save(out)
    ok(client.put("/api/v1/templates/foi-response", headers=ADMIN,
                  content_type="multipart/form-data",
                  data={"file": (io.BytesIO(out.getvalue()), "foi-response.docx")}), 201)
    req = new_request(client, reference="01.FOI.26.000077", received_on="2026-11-02")
    url = f"{BASE}/{req['id']}"
    for n in (1, 2, 3):
        ok(client.put(f"{url}/questions/{n}/answer", headers=FOI,
                      json={"kind": "not_held", "reason": "Not recorded."}))
    ok(client.post(f"{url}/submit-for-approval", headers=FOI))
    ok(client.post(f"{url}/approve", headers=FOI2))
    body = problem(client.post(f"{url}/send", headers=FOI2, json={}), 409)
    assert body["state"] == "checking"

    assert checked(app) == 1
    body = problem(client.post(f"{url}/send", headers=FOI2, json={}), 409)
    assert body["state"] == "needs_manual_review", body
    [hit] = body["needs_manual_review"]
    assert hit["kinds"] and f"page {hit['page']}" in body["detail"]
    answer = norm(json.dumps(body))
    assert not any(norm(part) in answer for part in REQUESTER["name"].split())
    problem(client.post(f"{url}/response/pages/{hit['page']}/confirm", headers=FOI2), 409)
    png = client.get(f"{url}/response/pages/{hit['page']}.png", headers=FOI2)
    assert png.status_code == 200 and _red_pixels(png.data) > 100
    ok(client.post(f"{url}/response/pages/{hit['page']}/confirm", headers=FOI2))
    assert ok(client.post(f"{url}/send", headers=FOI2, json={}))["state"] == "sent"


def test_the_sweep_lists_only_copies_that_need_a_check(app, client):
    """The worker's sweep: a copy checked clean under the inputs that apply now is not
    listed, one never checked is; a change of inputs (here the resolution read at)
    lists the checked one again."""
    from cia_common.events import utcnow

    from cia_authoring.disclosure import censor_rules, sight_checks
    from cia_authoring.disclosure.models import CLEAN, SightCheck

    _op, done = approve(app, client, reference="LFR-2026-0045")
    _op, waiting = approve(app, client, reference="LFR-2026-0046")
    cfg = dict(app.config)
    with db(app).sessions() as session:
        due = {s.subject_id: s for s in sight_checks.unchecked_copies(session, cfg)}
        assert set(due) == {f"{done['id']}/1", f"{waiting['id']}/1"}  # positive control
        subject = due[f"{done['id']}/1"]
        inputs = sight_checks.fingerprint(censor_rules.applicable(session, done["id"]), cfg)
        assert subject.inputs_sha256 == inputs
        session.add(SightCheck(sha256=subject.sha256, subject=sight_checks.CIA_COPY,
                               subject_id=subject.subject_id, inputs_sha256=inputs, state=CLEAN,
                               pages=1, pages_done=1, findings=[], previewed_pages={},
                               confirmed_pages={}, checked_at=utcnow()))
        session.commit()
        assert [s.subject_id for s in sight_checks.unchecked_copies(session, cfg)] == [
            f"{waiting['id']}/1"]
        finer = {**cfg, "SIGHT_DPI": sight_checks.dpi(cfg) + 50}
        assert {s.subject_id for s in sight_checks.unchecked_copies(session, finer)} == {
            f"{done['id']}/1", f"{waiting['id']}/1"}


def test_what_the_pass_withholds_from_the_template_text_is_in_the_stored_log(app, client):
    """A template whose own fixed text names someone: the whole-document pass withholds
    the name from the file, and the redaction log kept with the copy says so (the log
    printed in the copy is made before the file, so it cannot)."""
    document = docx.Document(TEMPLATE)
    document.add_paragraph("Issued by PC Ian Hart of the planning cell.")
    out = io.BytesIO()
    document.save(out)
    upload_template(client, out.getvalue())
    _op, cia = approve(app, client, reference="LFR-2026-0047")
    base = f"/api/v1/disclosures/{cia['id']}/versions/1"
    data = client.get(f"{base}/document", headers={**FOI, "Accept": DOCX_MEDIA}).data
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "Issued by PC [Redacted — s.40(2)] of the planning cell." in text
    assert "Ian Hart" not in text
    log = ok(client.get(f"{base}/redaction-log", headers=FOI))
    from_file = [e for e in log if e["pointer"].startswith("/document/")]
    assert [(e["pointer"], e["detector"], e["exemption"]) for e in from_file] == [
        ("/document/word/document.xml", "name_after_rank", "s.40(2)")]
    # Positive control: the fields' own entries are there as before.
    assert any(e["pointer"] == "/sign_off/author/name" for e in log)

