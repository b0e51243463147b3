"""The disclosure property on the PDF: LibreOffice converts the planted copies
for real and the extracted text and metadata show none of the planted values.

The examples are drawn first, then converted together by one LibreOffice process
(its start-up is most of a small document's conversion), then checked one by one;
a leak names its example's planted values and the seed that draws them again."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from cia_authoring.documents.libreoffice import docx_to_pdfs
from tests.integration.test_authoring_support import libreoffice  # noqa: F401  (fixture)
from tests.leaks import found, pdf_text
from tests.unit.test_disclosure_property import planted_copy

pytestmark = pytest.mark.integration

# A tenth of the profile's budget (20 in the suite, 200 with
# --hypothesis-profile=thorough), random inputs on every run.
PDF_EXAMPLES = max(1, settings.default.max_examples // 10)


def drawn_copies(run_seed: int) -> list[tuple[bytes, list[str]]]:
    copies: list[tuple[bytes, list[str]]] = []

    # Hypothesis draws the examples (random inputs, its own mix of edge cases); the
    # checks run on the whole batch after one conversion.
    @seed(run_seed)
    @settings(max_examples=PDF_EXAMPLES, deadline=None, database=None)
    @given(data=st.data())
    def draw(data):
        copies.append(planted_copy(data))

    draw()
    return copies


def test_planted_values_never_reach_the_disclosure_pdf(libreoffice):
    run_seed = random.getrandbits(64)
    copies = drawn_copies(run_seed)
    assert len(copies) >= PDF_EXAMPLES
    pdfs = docx_to_pdfs([docx for docx, _planted in copies], soffice=libreoffice,
                        timeout_s=60 + 10 * len(copies))
    for n, ((_docx, planted), pdf) in enumerate(zip(copies, pdfs)):
        text = pdf_text(pdf)
        assert "redacted" in text  # positive control: the markers are read in this PDF
        leaked = [v for v in planted if found(v, text)]
        assert leaked == [], f"example {n} of seed {run_seed}: {leaked} (planted {planted})"


def test_the_pdf_property_explores_at_least_20_random_examples():
    assert PDF_EXAMPLES >= 20
    assert not settings.default.derandomize and settings.default.print_blob
