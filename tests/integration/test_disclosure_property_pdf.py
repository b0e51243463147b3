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


# Each example costs a LibreOffice start: a small fixed budget.
@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_planted_values_never_reach_the_disclosure_pdf(libreoffice, data):
    docx, planted = planted_copy(data)
    text = pdf_text(docx_to_pdf(docx, soffice=libreoffice))
    assert "redacted" in text
    assert [v for v in planted if found(v, text)] == []
