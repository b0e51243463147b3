"""Every CSV the authoring service writes is data, never formulas (issue 33): a hostile
text of each formula character in every text field that reaches an export, every export
read back with the ``csv`` module, opened by LibreOffice Calc (converted to .xlsx and read
with openpyxl), the deployment grid imported again, and the names inside the bundle and
FOI attachments zips."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
import zipfile
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from cia_authoring.cells import FORMULA_STARTS, looks_like_formula, quote
from cia_authoring.documents.libreoffice import PROFILE_PREFIX, owner_tag
from cia_authoring.operations.models import Operation
from cia_common.web import db
from tests.integration.test_authoring_support import (FOI, PLANNER, app, authorise, client,
                                                      content_for, create_cia, create_operation,
                                                      deliver, example, get_cia, libreoffice,
                                                      make_app, ok, problem, review_completed,
                                                      submit)
from tests.integration.test_foi_requests import BASE, REQUESTER, new_request
from tests.integration.test_foi_support import FOI_OFFICER, checked, drain
from tests.integration.test_grid_import import run_import
from tests.integration.test_legacy_documents import upload
from tests.support import is_ci
from tests.unit.test_legacy_support import PLANTED, planted_docx

pytestmark = pytest.mark.integration
__all__ = ["app", "client", "libreoffice"]  # fixtures

# Imported grid rows of 2025: (location, borough, ward), one formula character each.
GRID = [
    ('=HYPERLINK("http://example.org/x","Click")', "=1+2 Borough", "=1+2 Ward"),
    ("+1+2 Bridge", "+1+2 Borough", "+1+2 Ward"),
    ("-2+3 Market", "-2+3 Borough", "-2+3 Ward"),
    ("@SUM(1+2) Square", "@SUM(1+2) Borough", "@SUM(1+2) Ward"),
]
GRID_HEADER = ["Location", "Date", "Use case", "Borough", "Ward", "Total alerts",
               "True alerts confirmed", "True alerts unconfirmed", "False alerts confirmed",
               "False alerts unconfirmed", "IC1 true alerts", "IC1 true alert engagements",
               "IC1 false alerts", "IC1 false alert engagements"]
# An operation of 2026 entered through the API: tab and carriage return (which a grid
# import trims) and the rest. Its name and ward, the CIA's title and the legacy
# document's title reach no CSV today; they are planted all the same, so that a column
# added later is checked too.
OPERATION = {"name": "=cmd|' /C calc'!A0", "borough": "\t=1+2 Tab Borough",
             "ward": "\r=1+2 Ward", "location_name": "\r-2+3 Location"}
CIA_TITLE = "-2+3 CIA title"
LEGACY_TITLE = "+1+2 legacy title"
TERM_REASON = "=1+2 term reason"
RULE_REASON = "@SUM(1+2) rule reason"
WITHHELD = "-withheld-"  # a censor rule's replacement of the reference: bundle folder names


def write_grid(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)  # the hostile file as anyone could write it: nothing quoted
        w.writerow(GRID_HEADER)
        for i, (location, borough, ward) in enumerate(GRID, start=1):
            w.writerow([location, f"2025-03-0{i}", "Crime hotspot", borough, ward,
                        2, 1, 0, 1, 0, 1, 1, 1, 1])
    return path


def seed_operation(app, client) -> tuple[dict, str, str]:
    """The API operation: a global censor rule on its reference, its CIA approved with an
    outcome record (version 2) and released, a legacy document redacted and released.
    Returns the operation, the CIA id and the legacy document id."""
    op = create_operation(client, **OPERATION)
    ok(client.post("/api/v1/disclosures/rules", headers=FOI, json={
        "kind": "literal", "pattern": op["reference"], "replacement": WITHHELD,
        "exemption": "s31", "reason": RULE_REASON}), 201)
    authorise(client, op["id"])
    content = content_for(op["reference"])
    content["header"]["title"] = CIA_TITLE
    cia = create_cia(client, op["id"], content)
    submit(client, cia["id"])
    assert deliver(app, review_completed(cia["id"], 1, "approved"))
    ok(client.post(f"/api/v1/operations/{op['id']}/status", json={"status": "deployed"},
                   headers=PLANNER))
    ok(client.post(f"/api/v1/cias/{cia['id']}/amendments", json={"reason": "Outcomes"},
                   headers=PLANNER), 201)
    current = get_cia(client, cia["id"])
    ok(client.patch(f"/api/v1/cias/{cia['id']}", headers={**PLANNER, "If-Match": current["etag"]},
                    data=json.dumps({"content": {"post_deployment_review":
                                                 example("post-deployment-review.json")}}),
                    content_type="application/merge-patch+json"))
    submit(client, cia["id"])
    assert deliver(app, review_completed(cia["id"], 2, "approved"))
    drain(app)  # the worker renders what the censor rule changes
    checked(app)  # and reads the copy by sight
    ok(client.post(f"/api/v1/disclosures/{cia['id']}/versions/2/release", headers=FOI_OFFICER))
    doc = ok(upload(client, op["id"], planted_docx(), title=LEGACY_TITLE), 201)
    ok(client.post(f"/api/v1/documents/{doc['id']}/redactions", headers=FOI,
                   json={"text": PLANTED, "exemption": "s40", "reason": TERM_REASON}), 201)
    ok(client.post(f"/api/v1/documents/{doc['id']}/release", json={}, headers=FOI))
    return op, cia["id"], doc["id"]


def csv_rows(data: bytes | str) -> list[list[str]]:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return list(csv.reader(io.StringIO(text, newline="")))


def formula_cells(rows: list[list[str]]) -> list[str]:
    return [c for row in rows for c in row if looks_like_formula(c)]


def column(rows: list[list[str]], name: str) -> list[str]:
    header = next(r for r in rows if name in r)
    at = header.index(name)
    return [r[at] for r in rows[rows.index(header) + 1:] if len(r) > at]


def zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def check_names(names) -> list[str]:
    """The path parts inside a zip that begin with a formula character."""
    return [n for n in names for part in n.split("/") if part[:1] in FORMULA_STARTS]


def calc_to_xlsx(soffice: str, sources: list[Path], outdir: Path) -> dict[str, Path]:
    """Every CSV opened by LibreOffice Calc and saved as .xlsx, in one run with a
    profile of its own (named as ``documents.libreoffice`` names its profiles, so the
    worker's sweep would recognise one left behind)."""
    profile = Path(tempfile.gettempdir()) / f"{PROFILE_PREFIX}{owner_tag()}-{uuid.uuid4().hex}"
    argv = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible",
            "--nologo", "--nodefault", "--norestore", "--nolockcheck",
            "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir", str(outdir),
            *map(str, sources)]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "HOME": str(outdir)})
    try:
        output, _ = proc.communicate(timeout=120)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher's children too
        except (ProcessLookupError, PermissionError):
            pass
        proc.communicate()
        shutil.rmtree(profile, ignore_errors=True)
    converted = {s.stem: outdir / f"{s.stem}.xlsx" for s in sources}
    if not all(p.is_file() for p in converted.values()):
        message = ("LibreOffice Calc (libreoffice-calc-nogui) converted nothing: "
                   + output.decode(errors="replace")[-300:])
        if is_ci():
            pytest.fail(message)
        pytest.skip(message)
    return converted


