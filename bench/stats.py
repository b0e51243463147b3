"""Percentiles and load loops shared by the benchmarks."""
from __future__ import annotations

import http.client
import statistics
import threading
import time
from urllib.parse import urlsplit


def percentiles(samples_s: list[float]) -> dict:
    ms = sorted(s * 1000 for s in samples_s)

    def pct(p: float) -> float:
        return round(ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))], 2)

    return {"n": len(ms), "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
            "mean_ms": round(statistics.fmean(ms), 2)}


def concurrently(target, clients: int) -> float:
    """Run ``target`` in ``clients`` threads at once; the seconds until all are done."""
    started = time.perf_counter()
    threads = [threading.Thread(target=target) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def requests_per_second(url: str, headers: dict, *, seconds: float, concurrency: int) -> dict:
    """Keep-alive GETs from ``concurrency`` threads for ``seconds``; counts only 200s."""
    parts = urlsplit(url)
    stop = time.monotonic() + seconds
    counts = {"ok": 0, "other": 0}
    lock = threading.Lock()

    def loop():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        ok = other = 0
        while time.monotonic() < stop:
            conn.request("GET", parts.path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                ok += 1
            else:
                other += 1
        conn.close()
        with lock:
            counts["ok"] += ok
            counts["other"] += other

    elapsed = concurrently(loop, concurrency)
    return {"requests": counts["ok"], "non_200": counts["other"], "seconds": round(elapsed, 2),
            "rps": round(counts["ok"] / elapsed, 1), "concurrency": concurrency}
