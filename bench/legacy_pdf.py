"""A legacy PDF's disclosure copy made as the worker makes it, beside bare Tesseract.

flatten   a 20-page PDF (text on every page, a planted name on each, personal data
          the detectors find) through the worker's steps: the text layer redacted
          (``legacy.redact``), then each page flattened in a child process bounded
          in time and memory (``legacy.redact.flatten_page``: rendered at 200 dpi,
          OCR'd, read by the pass, rebuilt from its image with the OCR layer), the
          pages joined (``cia_redaction.flatten.assemble``)
substrate ``tesseract`` alone (the same binary, one thread) on the same 20 page
          images the copy is read from (the pages after the text layer's redaction,
          rendered at 200 dpi), already written to files, text output

Run in the same process, interleaved; medians over the runs. Peak memory: the
largest resident set of the process making the copy (the worker) and of its
children (the limited child per page, Tesseract), from ``getrusage``.
Run alone with ``python -m bench.legacy_pdf [--runs N]``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time

import pymupdf

from cia_common.limits import Limits, run_limited
from cia_redaction import flatten

from cia_authoring.legacy.redact import Term, flatten_page, redact, redactor_for

PAGES = 20
DPI = 200
NAME = "Ottoline Vexworth"
CFG = {"DISCLOSURE_RANK_CUTOFF": "superintendent"}
_LINE = "The deployment was discussed with the ward panel; {who} took notes."
PAGE_LIMITS = Limits(seconds=120, memory_bytes=768 * 1024 * 1024)


def sample_pdf(pages: int = PAGES) -> bytes:
    doc = pymupdf.open()
    for n in range(pages):
        page = doc.new_page()
        y = 72
        for i in range(40):
            who = NAME if i == 7 else ("PC Jorvik Tannenbaum on 020 7946 0321" if i == 21 else "the clerk")
            page.insert_text((56, y), _LINE.format(who=who), fontname="helv", fontsize=9)
            y += 17
    data = doc.tobytes()
    doc.close()
    return data


def make_copy(data: bytes, term: Term) -> tuple[bytes, int]:
    """The copy as ``legacy.jobs`` makes it (without the database): text pass, then a
    limited child per page, then the pages joined."""
    first = run_limited(redact, "pdf", data, "Legacy CIA", CFG, terms=[term], limits=PAGE_LIMITS)
    redactor = redactor_for(CFG, [], [term], first.withheld_names)
    pages = [run_limited(flatten_page, first.data, i, redactor, DPI, first.boxes.get(i + 1, []),
                         limits=PAGE_LIMITS).data
             for i in range(first.pages)]
    return flatten.assemble(pages), len(first.log)


def bare_tesseract(paths: list[str]) -> None:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    for path in paths:
        subprocess.run(["tesseract", path, "-", "--dpi", str(DPI), "-l", "eng"], check=True,
                       capture_output=True, env=env)


def legacy_pdf_benchmark(runs: int = 3) -> dict:
    data = sample_pdf()
    term = Term("bench", NAME, "s40", "A member of the public.")
    samples: dict[str, list[float]] = {"flatten": [], "tesseract": []}
    with tempfile.TemporaryDirectory() as tmp:
        redacted = redact("pdf", data, "Legacy CIA", CFG, terms=[term]).data
        doc = pymupdf.open(stream=redacted, filetype="pdf")
        paths = []
        for i, page in enumerate(doc):
            path = os.path.join(tmp, f"page{i}.png")
            page.get_pixmap(dpi=DPI, alpha=False).save(path)
            paths.append(path)
        doc.close()
        redactions = 0
        for _ in range(runs):
            t0 = time.perf_counter()
            copy, redactions = make_copy(data, term)
            samples["flatten"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            bare_tesseract(paths)
            samples["tesseract"].append(time.perf_counter() - t0)
    out = pymupdf.open(stream=copy, filetype="pdf")
    pages_out, searchable = out.page_count, "ward panel" in out[PAGES - 1].get_text()
    out.close()
    flatten_s = statistics.median(samples["flatten"])
    base_s = statistics.median(samples["tesseract"])
    worker_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"pages": PAGES, "dpi": DPI, "runs": runs, "redaction_log_entries": redactions,
            "copy_pages": pages_out, "copy_searchable": searchable,
            "flatten_s": round(flatten_s, 2), "tesseract_s": round(base_s, 2),
            "s_per_page": round(flatten_s / PAGES, 3),
            "ratio": round(flatten_s / base_s, 2) if base_s else None,
            "worker_peak_rss_mb": round(worker_mb, 1), "children_peak_rss_mb": round(children_mb, 1)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    print(json.dumps(legacy_pdf_benchmark(parser.parse_args().runs), indent=2))
