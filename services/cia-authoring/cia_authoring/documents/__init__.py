"""Document generation for CIAs: redaction of the disclosure copy, DOCX rendering
(``render``, from a force's template — the shipped default is
``templates/cia.docx``, see ``cia_authoring.templates``) and DOCX → PDF with
LibreOffice headless (``pdf``)."""
