"""The property and fuzz tests with Hypothesis's "thorough" profile: ten times the
examples the suite runs (2,000 planted disclosure copies, 200 PDF conversions, 100
hostile legacy Word files and 20 hostile legacy PDFs flattened and read back by OCR,
ten times the fuzzing per operation and role). Too slow for every landing, worth a
run before a release or after a change to the redaction or the APIs.

    CIA_BENCH_MODULE=bench.properties ./infra/bench.sh   # on the test stack
    python -m bench.properties [pytest args...]          # with the stack already up

Exits with pytest's status: non-zero on any failure. The profiles are registered
in tests/conftest.py; a failure prints the blob that reproduces it, and the failing
example is kept in .state/hypothesis and replayed first on the next local run.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PROPERTY_TESTS = [
    "tests/unit/test_disclosure_property.py",
    "tests/integration/test_disclosure_property_pdf.py",
    "tests/unit/test_legacy_property.py",
    "tests/integration/test_fuzz_apis.py",
]


def main(argv: list[str]) -> int:
    args = [str(REPO / path) for path in PROPERTY_TESTS]
    return int(pytest.main([*args, "--hypothesis-profile=thorough",
                            "--hypothesis-show-statistics", "-q", "-p", "no:cacheprovider",
                            *argv]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
