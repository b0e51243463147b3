"""Where a cached GET /api/v1/cias/{id} spends its CPU, in one process.

The authoring app (``create_app``) on a fresh database (PostgreSQL when
``CIA_TEST_POSTGRES_URL`` is set, else SQLite) and ``bench.bare_app``, each
called as gunicorn calls them (the WSGI callable, a prebuilt environ, the body
read), interleaved: the CPU time (``time.process_time``) per request of both,
median of the rounds; then the authoring read again with the parts it does
beyond the bare app replaced by their results (the key query, the request hooks,
the token check), each alone, and the CPU it saves. ``--profile`` prints
cProfile's top functions of the authoring read (CPU time, cumulative).

    python -m bench.profile_read [--n 400] [--rounds 7] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import tempfile
import time
from pathlib import Path

from werkzeug.test import EnvironBuilder

from bench.bare_app import app as bare_app


def _call(app, environ) -> bytes:
    body = app(dict(environ), lambda status, headers, exc_info=None: None)
    try:
        return b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()


def _cpu_us(app, environ, n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        _call(app, environ)
    return (time.process_time() - start) / n * 1e6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=400, help="requests per round and variant")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)

    from cia_authoring.cias import service as cias
    from cia_common.web import auth as web_auth
    from cia_common.web import db
    from tests.conftest import DatabaseFactory
    from tests.integration.test_authoring_support import (PLANNER, create_cia, create_operation,
                                                          make_app)

    factory = DatabaseFactory("postgresql" if os.environ.get("CIA_TEST_POSTGRES_URL")
                              else "sqlite", Path(tempfile.mkdtemp(prefix="cia-read-")))
    try:
        app = make_app(factory.new("authoring"), TESTING=False)
        client = app.test_client()
        cia = create_cia(client, create_operation(client)["id"])
        read = EnvironBuilder(path=f"/api/v1/cias/{cia['id']}", headers=PLANNER).get_environ()
        ping = EnvironBuilder(path="/ping").get_environ()
        _call(app, read)  # kept: every read below is a hit

        key = cias.latest_read_key(db(app).engine, cia["id"])
        principal = web_auth.decode_token(PLANNER["Authorization"][len("Bearer "):], app.config)
        hooks = [app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs]
        saved_hooks = [dict(h) for h in hooks]
        real_key, real_decode = cias.latest_read_key, web_auth.decode_token

        def without_key_query():
            cias.latest_read_key = lambda engine, cia_id: key

        def without_hooks():
            for h in hooks:
                h.clear()

        def without_token_check():
            web_auth.decode_token = lambda token, cfg: principal

        def restore():
            cias.latest_read_key, web_auth.decode_token = real_key, real_decode
            for h, saved in zip(hooks, saved_hooks):
                h.clear()
                h.update(saved)

        variants = {"authoring": None, "  without the key query": without_key_query,
                    "  without the request hooks": without_hooks,
                    "  without the token check": without_token_check}
        cpu: dict[str, list[float]] = {name: [] for name in [*variants, "bare Flask"]}
        for _ in range(args.rounds):
            for name, change in variants.items():
                restore()
                if change:
                    change()
                cpu[name].append(_cpu_us(app, read, args.n))
            restore()
            cpu["bare Flask"].append(_cpu_us(bare_app, ping, args.n))
        full = statistics.median(cpu["authoring"])
        print(f"CPU per request, median of {args.rounds} rounds of {args.n}:")
        for name, values in cpu.items():
            median = statistics.median(values)
            saves = f"  (saves {full - median:.0f})" if name.startswith("  ") else ""
            print(f"{name:30s} {median:6.0f} µs{saves}")
        if args.profile:
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for _ in range(args.n * args.rounds):
                _call(app, read)
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(40)
            print(out.getvalue())
        db(app).dispose()
    finally:
        factory.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
