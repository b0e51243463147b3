"""Names no rank announces: how well, how fast, how much memory.

corpus     person-name recall and precision, address recall and children missed on
           the labelled corpus (tests/fixtures/personal_data_corpus.txt, scored by
           tests.corpus as the unit test scores it)
detection  the redaction pass (collect, then every text) over the example CIA's full
           text (its post-deployment review included), with the name model, its
           recogniser fresh each run (nothing remembered) and the model loaded once;
           beside it the same pass without the model (its substrate) and the
           disclosure render it is part of (model, DOCX, whole-file pass)
memory     the process's resident memory before the model is loaded and after every
           run above: what a worker grows by

Medians over interleaved runs; run alone with ``python -m bench.names [--runs 15]
[--targets]``; ``bench.run`` runs it in a process of its own and prints the figures
against the issue's bars (``print_targets``).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

from cia_redaction import Detectors, Redactor, WithheldSet
from cia_redaction.names import PersonRecogniser, load

from bench.documents import FORCE, _example
from tests.corpus import score

_REPO = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * 4096 / 2**20


def _content() -> dict:
    content = _example("cia-content.json")
    content["post_deployment_review"] = _example("post-deployment-review.json")
    return content


def _pass(content: dict, people) -> None:
    redactor = Redactor(Detectors("superintendent", people=people), WithheldSet())
    redactor.collect(content)
    redactor.tree(content)


def name_benchmarks(runs: int = 15) -> dict:
    from cia_authoring.disclosure import rendering as copy_rendering
    from cia_authoring.disclosure import redactors

    rss_before = _rss_mb()
    t0 = time.perf_counter()
    load()
    load_ms = round((time.perf_counter() - t0) * 1000, 1)

    report = score(lambda: Redactor(Detectors("superintendent"), WithheldSet()))
    content = _content()
    op = SimpleNamespace(**{**_example("operation.json"),
                            "planned_start": datetime.fromisoformat("2026-05-14T10:00:00+01:00"),
                            "planned_end": datetime.fromisoformat("2026-05-14T18:00:00+01:00")})
    version = SimpleNamespace(number=2, status="approved", content=content, cia_id="bench")
    cfg = {"FORCE_NAME": FORCE, "DISCLOSURE_RANK_CUTOFF": "superintendent"}

    def with_model():
        _pass(content, PersonRecogniser())

    def patterns_only():
        _pass(content, None)

    def disclosure():
        redactors._detectors.cache_clear()  # nothing remembered from the run before
        ctx, model = copy_rendering.disclosure_context(op, version, cfg, [], [])
        copy_rendering.render_disclosure_context(op, version, ctx, model, cfg)

    for fn in (with_model, patterns_only, disclosure):
        fn()  # warm imports and caches other than the recogniser's
    samples: dict[str, list[float]] = {"detection": [], "patterns_only": [], "disclosure": []}
    for _ in range(runs):
        for key, fn in (("detection", with_model), ("patterns_only", patterns_only),
                        ("disclosure", disclosure)):
            t = time.perf_counter()
            fn()
            samples[key].append((time.perf_counter() - t) * 1000)
    p50 = {k: round(statistics.median(v), 1) for k, v in samples.items()}
    return {
        "corpus": report.summary(),
        "detection": {"runs": runs, "model_load_ms": load_ms,
                      "detection_p50_ms": p50["detection"],
                      "patterns_only_p50_ms": p50["patterns_only"],
                      "disclosure_render_p50_ms": p50["disclosure"],
                      "ratio_vs_patterns_only": round(p50["detection"] / p50["patterns_only"], 1),
                      "share_of_disclosure_render": round(p50["detection"] / p50["disclosure"], 2)},
        "memory": {"rss_before_mb": round(rss_before, 1), "rss_after_mb": round(_rss_mb(), 1),
                   "growth_mb": round(_rss_mb() - rss_before, 1)},
    }


# The bars: (figure, where it is in the result, the bar, whether higher is better).
TARGETS = (
    ("person-name recall", ("corpus", "person_recall"), 0.95, True),
    ("person-name precision", ("corpus", "person_precision"), 0.85, True),
    ("address recall", ("corpus", "address_recall"), 0.95, True),
    ("children missed", ("corpus", "child_missed"), 0, False),
    ("detection over the example CIA, p50 ms", ("detection", "detection_p50_ms"), 300, False),
    ("worker memory growth, MB", ("memory", "growth_mb"), 250, False),
)


def against_targets(result: dict) -> list[tuple[str, float, str, bool]]:
    """``(figure, value, bar, met)`` for each of the issue's bars."""
    rows = []
    for label, (section, key), bar, higher in TARGETS:
        value = result[section][key]
        rows.append((label, value, f"{'≥' if higher else '≤'} {bar}",
                     value >= bar if higher else value <= bar))
    return rows


def print_targets(result: dict) -> list[str]:
    """Print the figures against their bars; return the ones missed."""
    missed = []
    print("names")
    for label, value, bar, met in against_targets(result):
        print(f"  {label:<42} {value:>8}  {bar:<7} {'ok' if met else 'MISSED'}")
        if not met:
            missed.append(f"{label}: {value} (bar {bar})")
    d = result["detection"]
    print(f"  (patterns only {d['patterns_only_p50_ms']} ms, ×{d['ratio_vs_patterns_only']}; "
          f"{d['share_of_disclosure_render']} of the {d['disclosure_render_p50_ms']} ms "
          f"disclosure render; model load {d['model_load_ms']} ms)")
    return missed


def in_fresh_process(runs: int = 15) -> dict:
    """``name_benchmarks`` in a process of its own, as a worker meets the model: nothing
    loaded before it, so the load time and the memory growth are the model's."""
    out = subprocess.run([sys.executable, "-m", "bench.names", "--runs", str(runs)],
                         check=True, capture_output=True, text=True, cwd=_REPO)
    return json.loads(out.stdout)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--targets", action="store_true",
                        help="print the figures against the bars, not the JSON")
    args = parser.parse_args(argv)
    result = name_benchmarks(args.runs)
    if args.targets:
        print_targets(result)
    else:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
