"""The CIA list at scale: GET /api/v1/cias at 10,000 and at 100,000 CIAs.

Seeds operations, CIAs and their versions in bulk straight into two authoring
databases (multi-row INSERTs, not through the API; a quarter each draft,
submitted, changes_requested, approved), 10,000 in one and 100,000 in the
other, and times on each, through the real app (its whole WSGI stack by the
Flask test client, with a bearer token): the first page of the list (20), a
deep page (the middle one) by ``page`` (an OFFSET), the same page by the keyset
``cursor`` of the page before it, a filtered first page (``status=submitted``)
and, as a control that does not depend on the number of CIAs, ``GET
/api/v1/cias/{id}``. The rounds interleave both databases, so both scales meet
the same machine. The figure is the ratio list@100k / list@10k: the substrate
of the list at 100,000 is the same list at 10,000, in the same run.

    python -m bench.list_scale [--small 10000] [--large 100000] [--rounds 60]
                               [--database-urls SMALL LARGE]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import sqlalchemy as sa

from cia_authoring.cias.models import Cia, CiaVersion
from cia_authoring.operations.models import Operation

STATUSES = ("draft", "submitted", "changes_requested", "approved")
BATCH = 5000


def _rows(first: int, n: int, rng: random.Random):
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ops, cias, versions = [], [], []
    for i in range(first, first + n):
        op_id, cia_id = str(uuid.uuid4()), str(uuid.uuid4())
        reference = f"LFR-{3000 + i // 100000}-{i % 100000:05d}"
        starts = base + timedelta(hours=i)
        # CIAs are touched in no particular order: updated_at spread over two years.
        touched = base + timedelta(seconds=rng.randrange(0, 2 * 365 * 86400))
        ops.append({"id": op_id, "reference": reference, "name": f"Bench deployment {i}",
                    "borough": ("Croydon", "Hackney", "Camden", "Lambeth")[i % 4],
                    "ward": "Fairfield", "location_name": "North End", "latitude": None,
                    "longitude": None, "use_case": "crime_hotspot", "planned_start": starts,
                    "planned_end": starts + timedelta(hours=6), "watchlist_size": 1000,
                    "watchlist_categories": ["wanted_by_courts"], "match_threshold": 0.64,
                    "camera_count": 2, "status": "authorised", "created_by_sub": "bench",
                    "created_by_name": "Bench", "created_at": starts, "updated_at": starts})
        cias.append({"id": cia_id, "operation_id": op_id, "latest_version": 1,
                     "created_by_sub": "bench", "created_by_name": "Bench",
                     "created_at": starts, "updated_at": touched})
        content = {"header": {"operation_reference": reference, "title": f"CIA {reference}",
                              "protective_marking": "OFFICIAL"}}
        versions.append({"id": str(uuid.uuid4()), "cia_id": cia_id, "number": 1,
                         "status": STATUSES[i % len(STATUSES)], "content": content,
                         "content_sha256": "0" * 64, "revision": 1, "author_sub": "bench",
                         "author_name": "Bench", "last_editor_sub": "bench",
                         "last_editor_name": "Bench", "created_at": starts,
                         "updated_at": touched})
    return ops, cias, versions


def seed(engine: sa.Engine, first: int, n: int, seed_: int = 7) -> float:
    """Insert ``n`` operations, CIAs and versions (numbered from ``first``) in bulk."""
    rng = random.Random(seed_ + first)
    t0 = time.perf_counter()
    for start in range(first, first + n, BATCH):
        ops, cias, versions = _rows(start, min(BATCH, first + n - start), rng)
        with engine.begin() as conn:
            conn.execute(Operation.__table__.insert(), ops)
            conn.execute(Cia.__table__.insert(), cias)
            conn.execute(CiaVersion.__table__.insert(), versions)
    if engine.dialect.name == "postgresql":
        # What autovacuum does soon after a bulk load: statistics and the visibility map.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("operations", "cias", "cia_versions"):
                conn.execute(sa.text(f"VACUUM ANALYZE {table}"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
    return time.perf_counter() - t0


def _get(client, url: str, headers: dict):
    resp = client.get(url, headers=headers)
    assert resp.status_code == 200, (url, resp.status_code, resp.get_data(as_text=True)[:300])
    return resp


def _next_cursor(resp) -> str | None:
    link = resp.headers.get("Link") or ""
    for part in link.split(","):
        if 'rel="next"' in part:
            url = part.split(";")[0].strip().strip("<>")
            return parse_qs(urlparse(url).query).get("cursor", [None])[0]
    return None


class Scale:
    """One database of ``total`` CIAs behind its own app, and the URLs timed on it."""

    def __init__(self, create_app, url: str, total: int, headers: dict, page_size: int = 20):
        from cia_common.config import LOCAL_JWT_SECRET
        self.app = create_app({"DATABASE_URL": url, "TESTING": True,
                               "JWT_SECRET": LOCAL_JWT_SECRET})
        self.client = self.app.test_client()
        self.total, self.headers = total, headers
        self.page_size = page_size
        self.urls: dict[str, str] = {}

    def prepare(self) -> None:
        ps = self.page_size
        first = _get(self.client, f"/api/v1/cias?page_size={ps}", self.headers)
        assert json.loads(first.headers["X-Pagination"])["total"] == self.total
        deep = self.total // ps // 2  # the middle page
        self.deep = deep
        self.urls["first_page"] = f"/api/v1/cias?page_size={ps}"
        self.urls["deep_page_offset"] = f"/api/v1/cias?page_size={ps}&page={deep}"
        # The same depth by keyset: the rel="next" cursor of the page before it.
        before = _get(self.client, f"/api/v1/cias?page_size={ps}&page={deep - 1}", self.headers)
        cursor = _next_cursor(before)
        self.urls["deep_page_cursor"] = f"/api/v1/cias?page_size={ps}&cursor={cursor}"
        by_cursor = _get(self.client, self.urls["deep_page_cursor"], self.headers).get_json()
        by_offset = _get(self.client, self.urls["deep_page_offset"], self.headers).get_json()
        assert [c["id"] for c in by_cursor] == [c["id"] for c in by_offset], \
            "the keyset page differs from the offset page"
        self.urls["status_first_page"] = f"/api/v1/cias?page_size={ps}&status=submitted"
        self.urls["single_read"] = f"/api/v1/cias/{first.get_json()[0]['id']}"
        for url in self.urls.values():  # warm-up
            for _ in range(3):
                _get(self.client, url, self.headers)

    def time_once(self, name: str) -> float:
        t0 = time.perf_counter()
        _get(self.client, self.urls[name], self.headers)
        return time.perf_counter() - t0


def list_scale_benchmark(small: int = 10_000, large: int = 100_000,
                         database_urls: tuple[str, str] | None = None, rounds: int = 60,
                         backend: str | None = None) -> dict:
    """Two databases, of ``small`` and ``large`` CIAs, timed in interleaved rounds
    (each round asks every URL of both once), so that both scales meet the same
    machine: the medians are compared."""
    os.environ.setdefault("CIA_ENV", "development")
    from cia_authoring.app import MIGRATIONS, create_app
    from cia_common.auth import mint_token
    from cia_common.config import LOCAL_JWT_SECRET
    from cia_common.migrate import upgrade
    from cia_common.web import db
    from tests.conftest import PG_URL, DatabaseFactory

    tmp = Path(tempfile.mkdtemp(prefix="cia-bench-list-"))
    factory = None
    if database_urls is None:
        factory = DatabaseFactory(backend or ("postgresql" if PG_URL else "sqlite"), tmp)
        database_urls = (factory.new("list_small"), factory.new("list_large"))
    headers = {"Authorization": "Bearer " + mint_token(
        LOCAL_JWT_SECRET, sub="bench-admin", name="Bench Admin", roles=["admin"])}
    scales: list[Scale] = []
    results: dict = {}
    try:
        for url, total in zip(database_urls, (small, large)):
            upgrade(url, MIGRATIONS)
            scale = Scale(create_app, url, total, headers)
            scales.append(scale)
            engine = db(scale.app).engine
            with engine.connect() as conn:  # a database given may hold some already
                have = conn.execute(sa.select(sa.func.count()).select_from(Cia)).scalar_one()
            results[f"seed_{total}_seconds"] = round(seed(engine, have, total - have), 1)
        results["backend"] = db(scales[0].app).engine.dialect.name
        for scale in scales:
            scale.prepare()
        names = list(scales[0].urls)
        samples = {(i, n): [] for i in range(len(scales)) for n in names}
        for _ in range(rounds):
            for name in names:
                for i, scale in enumerate(scales):
                    samples[(i, name)].append(scale.time_once(name))
        figures = []
        for i, scale in enumerate(scales):
            out = {"cias": scale.total, "page_size": scale.page_size, "deep_page": scale.deep}
            for name in names:
                out[f"{name}_ms"] = round(statistics.median(samples[(i, name)]) * 1000, 2)
            figures.append(out)
    finally:
        for scale in scales:
            db(scale.app).dispose()
        if factory is not None:
            factory.cleanup()
        for f in tmp.glob("*"):
            f.unlink()
        tmp.rmdir()
    at_small, at_large = figures
    results.update({"rounds": rounds, "small": at_small, "large": at_large})
    for name in names:
        results[f"ratio_{name}"] = round(at_large[f"{name}_ms"] / at_small[f"{name}_ms"], 2)
    results["first_page_vs_single_read"] = round(
        at_large["first_page_ms"] / at_large["single_read_ms"], 2)
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--database-urls", nargs=2, default=None, metavar=("SMALL", "LARGE"),
                        help="two empty, migrated or not, databases (default: new ones)")
    args = parser.parse_args(argv)
    print(json.dumps(list_scale_benchmark(args.small, args.large, args.database_urls,
                                          args.rounds), indent=2))


if __name__ == "__main__":
    main()
