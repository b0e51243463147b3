"""Document generation for CIAs: redaction of the disclosure copy, DOCX rendering
(``render``, from the template ``build_template`` writes) and DOCX → PDF with
LibreOffice headless (``pdf``)."""
