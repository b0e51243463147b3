"""``cia import-deployments`` with the grid as the MPS publishes it (CSV and
XLSX, blank cells), the export read back, statistics that count what was
recorded and say what was not, and the migration that lets figures be null."""
from __future__ import annotations

import csv
import io
from datetime import datetime, time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner

from cia_authoring.app import MIGRATIONS
from cia_authoring.statistics.models import ImportedDeployment
from cia_authoring.cias.models import Cia, CiaVersion
from cia_authoring.operations.models import Operation
from cia_common.cli import main as cia
from cia_common.migrate import alembic_config
from cia_common.web import db

from tests.integration.test_authoring_support import ADMIN, FOI, app, client, make_app, ok

# What differs by backend (counts and a migration): on SQLite and PostgreSQL both.
pytestmark = [pytest.mark.integration, pytest.mark.backends("sqlite", "postgresql")]
__all__ = ["app", "client"]

HEADER = ("Deployment Location,Date,Duration,LFR Use Case,Watchlist Size,Min Threshold Setting,"
          "Total Alerts,True Alerts Confirmed,True Alerts Unconfirmed,False Alerts Confirmed,"
          "False Alerts Unconfirmed,False Alert Rate,Outcome – Arrest,Outcome – Other,No action,"
          "Faces seen (estimate),Notes")
# Three deployments of 2020 with what was and was not recorded, as published.
ROWS = (
    "Oxford Circus,27/02/2020,6:30,Crime Hotspot,7292,0.6,8,4,1,2,1,0.0349%,3,1,2,8600,",
    "Stratford,20/02/2020,,,,,0,0,0,0,0,0%,,,,4600,windy",
    "Romford Town Centre,14/07/2020,5:00,Crime Hotspot,,0.6,4,3,0,1,0,,,,,,",
)


def run_import(url: str, path: Path, *args: str):
    return CliRunner().invoke(cia, ["import-deployments", str(path), "--database-url", url, *args])


def write_csv(tmp_path: Path, name: str, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def grid_rows(client) -> list[dict]:
    resp = client.get("/api/v1/statistics/deployments", headers=FOI)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))


def stored(app) -> tuple[int, int, int]:
    with db(app).sessions() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                     for t in (Operation, CiaVersion, ImportedDeployment))


