"""Document rendering cost, beside its substrate measured in the same run.

docx      the full and the disclosure DOCX of the example CIA (with its
          post-deployment review), vs docxtpl rendering a one-line template; the
          disclosure copy with the whole redaction pass (every text of the
          model and of the rendered file, a name register of 2,000 names, two
          censor rules) also vs the full DOCX
pdf       that full DOCX converted by LibreOffice headless (own profile each
          time, as in the service), vs the one-line document converted the same way

Medians over a few runs; run alone with ``python -m bench.documents`` (``--docx-runs N``;
``--no-pdf`` leaves LibreOffice out).
"""
from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from docx import Document as NewDocx
from docxtpl import DocxTemplate

from datetime import datetime
from types import SimpleNamespace

from cia_authoring.disclosure import rendering as copy_rendering
from cia_authoring.documents import service as rendering
from cia_redaction.rules import Rule
from cia_authoring.documents.libreoffice import PdfConversionError, available, docx_to_pdf
from cia_authoring.documents.render import render_docx

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FORCE = "Metropolitan Police Service"


def _example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _median_ms(fn, runs: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    return round(statistics.median(samples) * 1000, 2), result


def _interleaved_medians_ms(fns, runs: int) -> list[tuple[float, object]]:
    samples: list[list[float]] = [[] for _ in fns]
    results: list[object] = [None] * len(fns)
    for _ in range(runs):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            results[i] = fn()
            samples[i].append(time.perf_counter() - t0)
    return [(round(statistics.median(s) * 1000, 2), r) for s, r in zip(samples, results)]


def _context(content: dict, log=None) -> dict:
    ctx = {"force_name": FORCE, "operation": _example("operation.json"),
           "cia": {"version": 2, "status": "approved", "content": content},
           "rendered_at": "2026-05-20T09:00:00+00:00"}
    if log is not None:
        ctx["redaction_log"] = log
    return ctx


def _one_line_template(directory: Path) -> Path:
    path = directory / "one-line.docx"
    doc = NewDocx()
    doc.add_paragraph("{{ name }}")
    doc.save(str(path))
    return path


def document_benchmarks(docx_runs: int = 7, pdf_runs: int = 3, pdf: bool = True) -> dict:
    content = _example("cia-content.json")
    content["post_deployment_review"] = _example("post-deployment-review.json")
    with tempfile.TemporaryDirectory(prefix="cia-bench-docs-") as tmp:
        template = _one_line_template(Path(tmp))

        def one_line() -> bytes:
            tpl = DocxTemplate(str(template))
            tpl.render({"name": "Croydon Town Centre LFR Deployment"}, autoescape=True)
            buf = io.BytesIO()
            tpl.save(buf)
            return buf.getvalue()

        def full() -> bytes:
            return render_docx(_context(content), title="bench", author_label=FORCE)

        op = SimpleNamespace(**{**_example("operation.json"),
                                "planned_start": datetime.fromisoformat("2026-05-14T10:00:00+01:00"),
                                "planned_end": datetime.fromisoformat("2026-05-14T18:00:00+01:00")})
        version = SimpleNamespace(number=2, status="approved", content=content, cia_id="bench")
        cfg = {"FORCE_NAME": FORCE, "DISCLOSURE_RANK_CUTOFF": "superintendent"}
        rules = [Rule(id="r1", kind="literal", pattern="North End", exemption="s31", reason="Site."),
                 Rule(id="r2", kind="regex", pattern=r"LOG-\d{4}", exemption="s31", reason="Logs.")]
        register = [f"Forename{i} Surname{i}" for i in range(2000)]

        def disclosure() -> bytes:
            ctx, model = copy_rendering.disclosure_context(op, version, cfg, rules, register)
            return copy_rendering.render_disclosure_context(op, version, ctx, model, cfg)

        one_line()  # warm imports and caches before timing
        full()
        disclosure()
        # Interleaved, so that the three see the same machine.
        (base_ms, tiny_docx), (full_ms, full_docx), (disclosure_ms, _) = _interleaved_medians_ms(
            (one_line, full, disclosure), docx_runs)

    out: dict = {
        "runs": {"docx": docx_runs, "pdf": pdf_runs},
        "docx": {"full_ms": full_ms, "disclosure_ms": disclosure_ms,
                 "docxtpl_one_line_ms": base_ms,
                 "ratio_full": round(full_ms / base_ms, 1),
                 "ratio_disclosure": round(disclosure_ms / base_ms, 1),
                 "ratio_disclosure_vs_full": round(disclosure_ms / full_ms, 2),
                 "full_bytes": len(full_docx)},
    }
    if not pdf:
        out["pdf"] = {"skipped": "--no-pdf"}
        return out
    if not available():
        out["pdf"] = {"skipped": "LibreOffice (soffice) is not installed"}
        return out
    try:
        tiny_ms, _ = _median_ms(lambda: docx_to_pdf(tiny_docx), pdf_runs)
        pdf_ms, pdf = _median_ms(lambda: docx_to_pdf(full_docx), pdf_runs)
    except PdfConversionError as exc:
        out["pdf"] = {"skipped": f"conversion failed: {exc}"}
        return out
    out["pdf"] = {"full_ms": pdf_ms, "one_line_ms": tiny_ms,
                  "ratio_vs_one_line_pdf": round(pdf_ms / tiny_ms, 2),
                  "ratio_vs_docxtpl_one_line": round(pdf_ms / base_ms, 1),
                  "full_bytes": len(pdf)}
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docx-runs", type=int, default=7)
    parser.add_argument("--no-pdf", action="store_true", help="leave the PDF part out")
    args = parser.parse_args()
    json.dump(document_benchmarks(args.docx_runs, pdf=not args.no_pdf), sys.stdout, indent=2)
    print()
