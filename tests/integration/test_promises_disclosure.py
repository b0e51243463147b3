"""Promises of the disclosure pass that no other test held it to (issue 27, point 7):
accents in withheld values, long texts withheld by each of their sentences,
JavaScript dropped from legacy PDFs, bundle folder names and ``index.csv`` through
the pass, and a force's own collar-number patterns (``CIA_COLLAR_PATTERNS``).

Each goes through the real disclosure copy of an approved CIA (or the real legacy
upload), is read with the shared leak checker, and has a positive control: the
value is in the full document (or the source file), so its absence from the copy
means it was withheld, not that the checker could not see it."""
from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile

import pymupdf
import pytest

from cia_common.web import db
from cia_schemas.disclosure import MARKERS

from tests.integration.test_authoring_support import (FOI, PLANNER, authorise, content_for,
                                                      create_cia, create_operation, deliver,
                                                      make_app, ok, review_completed, submit)
from tests.integration.test_foi_support import FOI_OFFICER, approve, checked, drain
from tests.integration.test_legacy_documents import made, upload
from tests.leaks import docx_texts, found, norm, pdf_text
from tests.unit.test_legacy_support import raw_streams

pytestmark = pytest.mark.integration

S40, S31 = MARKERS["s40"], MARKERS["s31"]


@pytest.fixture
def app(pg_databases):
    # Nothing here reads a PDF of a CIA: no conversion ahead. PostgreSQL only: nothing
    # here differs by backend.
    app = make_app(pg_databases.new("authoring"), PDF_RENDER_AHEAD=False)
    yield app
    db(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def document(client, cia_id: str, *, disclosure: bool) -> dict[str, str]:
    """Every part of the version 1 DOCX, as ``tests.leaks`` reads it."""
    url = (f"/api/v1/disclosures/{cia_id}/versions/1/document" if disclosure
           else f"/api/v1/cias/{cia_id}/versions/1/document")
    resp = client.get(url, headers=FOI if disclosure else PLANNER)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return docx_texts(resp.data)


def unaccented(text: str) -> str:
    # The service matches with accents dropped (NFKD, marks removed); so must this
    # check, or "Jose Nunez" would pass unseen next to a withheld "José Núñez".
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def shown(values, parts: dict[str, str], *, fold_accents: bool = False) -> list[tuple[str, str]]:
    prep = unaccented if fold_accents else (lambda s: s)
    return [(v, name) for v in values for name, text in parts.items()
            if found(prep(v), prep(text))]


# -- accents ---------------------------------------------------------------------------

def test_a_withheld_name_is_withheld_with_or_without_its_accents(client, app):
    content = content_for("LFR-2026-0042")
    content["engagement_log"][0]["contact_name"] = "José Núñez"  # s40, written with accents
    content["risks"][0]["owner"] = "Zoe Lefevre"  # s40, written without
    # Open text writing each the other way.
    content["communications"]["plan"] += " Leaflets agreed with Jose Nunez."
    content["area_profile"]["local_context"] += " Zoë Lefèvre spoke for the traders."
    content["community_sentiment"]["summary"] += " NUNEZ and Lefèvre will report back."
    _op, cia = approve(app, client, content)

    forms = ["José Núñez", "Jose Nunez", "Núñez", "Nunez", "Zoe Lefevre", "Zoë Lefèvre",
             "Lefèvre", "Lefevre"]
    full = document(client, cia["id"], disclosure=False)
    # Positive control: each form as written is in the full document, seen by the checker.
    assert {v for v, _ in shown(forms, full)} == {"José Núñez", "Jose Nunez", "Núñez",
                                                  "Nunez", "Zoe Lefevre", "Zoë Lefèvre",
                                                  "Lefèvre", "Lefevre"}
    parts = document(client, cia["id"], disclosure=True)
    assert shown(forms, parts, fold_accents=True) == []
    body = parts["word/document.xml"]
    assert norm(f"Leaflets agreed with {S40}.") in body
    assert norm(f"{S40} spoke for the traders.") in body
    assert norm(f"{S40} and {S40} will report back.") in body


# -- long texts: each of their sentences -----------------------------------------------

INTEL = ("Offenders from the Quellbury robbery series gather by the fountain before noon. "
         "They leave towards the tram stop once patrols appear. "
         "Analysts expect the pattern to hold into the summer months.")


def test_a_sentence_of_a_withheld_long_text_is_withheld_where_it_is_quoted(client, app):
    content = content_for("LFR-2026-0042")
    content["intelligence_case"]["summary"] = INTEL  # s31, long: three sentences
    # Each quoted alone in open text, without the rest of the withheld text.
    content["communications"]["plan"] += " They leave towards the tram stop once patrols appear."
    content["area_profile"]["local_context"] += (
        " Residents were told: analysts expect the pattern to hold into the summer months.")
    _op, cia = approve(app, client, content)

    sentences = ["They leave towards the tram stop once patrols appear",
                 "tram stop once patrols appear",
                 "Analysts expect the pattern to hold into the summer months",
                 "hold into the summer months"]
    full = document(client, cia["id"], disclosure=False)
    assert {v for v, _ in shown(sentences, full)} == set(sentences)  # positive control
    parts = document(client, cia["id"], disclosure=True)
    assert shown(sentences, parts) == []
    body = parts["word/document.xml"]
    # Withheld in place; the open text around the quotes stays.
    assert norm(f"results published within one month. {S31}.") in body
    assert norm(f"Residents were told: {S31}.") in body
    log = ok(client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/redaction-log",
                        headers=FOI))
    assert {"/communications/plan", "/area_profile/local_context"} <= {
        e["pointer"] for e in log if e["detector"] == "withheld_value"}


