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

Medians over interleaved runs; run alone with ``python -m bench.names [--runs 15]``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import datetime
from types import SimpleNamespace

from cia_redaction import Detectors, Redactor, WithheldSet
from cia_redaction.names import PersonRecogniser, load

from bench.documents import FORCE, _example
from tests.corpus import score


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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    print(json.dumps(name_benchmarks(args.runs), indent=2))


if __name__ == "__main__":
    main()