def calc_opens_as_data(soffice: str, exports: dict[str, bytes], tmp_path: Path) -> None:
    sources = []
    for name, data in exports.items():
        sources.append(tmp_path / "csv" / f"{name}.csv")
        sources[-1].parent.mkdir(exist_ok=True)
        sources[-1].write_bytes(data)
    control = tmp_path / "csv" / "control.csv"
    with control.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerow([GRID[0][0], "=2*3"])  # as a writer of its own would
    converted = calc_to_xlsx(soffice, [*sources, control], tmp_path / "xlsx")
    found = {}
    for name, path in converted.items():
        sheet = openpyxl.load_workbook(path).active
        found[name] = [c.coordinate for row in sheet.iter_rows() for c in row
                       if c.data_type == "f"]
    assert found == {**{name: [] for name in converted}, "control": ["A1", "B1"]}
    sheet = openpyxl.load_workbook(converted["deployments"]).active
    shown = [c.value for c in sheet["A"]]
    assert [quote(loc) for loc, _b, _w in GRID] == shown[1:1 + len(GRID)]


def test_every_export_writes_hostile_text_as_data_and_reads_it_back(app, client, databases,
                                                                    tmp_path, request):
    url = app.config["DATABASE_URL"]
    result = run_import(url, write_grid(tmp_path / "hostile-grid.csv"), "--strict")
    assert result.exit_code == 0, result.output
    op, cia_id, doc_id = seed_operation(app, client)
    with db(app).sessions() as s:  # stored as entered: the quote is an export matter only
        stored = {o.location_name: o.borough for o in s.execute(sa.select(Operation)).scalars()}
    assert stored == {**{loc: borough for loc, borough, _w in GRID},
                      OPERATION["location_name"]: OPERATION["borough"]}

    exports: dict[str, bytes] = {}
    deployments = client.get("/api/v1/statistics/deployments", headers=FOI)
    assert deployments.mimetype == "text/csv"
    exports["deployments"] = deployments.data
    alerts = client.get("/api/v1/statistics/alerts", headers=FOI,
                        query_string={"format": "csv", "group_by": "borough"})
    assert alerts.mimetype == "text/csv"
    exports["alerts-by-borough"] = alerts.data
    exports["cia-redaction-log"] = client.get(
        f"/api/v1/disclosures/{cia_id}/versions/2/redaction-log?format=csv", headers=FOI).data
    exports["legacy-redaction-log"] = client.get(
        f"/api/v1/documents/{doc_id}/redaction-log?format=csv", headers=FOI).data
    bundle = client.get("/api/v1/disclosures/bundle?from=2026-01-01&to=2026-12-31", headers=FOI)
    assert bundle.status_code == 200
    zips = {"bundle": zip_members(bundle.data)}
    req = new_request(client)
    ok(client.put(f"{BASE}/{req['id']}/questions/1/answer", headers=FOI,
                  json={"kind": "disclosed", "from": "2026-05-01", "to": "2026-05-31"}))
    attachments = client.get(f"{BASE}/{req['id']}/attachments", headers=FOI)
    assert attachments.status_code == 200
    zips["attachments"] = zip_members(attachments.data)
    for zname, members in zips.items():
        for name, data in members.items():
            if name.endswith(".csv"):
                exports[f"{zname}-{name.replace('/', '-')}"] = data

    # The csv module: no cell starts a formula; each hostile text is there, quoted.
    rows = {name: csv_rows(data) for name, data in exports.items()}
    assert {name: formula_cells(r) for name, r in rows.items()} == {name: [] for name in rows}
    locations = [loc for loc, _b, _w in GRID] + [OPERATION["location_name"]]
    boroughs = [b for _l, b, _w in GRID] + [OPERATION["borough"]]
    grid_csv = rows["deployments"]
    assert column(grid_csv, "Location") == [quote(v) for v in locations]  # by date
    assert column(grid_csv, "Borough") == [quote(v) for v in boroughs]
    assert column(grid_csv, "Reference")[-1] == quote(WITHHELD)  # the censor rule's replacement
    assert set(column(rows["alerts-by-borough"], "borough")) == {*map(quote, boroughs), "total"}
    assert column(rows["cia-redaction-log"], "reason").count(quote(RULE_REASON)) >= 1
    assert column(rows["legacy-redaction-log"], "reason").count(quote(TERM_REASON)) >= 1
    for zname, members in zips.items():
        index = rows[f"{zname}-index.csv"]
        assert set(column(index, "borough")) == {quote(OPERATION["borough"])}, zname
        assert set(column(index, "reference")) == {"_withheld-"}, zname
        logs = [rows[n] for n in rows if n.startswith(zname) and n.endswith("redaction-log.csv")]
        assert len(logs) == 2, zname  # the CIA's copy and the legacy document
        assert any(quote(RULE_REASON) in column(r, "reason") for r in logs), zname
        assert any(quote(TERM_REASON) in column(r, "reason") for r in logs), zname
        # Names inside the zip: none starts a formula; the folders are the rule's replacement.
        assert check_names(members) == [], zname
        folders = {n.split("/")[0] for n in members if "/" in n}
        assert {f.split("-v")[0].split("-legacy-")[0] for f in folders} == {"_withheld-"}, zname
        assert not any(op["reference"] in n for n in members)
    # The FOI reference is printed in file names: it cannot start with a formula character.
    problem(client.post(BASE, headers=FOI, json={
        "reference": "=1+2", "received_on": "2026-10-01", "requester": REQUESTER,
        "questions": [{"number": 1, "text": "Any CIA."}]}), 422)
    assert attachments.headers["Content-Disposition"].endswith(
        f'filename="{req["reference"]}-attachments.zip"')

    # The export of the imported rows, imported into another database, gives back the
    # same text; exported there, the same file.
    in_2025 = client.get("/api/v1/statistics/deployments?from=2025-01-01&to=2026-01-01",
                         headers=FOI)
    assert len(csv_rows(in_2025.data)) == 1 + len(GRID)
    exported = tmp_path / "exported.csv"
    exported.write_bytes(in_2025.data)
    other = make_app(databases.new("other"))
    try:
        result = run_import(other.config["DATABASE_URL"], exported, "--strict")
        assert result.exit_code == 0, result.output
        with db(other).sessions() as s:
            again = {o.location_name: o.borough
                     for o in s.execute(sa.select(Operation)).scalars()}
        assert again == {loc: borough for loc, borough, _w in GRID}
        assert other.test_client().get("/api/v1/statistics/deployments",
                                       headers=FOI).data == in_2025.data
    finally:
        db(other).dispose()

    # LibreOffice Calc opens each CSV (one run for all): no formula cell, the text is
    # there; a CSV with a formula written unquoted (the control) does make one.
    calc_opens_as_data(request.getfixturevalue("libreoffice"), exports, tmp_path)