# -- JavaScript dropped from legacy PDFs -----------------------------------------------

SCRIPTS = ("ZQJS-OPEN", "ZQJS-CLOSE", "ZQJS-NAMETREE", "ZQJS-PAGEOPEN", "ZQJS-LINK",
           "ZQJS-FIELD")
JS_NAMES = re.compile(rb"/(?:JavaScript|JS)(?![A-Za-z0-9])")


def js_pdf() -> bytes:
    """A PDF carrying JavaScript in every usual place: the catalogue's OpenAction and
    additional actions, the document-level name tree (the script in a stream of its
    own), the page's open action, a link annotation and a form field's keystroke."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 100), "An open sentence about the deployment.", fontname="helv",
                     fontsize=11)
    widget = pymupdf.Widget()
    widget.field_name = "contact"
    widget.field_type = pymupdf.PDF_WIDGET_TYPE_TEXT
    widget.rect = pymupdf.Rect(72, 400, 300, 420)
    widget.script = "app.alert('ZQJS-FIELD');"
    page.add_widget(widget)
    catalog = doc.pdf_catalog()
    doc.xref_set_key(catalog, "OpenAction", "<</S/JavaScript/JS(app.alert\\('ZQJS-OPEN'\\))>>")
    doc.xref_set_key(catalog, "AA", "<</WC<</S/JavaScript/JS(app.alert\\('ZQJS-CLOSE'\\))>>>>")
    script = doc.get_new_xref()
    doc.update_object(script, "<<>>")
    doc.update_stream(script, b"app.alert('ZQJS-NAMETREE');", new=True)
    action = doc.get_new_xref()
    doc.update_object(action, f"<</S/JavaScript/JS {script} 0 R>>")
    doc.xref_set_key(catalog, "Names", f"<</JavaScript<</Names[(init) {action} 0 R]>>>>")
    doc.xref_set_key(page.xref, "AA", "<</O<</S/JavaScript/JS(app.alert\\('ZQJS-PAGEOPEN'\\))>>>>")
    link = doc.get_new_xref()
    doc.update_object(link, "<</Type/Annot/Subtype/Link/Rect[72 200 200 220]/Border[0 0 0]"
                            "/A<</S/JavaScript/JS(app.alert\\('ZQJS-LINK'\\))>>>>")
    annots = doc.xref_get_key(page.xref, "Annots")[1].strip("[]").strip()
    doc.xref_set_key(page.xref, "Annots", f"[{annots} {link} 0 R]")
    data = doc.tobytes(deflate=True)
    doc.close()
    return data


def scripts_in(data: bytes) -> list[str]:
    """JavaScript names and planted script texts in any object or stream, decompressed."""
    raw = raw_streams(data)
    return sorted({m.decode() for m in JS_NAMES.findall(raw)}
                  | {s for s in SCRIPTS if s.encode() in raw})


def test_javascript_is_dropped_from_a_legacy_pdf(app, client):
    source = js_pdf()
    # Positive control: read the same way, the source holds every script.
    assert scripts_in(source) == sorted({"/JS", "/JavaScript", *SCRIPTS})
    op = create_operation(client, reference="LFR-2019-0031")
    doc = ok(upload(client, op["id"], source, name="scripted.pdf"), 201)
    assert doc["format"] == "pdf"
    made(app)  # the flattened copy, made by the worker's job
    resp = client.get(f"/api/v1/documents/{doc['id']}/disclosure", headers=FOI)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert scripts_in(resp.data) == []
    assert found("An open sentence about the deployment", pdf_text(resp.data))  # the page stayed


# -- bundle folder names and index.csv -------------------------------------------------

WITHHELD_NAME = "Ottoline Vasquez-Brannigan"
PHONE = "07700 900461"


def approved_with(app, client, reference: str, content: dict, **operation) -> tuple[dict, str]:
    op = create_operation(client, reference=reference, **operation)
    authorise(client, op["id"])
    cia = create_cia(client, op["id"], content)
    submit(client, cia["id"])
    assert deliver(app, review_completed(cia["id"], 1, "approved"))
    return op, cia["id"]


def test_bundle_folder_names_and_index_cells_go_through_the_pass(client, app):
    # A: a name withheld by its field (s40) that the operation's borough repeats,
    # beside a phone number a detector finds.
    named = content_for("LFR-2026-0061")
    named["engagement_log"][0]["contact_name"] = WITHHELD_NAME
    borough = f"Croydon (ask {WITHHELD_NAME} on {PHONE})"
    op_a, a = approved_with(app, client, "LFR-2026-0061", named, borough=borough)
    # B: a censor rule withholds its reference, which names its folder.
    _op_b, b = approved_with(app, client, "LFR-2026-0062", content_for("LFR-2026-0062"))
    ok(client.post("/api/v1/disclosures/rules", headers=FOI_OFFICER, json={
        "cia_id": b, "kind": "literal", "pattern": "LFR-2026-0062", "exemption": "s31",
        "reason": "The reference ties the operation to a tactic."}), 201)
    drain(app)  # the worker renders B's copy again with the rule
    checked(app)
    for cia_id in (a, b):
        ok(client.post(f"/api/v1/disclosures/{cia_id}/versions/1/release", headers=FOI_OFFICER))

    resp = client.get("/api/v1/disclosures/bundle", headers=FOI)
    assert resp.status_code == 200 and resp.headers["X-Bundle-Copies"] == "2"
    with zipfile.ZipFile(io.BytesIO(resp.data)) as zf:
        names = zf.namelist()
        index_text = zf.read("index.csv").decode("utf-8")
    folders = sorted({n.split("/")[0] for n in names if "/" in n})
    rows = list(csv.DictReader(io.StringIO(index_text)))
    cells = [v for row in rows for v in row.values() if v]
    texts = {"folder names": norm("\n".join(folders)), "file names": norm("\n".join(names)),
             "index.csv": norm("\n".join(cells))}

    # Positive controls: the operation holds the values, a folder is named by its
    # reference where nothing withholds it, and both copies are listed.
    assert ok(client.get(f"/api/v1/operations/{op_a['id']}", headers=PLANNER))["borough"] == borough
    assert "LFR-2026-0061-v1" in folders and len(folders) == 2
    assert len([r for r in rows if r["format"] == "docx"]) == 2
    leaks = [(v, where) for v in (WITHHELD_NAME, "Vasquez-Brannigan", "Ottoline", PHONE,
                                  "LFR-2026-0062")
             for where, text in texts.items() if found(v, text)]
    assert leaks == []
    # Redacted in place: the rest of the borough stays.
    [borough_cell] = {r["borough"] for r in rows if r["reference"] == "LFR-2026-0061"}
    assert borough_cell == f"Croydon (ask {S40} on {S40})"


# -- CIA_COLLAR_PATTERNS ---------------------------------------------------------------

# A force whose officers' numbers read "GMP/07731": no default (MPS) form matches it.
FORCE_PATTERN = r"(?<![\w/])GMP/(?P<number>\d{5})(?!\w)"


def test_a_forces_own_collar_pattern_is_honoured_in_the_copy(pg_databases, monkeypatch):
    content = content_for("LFR-2026-0042")
    content["communications"]["plan"] += " Leaflets signed off by officer GMP/07731."

    def copy_of(**env) -> dict[str, str]:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        app = make_app(pg_databases.new("authoring"), PDF_RENDER_AHEAD=False)
        try:
            client = app.test_client()
            _op, cia = approve(app, client, content)
            return document(client, cia["id"], disclosure=True)
        finally:
            db(app).dispose()

    # Control: with the default patterns the number is disclosed, so it is the
    # setting below that withholds it.
    assert found("GMP/07731", copy_of()["word/document.xml"])
    parts = copy_of(CIA_COLLAR_PATTERNS=json.dumps([FORCE_PATTERN]))
    assert shown(["07731"], parts) == []
    # Only the named group goes: the prefix stays, as the setting documents.
    assert norm(f"signed off by officer GMP/{S40}.") in parts["word/document.xml"]
