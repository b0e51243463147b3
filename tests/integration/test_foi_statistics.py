"""Outcome statistics (alerts by IC code, year, borough; the deployment grid) and
the import of historic deployment grids with ``cia import-deployments``."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cia_authoring.statistics import grid
from cia_authoring.statistics import importer
from cia_authoring.statistics.models import ImportedDeployment
from cia_authoring.statistics.suppression import MEASURES, SUPPRESSED, suppress
from cia_authoring.cias.models import Cia, CiaVersion
from cia_authoring.operations.models import Operation
from cia_common.cli import main as cia
from cia_common.web import db

from tests.integration.test_authoring_support import (ADMIN, FOI, PLANNER, REVIEWER, app, client,
                                                      deliver, example, get_cia, make_app, ok,
                                                      problem, review_completed)
from tests.integration.test_foi_support import approve

# What differs by backend (counts): on SQLite and PostgreSQL both.
pytestmark = [pytest.mark.integration, pytest.mark.backends("sqlite", "postgresql")]
__all__ = ["app", "client"]

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "deployments-sample.csv"
SOURCE = "MPS published deployment grid 2016-2022"
ALERTS = "/api/v1/statistics/alerts"


def run_import(url: str, path: Path, *args: str):
    return CliRunner().invoke(cia, ["import-deployments", str(path), "--database-url", url,
                                    *args])


def raw_counts(records, group_of) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for r in records:
        for row in r.pdr.get("ic_breakdown", []):
            cell = counts.setdefault(group_of(r, row), {m: 0 for m in MEASURES})
            for m in MEASURES:
                cell[m] += row[m]
    return counts


def as_api(table) -> tuple[dict, dict]:
    def cell(v):
        return {"suppressed": True} if v is SUPPRESSED else v
    return ({g: {m: cell(v) for m, v in table.cells[g].items()} for g in table.groups},
            {m: cell(v) for m, v in table.totals.items()})


def test_imported_grid_answers_the_ic_code_question_with_small_numbers_suppressed(app, client):
    url = app.config["DATABASE_URL"]
    result = run_import(url, SAMPLE, "--source", SOURCE)
    assert result.exit_code == 0, result.output
    assert f"Imported 6 deployment(s) from deployments-sample.csv (source: {SOURCE})" in result.output
    records = importer.read(SAMPLE.read_text())[0]

    by_ic = ok(client.get(ALERTS, query_string={"from": "2016-01-01", "to": "2022-12-31"},
                          headers=FOI))
    assert by_ic["group_by"] == "ic_code"
    assert by_ic["deployments"] == 4 and by_ic["deployments_without_ic_breakdown"] == 2
    assert by_ic["suppression"]["threshold"] == 4 and "add up to more than 4" in by_ic["suppression"]["rule"]
    ic_codes = ["IC1", "IC2", "IC3", "IC4", "IC5", "IC6", "IC9"]
    expected_cells, expected_total = as_api(suppress(
        ic_codes, raw_counts(records, lambda r, row: row["ic_code"]), 4))
    assert [r["group"] for r in by_ic["rows"]] == ic_codes
    assert by_ic["rows"][2]["label"] == "Black"
    assert {r["group"]: {m: r[m] for m in MEASURES} for r in by_ic["rows"]} == expected_cells
    assert by_ic["total"] == expected_total
    raw = raw_counts(records, lambda r, row: row["ic_code"])
    suppressed = [(g, m) for g in raw for m in MEASURES if 1 <= raw[g][m] <= 4]
    assert suppressed  # the sample has small numbers, so the rule is exercised
    for g, m in suppressed:
        assert by_ic["rows"][ic_codes.index(g)][m] == {"suppressed": True}

    # The same totals whichever way the table is grouped.
    by_year = ok(client.get(ALERTS, query_string={"group_by": "year"}, headers=ADMIN))
    by_borough = ok(client.get(ALERTS, query_string={"group_by": "borough"}, headers=FOI))
    assert [r["group"] for r in by_year["rows"]] == ["2018", "2020", "2022"]
    assert [r["group"] for r in by_borough["rows"]] == ["Westminster"]
    assert by_year["total"] == by_borough["total"] == by_ic["total"]
    assert by_borough["rows"][0] == {"group": "Westminster", "label": "Westminster",
                                     **by_borough["total"]}
    assert ok(client.get(ALERTS, query_string={"from": "2021-01-01"}, headers=FOI))["deployments"] == 2

    # CSV (Accept or format) and a PNG chart of the same numbers.
    for resp in (client.get(ALERTS, headers={**FOI, "Accept": "text/csv"}),
                 client.get(ALERTS, query_string={"format": "csv"}, headers=FOI)):
        assert resp.status_code == 200 and resp.mimetype == "text/csv"
        text = resp.get_data(as_text=True)
        assert text.startswith("# LFR alerts and engagements by IC code, all deployments\n")
        rows = list(csv.reader(line for line in io.StringIO(text) if not line.startswith("# ")))
        assert rows[0] == ["ic_code", "label", *MEASURES]
        assert rows[-1][:2] == ["total", "All"]
        assert "[c]" in {c for row in rows for c in row}
        assert not {"1", "2", "3", "4"} & {c for row in rows[1:] for c in row[2:]}
    for resp in (client.get(ALERTS, query_string={"format": "png", "group_by": "year"},
                            headers=FOI),
                 client.get(ALERTS, headers={**ADMIN, "Accept": "image/png"})):
        assert resp.status_code == 200 and resp.mimetype == "image/png"
        assert resp.data.startswith(b"\x89PNG\r\n\x1a\n") and len(resp.data) > 5000
    problem(client.get(ALERTS, query_string={"group_by": "ward"}, headers=FOI), 422)
    problem(client.get(ALERTS, headers={**FOI, "Accept": "application/xml"}), 406)
    for who in (PLANNER, REVIEWER):
        problem(client.get(ALERTS, headers=who), 403)


def test_the_suppression_threshold_is_configurable(databases):
    app = make_app(databases.new("authoring"), STATS_SUPPRESSION_THRESHOLD=0)
    try:
        assert run_import(app.config["DATABASE_URL"], SAMPLE).exit_code == 0
        body = ok(app.test_client().get(ALERTS, headers=FOI))
        raw = raw_counts(importer.read(SAMPLE.read_text())[0], lambda r, row: row["ic_code"])
        assert {r["group"]: {m: r[m] for m in MEASURES} for r in body["rows"] if r["group"] in raw} == raw
        assert body["suppression"]["threshold"] == 0
    finally:
        db(app).dispose()
    with pytest.raises(ValueError):
        make_app(databases.new("bad"), STATS_SUPPRESSION_THRESHOLD=-1)


def test_deployment_grid_csv_reads_back_into_another_database(app, client, databases, tmp_path):
    assert run_import(app.config["DATABASE_URL"], SAMPLE).exit_code == 0
    resp = client.get("/api/v1/statistics/deployments", headers=FOI)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    text = resp.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(grid.COLUMNS) and len(rows) == 6
    oxford = next(r for r in rows if r["Reference"] == "LFR-2020-0003")
    assert oxford["Location"] == "Oxford Circus" and oxford["Date"] == "2020-02-27"
    assert oxford["Duration"] == "6:30" and oxford["Use case"] == "Crime hotspot"
    assert (oxford["Total alerts"], oxford["True alerts confirmed"], oxford["Faces seen"]) == \
        ("8", "4", "8600")
    assert float(oxford["False alert rate"]) == pytest.approx(3 / 8600, rel=1e-5)
    assert oxford["Watchlist size"] == "7292" and oxford["Threshold"] == "0.6"
    in_range = list(csv.DictReader(io.StringIO(client.get(
        "/api/v1/statistics/deployments?from=2022-01-01&to=2022-12-31", headers=ADMIN)
        .get_data(as_text=True))))
    assert [r["Date"] for r in in_range] == ["2022-01-28", "2022-07-14"]
    problem(client.get("/api/v1/statistics/deployments", headers=PLANNER), 403)

    # The export is the import's layout: another database gets the same records.
    other = databases.new("other")
    path = tmp_path / "exported.csv"
    path.write_text(text)
    result = run_import(other, path, "--source", "re-import")
    assert result.exit_code == 0, result.output
    assert "Imported 6 deployment(s)" in result.output
    engine = sa.create_engine(other)
    with engine.connect() as conn:
        refs = set(conn.execute(sa.select(Operation.reference)).scalars())
    engine.dispose()
    assert "LFR-2020-0003" in refs and len(refs) == 6


def test_import_is_all_or_nothing_reports_lines_and_never_duplicates(app, client, tmp_path):
    url = app.config["DATABASE_URL"]
    lines = SAMPLE.read_text().splitlines()
    bad = tmp_path / "grid.csv"
    bad.write_text("\n".join([lines[0], lines[1], lines[2].replace(",8:00,", ",8 hours-ish,"),
                              lines[3].replace(",6,2,0,3,1,", ",7,2,0,3,1,"), lines[4]]) + "\n")
    result = run_import(url, bad)
    assert result.exit_code == 1
    assert "grid.csv: line 3: Duration: '8 hours-ish' is not a duration" in result.output
    assert "grid.csv: line 4: Total alerts:" in result.output
    assert "Nothing imported: 2 bad row(s)" in result.output
    with db(app).sessions() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Operation)).scalar_one() == 0

    result = run_import(url, bad, "--skip-invalid", "--source", "partial grid")
    assert result.exit_code == 0, result.output
    assert "Imported 2 deployment(s)" in result.output and "2 bad row(s) skipped" in result.output

    result = run_import(url, SAMPLE, "--source", SOURCE)
    assert result.exit_code == 0, result.output
    assert "Imported 4 deployment(s)" in result.output and "2 already imported" in result.output
    again = run_import(url, SAMPLE, "--source", "another name for the same file")
    assert "Imported 0 deployment(s)" in again.output and "6 already imported" in again.output

    with db(app).sessions() as s:
        ops = s.execute(sa.select(Operation)).scalars().all()
        assert len(ops) == 6 and {o.status for o in ops} == {"completed"}
        imported = s.execute(sa.select(ImportedDeployment)).scalars().all()
        assert {i.source for i in imported} == {"partial grid", SOURCE}
        versions = s.execute(sa.select(CiaVersion)).scalars().all()
        assert {v.status for v in versions} == {"approved"} and len(versions) == 6
        assert {v.author_name for v in versions} == {"Imported from partial grid",
                                                     f"Imported from {SOURCE}"}
        stratford = next(o for o in ops if o.location_name == "Westfield Stratford City")
        cia_id = s.execute(sa.select(Cia.id).where(Cia.operation_id == stratford.id)).scalar_one()
    view = ok(client.get(f"/api/v1/cias/{cia_id}", headers=ADMIN))
    assert view["status"] == "approved" and view["operation_reference"] == "LFR-2016-9999"
    pdr = view["content"]["post_deployment_review"]
    assert (pdr["faces_seen"], pdr["total_alerts"], pdr["duration_minutes"]) == (4200, 3, 240)
    assert "ic_breakdown" not in pdr  # that grid row had no per-IC columns
    audit = ok(client.get(f"/api/v1/cias/{cia_id}/audit", headers=ADMIN))
    assert audit["chain_valid"] and audit["entries"][-1]["action"] == "cia.imported"
    assert audit["entries"][-1]["detail"]["source"] == "partial grid"
    assert audit["entries"][-1]["detail"]["line"] == 2


def test_statistics_count_only_the_latest_approved_version(app, client):
    op, cia = approve(app, client)
    ok(client.post(f"/api/v1/operations/{op['id']}/status", json={"status": "deployed"},
                   headers=PLANNER))
    pdr = example("post-deployment-review.json")
    doubled = json.loads(json.dumps(pdr))
    for key in ("faces_seen", "total_alerts", "true_alerts_confirmed", "true_alerts_unconfirmed",
                "false_alerts_confirmed", "false_alerts_unconfirmed", "arrests", "other_action",
                "no_action"):
        doubled[key] *= 2
    for row in doubled["ic_breakdown"]:
        for m in MEASURES:
            row[m] *= 2
    for number, outcome in ((2, pdr), (3, doubled)):
        ok(client.post(f"/api/v1/cias/{cia['id']}/amendments", json={"reason": "Outcomes"},
                       headers=PLANNER), 201)
        current = get_cia(client, cia["id"])
        ok(client.patch(f"/api/v1/cias/{cia['id']}", headers={**PLANNER, "If-Match": current["etag"]},
                        data=json.dumps({"content": {"post_deployment_review": outcome}}),
                        content_type="application/merge-patch+json"))
        ok(client.post(f"/api/v1/cias/{cia['id']}/submit", json={}, headers=PLANNER))
        assert deliver(app, review_completed(cia["id"], number, "approved"))
    assert [v["status"] for v in ok(client.get(f"/api/v1/cias/{cia['id']}/versions",
                                               headers=ADMIN))] == ["superseded"] * 2 + ["approved"]
    body = ok(client.get(ALERTS, query_string={"format": "json"},
                         headers={**FOI, "Accept": "text/csv"}))  # format wins over Accept
    assert body["deployments"] == 1
    assert body["total"]["true_alerts"] == 14  # version 3's figures, not 2's as well
    assert body["rows"][2]["true_alerts"] == 6 and body["rows"][2]["true_alert_engagements"] == 6
    grid_rows = list(csv.DictReader(io.StringIO(client.get(
        "/api/v1/statistics/deployments", headers=FOI).get_data(as_text=True))))
    assert [(r["Reference"], r["Total alerts"]) for r in grid_rows] == [("LFR-2026-0042", "18")]
