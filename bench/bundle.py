"""Disclosure bundle benchmark: 1,000 released CIAs exported as one zip.

Seeds ``n`` operations and CIAs through the authoring service layer
(``operations.create``, ``cias.create``, ``disclosure.release.release``), each with a
stored disclosure DOCX and PDF (random bytes of realistic size: compressed
files, so the zip cannot shrink them), then times the bundle export
(``releases.bundle.stream``, the generator behind ``GET /api/v1/disclosures/bundle``
and ``cia export-disclosures``) writing to a file, and measures its peak
Python memory with tracemalloc in a second, traced run. Beside it, the
substrate: ``zipfile`` writing the same files from memory, with no database.
The name model (the listing's pass reads each operation's borough) loads once per
process, as in a service that has redacted before; its load is timed apart
(``model_load_seconds``), as ``bench/names.py`` does.

    python -m bench.bundle [--n 1000] [--database-url URL]
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import tracemalloc
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cia_authoring import settings
from cia_authoring.cias import service as cias
from cia_authoring.operations import service as operations
from cia_authoring.app import MIGRATIONS
from cia_authoring.cias.audit import Actor
from cia_redaction import names
from cia_redaction.rules import fingerprint as rules_fingerprint
from cia_authoring.releases import bundle
from cia_authoring.disclosure import release, sight_checks
from cia_authoring.disclosure.models import CLEAN, DisclosureCopy, SightCheck
from cia_authoring.cias.models import CiaVersion
from cia_authoring.cias.models import Document
from cia_common.events import utcnow
from cia_common.db import Database
from cia_common.migrate import upgrade

DOCX_BYTES, PDF_BYTES = 30_000, 45_000
LOG = [{"pointer": "/sign_off/author/name", "rule_id": None, "exemption": "s.40(2)",
        "reason": "Name of a person below the rank of Superintendent."},
       {"pointer": "/deployment/camera_positions", "rule_id": None, "exemption": "s.31(1)(a)(b)",
        "reason": "Positions of the LFR cameras."}]
PLANNER = Actor("bench-planner", "Bench Planner")
FOI = Actor("bench-foi", "Bench FOI")


def seed(db: Database, n: int, cfg: dict, batch: int = 100) -> tuple[datetime, datetime]:
    start = datetime(2030, 1, 1, 10, tzinfo=timezone.utc)
    for first in range(0, n, batch):
        with settings.unit_of_work(db, cfg) as uow:
            for i in range(first, min(first + batch, n)):
                begins = start + timedelta(hours=6 * i)
                reference = f"LFR-{2030 + i // 10000}-{i % 10000:04d}"
                op = operations.create(uow, {
                    "reference": reference, "name": f"Bench deployment {i}", "borough": "Croydon",
                    "ward": "Fairfield", "location_name": "North End", "latitude": None,
                    "longitude": None, "use_case": "crime_hotspot", "planned_start": begins,
                    "planned_end": begins + timedelta(hours=6), "watchlist_size": 10_000,
                    "watchlist_categories": ["wanted_by_courts"], "match_threshold": 0.64,
                    "camera_count": 2}, PLANNER)
                view = cias.create(uow, op.id, {"header": {
                    "operation_reference": reference, "title": f"CIA {reference}",
                    "protective_marking": "OFFICIAL"}}, PLANNER)
                version: CiaVersion = view.version
                version.status, version.approved_at = "approved", utcnow()
                for fmt, size in (("docx", DOCX_BYTES), ("pdf", PDF_BYTES)):
                    data = os.urandom(size)
                    uow.session.add(Document(cia_id=view.cia.id, version=1, kind="disclosure",
                                             format=fmt, sha256=_sha(data), size=size, data=data,
                                             redaction_log=LOG))
                    if fmt == "docx":
                        # The bundle is measured, not the check by sight (random bytes have
                        # no pages to read): the check is recorded as the worker stores a
                        # clean one.
                        uow.session.add(SightCheck(
                            sha256=_sha(data), subject=sight_checks.CIA_COPY,
                            subject_id=f"{view.cia.id}/1", state=CLEAN, pages=1, pages_done=1,
                            inputs_sha256=sight_checks.fingerprint([], cfg), findings=[],
                            previewed_pages={}, confirmed_pages={}, checked_at=utcnow()))
                # The copy's row, as approval records it: rendered under no censor rule.
                now = utcnow()
                uow.session.add(DisclosureCopy(
                    cia_id=view.cia.id, version=1, state="pending_release",
                    rules_fingerprint=rules_fingerprint([]), context_sha256=_sha(b"bench"),
                    rendered_at=now, render_count=1, updated_at=now))
                uow.session.flush()
                release.release(uow, view.cia.id, 1, FOI, note="bench", cfg=cfg)
            uow.commit()
    return start, start + timedelta(hours=6 * n)


def _sha(data: bytes) -> str:
    import hashlib
    return hashlib.sha256(data).hexdigest()


def export(db: Database, start: datetime, end: datetime, out: Path) -> tuple[int, int]:
    with db.sessions() as session:
        items, _left_out = bundle.released_copies(session, start, end, {})
    with out.open("wb") as fh:
        for chunk in bundle.stream(db.sessions, items, start_from=start, start_to=end):
            fh.write(chunk)
    return len(items), out.stat().st_size


def bare_zip(n: int, out: Path) -> float:
    """The substrate: zipfile writing the same number and sizes of files from memory."""
    blobs = [os.urandom(DOCX_BYTES), os.urandom(PDF_BYTES)]
    t0 = time.perf_counter()
    with zipfile.ZipFile(out, "w") as zf:
        for i in range(n):
            for j, blob in enumerate(blobs):
                zf.writestr(f"{i}/{j}", blob, compress_type=zipfile.ZIP_STORED)
            zf.writestr(f"{i}/log.json", json.dumps(LOG), compress_type=zipfile.ZIP_DEFLATED)
    return time.perf_counter() - t0


def bundle_benchmark(n: int = 1000, database_url: str | None = None) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="cia-bench-bundle-"))
    url = database_url or f"sqlite:///{tmp / 'authoring.db'}"
    cfg = settings.load({"DATABASE_URL": url})
    upgrade(url, MIGRATIONS)
    db = Database(url)
    try:
        t0 = time.perf_counter()
        start, end = seed(db, n, cfg)
        seeded = time.perf_counter() - t0
        t0 = time.perf_counter()
        names.load()
        model_load = time.perf_counter() - t0
        out = tmp / "bundle.zip"
        t0 = time.perf_counter()
        copies, size = export(db, start, end, out)
        seconds = time.perf_counter() - t0
        with zipfile.ZipFile(out) as zf:
            files = len(zf.namelist())
        tracemalloc.start()
        export(db, start, end, tmp / "traced.zip")
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        bare = bare_zip(n, tmp / "bare.zip")
    finally:
        db.dispose()
        for f in tmp.glob("*"):
            f.unlink()
        tmp.rmdir()
    return {
        "copies": copies, "files": files, "bundle_mb": round(size / 1e6, 1),
        "seed_seconds": round(seeded, 1), "model_load_seconds": round(model_load, 2),
        "export_seconds": round(seconds, 2), "copies_per_second": round(copies / seconds, 1),
        "peak_python_mb": round(peak / 1e6, 2),
        "peak_vs_bundle": round(peak / size, 4),
        "bare_zipfile_seconds": round(bare, 2),
        "ratio_vs_bare_zipfile": round(seconds / bare, 1),
        "backend": url.split(":", 1)[0].split("+", 1)[0],
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    print(json.dumps(bundle_benchmark(args.n, args.database_url), indent=2))


if __name__ == "__main__":
    main()
