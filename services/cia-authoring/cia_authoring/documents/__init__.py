"""Documents of a CIA version: the render context and the stored files
(``service``), DOCX rendering from a force's template (``render``; the shipped
default is ``templates/cia.docx``, see ``cia_authoring.templates``), the
field-by-field redaction of the disclosure copy's content (``redaction``),
DOCX → PDF with LibreOffice headless (``libreoffice``) and the PDF copies the
worker makes of stored DOCX files (``pdfs``)."""