def test_a_published_csv_with_blank_cells_imports_exports_and_reads_back(app, client, databases,
                                                                         tmp_path):
    url = app.config["DATABASE_URL"]
    path = write_csv(tmp_path, "mps-lfr-2020.csv", *ROWS)
    result = run_import(url, path, "--source", "MPS grid 2020")
    assert result.exit_code == 0, result.output
    assert "mps-lfr-2020.csv: warning: Unknown column(s): Notes (ignored)." in result.output
    assert "Imported 3 deployment(s)" in result.output
    assert "2 with figures not recorded" in result.output

    with db(app).sessions() as s:
        ops = {o.location_name: o for o in s.execute(sa.select(Operation)).scalars()}
        stratford = ops["Stratford"]
        assert (stratford.use_case, stratford.watchlist_size, stratford.match_threshold,
                stratford.camera_count) == (None, None, None, None)
        assert ops["Oxford Circus"].watchlist_size == 7292
        cia_id = s.execute(sa.select(Cia.id).where(Cia.operation_id == stratford.id)).scalar_one()
    view = ok(client.get(f"/api/v1/cias/{cia_id}", headers=ADMIN))
    pdr = view["content"]["post_deployment_review"]
    assert pdr == {"faces_seen": 4600, "total_alerts": 0, "true_alerts_confirmed": 0,
                   "true_alerts_unconfirmed": 0, "false_alerts_confirmed": 0,
                   "false_alerts_unconfirmed": 0}  # no arrests etc.: not recorded, not 0
    op = ok(client.get(f"/api/v1/operations/{view['operation_id']}", headers=ADMIN))
    assert (op["use_case"], op["watchlist_size"], op["match_threshold"]) == (None, None, None)

    rows = {r["Location"]: r for r in grid_rows(client)}
    assert list(rows) == ["Stratford", "Oxford Circus", "Romford Town Centre"]  # by date
    assert rows["Stratford"]["Date"] == "2020-02-20"
    assert [rows["Stratford"][c] for c in ("Duration", "Use case", "Watchlist size", "Threshold",
                                           "Arrests", "Other outcome", "No action")] == [""] * 7
    assert rows["Stratford"]["Faces seen"] == "4600" and rows["Stratford"]["Total alerts"] == "0"
    assert rows["Romford Town Centre"]["Date"] == "2020-07-14"  # BST: not the day before
    assert rows["Romford Town Centre"]["Duration"] == "5:00"
    assert rows["Romford Town Centre"]["Faces seen"] == "" and \
        rows["Romford Town Centre"]["False alert rate"] == ""
    assert rows["Oxford Circus"]["Use case"] == "Crime hotspot" and \
        rows["Oxford Circus"]["Arrests"] == "3"

    summary = ok(client.get("/api/v1/statistics/deployments", query_string={"format": "json"},
                            headers=FOI))
    assert summary["deployments"] == 3
    assert summary["totals"] == {"faces_seen": 13200, "total_alerts": 12,
                                 "true_alerts_confirmed": 7, "true_alerts_unconfirmed": 1,
                                 "false_alerts_confirmed": 3, "false_alerts_unconfirmed": 1,
                                 "arrests": 3, "other_action": 1, "no_action": 2,
                                 "duration_minutes": 690}
    assert summary["not_recorded"] == {"faces_seen": 1, "total_alerts": 0,
                                       "true_alerts_confirmed": 0, "true_alerts_unconfirmed": 0,
                                       "false_alerts_confirmed": 0, "false_alerts_unconfirmed": 0,
                                       "arrests": 2, "other_action": 2, "no_action": 2,
                                       "duration_minutes": 1, "use_case": 1, "watchlist_size": 2,
                                       "match_threshold": 1}
    by_location = {r["Location"]: r for r in summary["rows"]}
    assert by_location["Stratford"]["Arrests"] is None and by_location["Stratford"]["Faces seen"] == 4600
    via_accept = client.get("/api/v1/statistics/deployments",
                            headers={**FOI, "Accept": "application/json"})
    assert via_accept.mimetype == "application/json" and via_accept.json["totals"]["arrests"] == 3

    alerts = ok(client.get("/api/v1/statistics/alerts", headers=FOI))
    assert alerts["deployments"] == 0 and alerts["deployments_without_ic_breakdown"] == 3
    assert alerts["not_recorded"] == {"true_alerts": 3, "true_alert_engagements": 3,
                                      "false_alerts": 3, "false_alert_engagements": 3}
    assert alerts["figures"]["totals"] == summary["totals"]
    assert alerts["figures"]["not_recorded"] == summary["not_recorded"]
    in_summer = ok(client.get("/api/v1/statistics/alerts", query_string={"from": "2020-06-01"},
                              headers=FOI))
    assert in_summer["figures"]["deployments"] == 1
    assert in_summer["figures"]["not_recorded"]["faces_seen"] == 1
    assert in_summer["figures"]["totals"]["faces_seen"] == 0
    text = client.get("/api/v1/statistics/alerts", query_string={"format": "csv"},
                      headers=FOI).get_data(as_text=True)
    assert "# Deployments without a figure (not recorded, not counted): true_alerts 3," in text

    # The export re-imports: another database gets the same grid back.
    exported = tmp_path / "exported.csv"
    exported.write_text(client.get("/api/v1/statistics/deployments",
                                   headers=FOI).get_data(as_text=True))
    other = make_app(databases.new("other"))
    try:
        result = run_import(other.config["DATABASE_URL"], exported, "--strict")
        assert result.exit_code == 0, result.output
        assert "Imported 3 deployment(s)" in result.output and "warning" not in result.output
        again = grid_rows(other.test_client())
        assert again == list(rows.values())
        assert ok(other.test_client().get("/api/v1/statistics/deployments?format=json",
                                          headers=FOI))["not_recorded"] == summary["not_recorded"]
    finally:
        db(other).dispose()
    # And into the first database again it adds nothing: the same deployments.
    result = run_import(url, exported)
    assert "Imported 0 deployment(s)" in result.output and "3 already imported" in result.output


