"""True redaction of a legacy PDF, beside its substrate measured in the same run.

redact    a 20-page PDF (text on every page, a planted name on each, personal data
          the detectors find) through ``legacy.redact``: the page words through
          the whole redaction pass, redaction annotations applied, the document
          scrubbed and saved with garbage collection and clean streams
substrate the same PDF opened and saved by the same library (PyMuPDF) with the
          same save options, nothing redacted

Medians over a few interleaved runs; run alone with ``python -m bench.legacy_pdf``.
"""
from __future__ import annotations

import json
import statistics
import time

import pymupdf

from cia_authoring.legacy.redact import Term, redact

PAGES = 20
NAME = "Ottoline Vexworth"
CFG = {"DISCLOSURE_RANK_CUTOFF": "superintendent"}
_LINE = "The deployment was discussed with the ward panel; {who} took notes."


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


def _open_and_save(data: bytes) -> bytes:
    doc = pymupdf.open(stream=data, filetype="pdf")
    try:
        return doc.tobytes(garbage=4, deflate=True, clean=True, no_new_id=True)
    finally:
        doc.close()


def legacy_pdf_benchmark(runs: int = 5) -> dict:
    data = sample_pdf()
    term = Term("bench", NAME, "s40", "A member of the public.")
    samples: dict[str, list[float]] = {"redact": [], "open_save": []}
    redactions = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        result = redact("pdf", data, "Legacy CIA", CFG, terms=[term])
        samples["redact"].append(time.perf_counter() - t0)
        redactions = len(result.log)
        t0 = time.perf_counter()
        _open_and_save(data)
        samples["open_save"].append(time.perf_counter() - t0)
    redact_ms = statistics.median(samples["redact"]) * 1000
    base_ms = statistics.median(samples["open_save"]) * 1000
    return {"pages": PAGES, "runs": runs, "redaction_log_entries": redactions,
            "redact_ms": round(redact_ms, 1), "open_save_ms": round(base_ms, 1),
            "ms_per_page": round(redact_ms / PAGES, 2),
            "ratio": round(redact_ms / base_ms, 2) if base_ms else None}


if __name__ == "__main__":
    print(json.dumps(legacy_pdf_benchmark(), indent=2))
