"""The disclosure property on the PDF: LibreOffice converts the planted copies
for real and the extracted text and metadata show none of the planted values."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cia_authoring.documents.libreoffice import docx_to_pdf
from tests.integration.test_authoring_support import libreoffice  # noqa: F401  (fixture)
from tests.leaks import found, pdf_text
from tests.unit.test_disclosure_property import planted_copy

pytestmark = pytest.mark.integration


# Each example costs a LibreOffice conversion: a tenth of the profile's budget (20 in
# the suite, 200 with --hypothesis-profile=thorough), random inputs on every run.
# The one health check suppressed: ``libreoffice`` is function-scoped but only names
# the binary, so sharing it across examples is what is meant.
PDF_EXAMPLES = max(1, settings.default.max_examples // 10)


@settings(max_examples=PDF_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_planted_values_never_reach_the_disclosure_pdf(libreoffice, data):
    docx, planted = planted_copy(data)
    text = pdf_text(docx_to_pdf(docx, soffice=libreoffice))
    assert "redacted" in text
    assert [v for v in planted if found(v, text)] == []


def test_the_pdf_property_explores_at_least_20_random_examples():
    # The settings Hypothesis will run the property with (its attribute for them).
    used = test_planted_values_never_reach_the_disclosure_pdf._hypothesis_internal_use_settings
    assert used.max_examples >= 20
    assert not used.derandomize and used.print_blob