def test_a_published_xlsx_with_blank_cells_imports(app, client, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    # Another year's spelling: other case, spacing and dashes.
    sheet.append(["Deployment location", "DATE", "Duration", "LFR use case", "Watchlist size",
                  "Min threshold setting", "Total alerts", "True alerts confirmed",
                  "True alerts unconfirmed", "False alerts confirmed", "False alerts unconfirmed",
                  "False alert rate", "Outcome - Arrest", "Outcome—Other", "No Action",
                  "Faces Seen (Estimate)"])
    sheet.append(["Oxford Circus", datetime(2020, 2, 27), time(6, 30), "Crime Hotspot", 7292, 0.6,
                  8, 4, 1, 2, 1, 0.000349, 3, 1, 2, 8600])
    sheet.append(["Stratford", datetime(2020, 2, 20), None, None, None, None, 0, 0, 0, 0, 0, 0,
                  None, None, None, 4600])
    sheet.append(["Romford Town Centre", "14/07/2020", time(5, 0), "Crime Hotspot", None, 0.6,
                  4, 3, 0, 1, 0, None, None, None, None, None])
    sheet.cell(row=2, column=3).number_format = "h:mm"
    path = tmp_path / "mps-lfr-2020.xlsx"
    book.save(path)

    result = run_import(app.config["DATABASE_URL"], path)
    assert result.exit_code == 0, result.output
    assert "Imported 3 deployment(s)" in result.output and "warning" not in result.output
    rows = {r["Location"]: r for r in grid_rows(client)}
    assert (rows["Oxford Circus"]["Date"], rows["Oxford Circus"]["Duration"],
            rows["Oxford Circus"]["Faces seen"]) == ("2020-02-27", "6:30", "8600")
    assert rows["Stratford"]["Duration"] == "" and rows["Stratford"]["Arrests"] == ""
    summary = ok(client.get("/api/v1/statistics/deployments?format=json", headers=FOI))
    assert summary["not_recorded"]["arrests"] == 2 and summary["totals"]["arrests"] == 3
    assert summary["not_recorded"]["duration_minutes"] == 1
    assert summary["totals"]["duration_minutes"] == 690

    # The same deployments from the CSV of the same grid: already imported.
    same = write_csv(tmp_path, "same.csv", *ROWS)
    result = run_import(app.config["DATABASE_URL"], same)
    assert "Imported 0 deployment(s)" in result.output and "3 already imported" in result.output


def test_a_malformed_present_value_stores_nothing_and_names_its_line(app, client, tmp_path):
    url = app.config["DATABASE_URL"]
    path = write_csv(tmp_path, "bad.csv", ROWS[0],
                     ROWS[1].replace(",4600,", ",about 4600,"),
                     ROWS[2],
                     ",01/08/2020,,,,,,,,,,,,,,,",
                     "Bank,31/02/2020,4:00,,,,,,,,,,,,,,")
    result = run_import(url, path)
    assert result.exit_code == 1
    assert "bad.csv: line 3: Faces seen (estimate): 'about 4600' is not a whole number" in \
        result.output
    assert "bad.csv: line 5: Deployment Location: required." in result.output
    assert "bad.csv: line 6: Date: '31/02/2020' is not a date" in result.output
    assert "Nothing imported: 3 bad row(s)" in result.output
    assert stored(app) == (0, 0, 0)

    # Unknown columns refused when strict: nothing stored either.
    result = run_import(url, write_csv(tmp_path, "notes.csv", *ROWS), "--strict")
    assert result.exit_code == 1
    assert "notes.csv: line 1: Unknown column(s): Notes." in result.output
    assert stored(app) == (0, 0, 0)
    assert grid_rows(client) == []


def test_migration_0006_makes_the_figures_nullable_and_keeps_the_data(databases):
    url = databases.new("migrate")
    cfg = alembic_config(MIGRATIONS, url)
    command.upgrade(cfg, "0005_pdf_claims")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO operations (id, reference, name, borough, ward, location_name, "
                "use_case, planned_start, planned_end, watchlist_size, watchlist_categories, "
                "match_threshold, camera_count, status, created_by_sub, created_by_name, "
                "created_at, updated_at) VALUES ('op-1', 'LFR-2020-0001', 'n', 'b', 'w', 'l', "
                "'crime_hotspot', :t, :t, 10, '[]', 0.6, 2, 'completed', 's', 'n', :t, :t)"),
                {"t": datetime(2020, 1, 1)})
        command.upgrade(cfg, "0006_grid_not_recorded")
        columns = {c["name"]: c["nullable"] for c in sa.inspect(engine).get_columns("operations")}
        assert [columns[c] for c in ("use_case", "watchlist_size", "match_threshold",
                                     "camera_count")] == [True] * 4
        assert columns["reference"] is False and columns["planned_end"] is False
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT reference, watchlist_size FROM operations")).all() \
                == [("LFR-2020-0001", 10)]
            conn.execute(sa.text("UPDATE operations SET watchlist_size = NULL"))
        # A figure not recorded is never made up to go back below 0006.
        with pytest.raises(RuntimeError, match="1 operation"):
            command.downgrade(cfg, "0005_pdf_claims")
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE operations SET watchlist_size = 10"))
        command.downgrade(cfg, "0005_pdf_claims")
        columns = {c["name"]: c["nullable"] for c in sa.inspect(engine).get_columns("operations")}
        assert columns["watchlist_size"] is False
    finally:
        engine.dispose()
