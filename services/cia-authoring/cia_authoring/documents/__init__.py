"""Document generation for CIAs: redaction of the disclosure copy and DOCX rendering."""
