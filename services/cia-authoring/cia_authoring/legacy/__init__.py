"""Legacy CIA documents: Word and PDF files written before the system, brought in,
redacted for real by the same pass as the born-digital copies, and released.

- ``models``: the tables of migration 0007;
- ``files``: what an uploaded file is, by its content (DOCX or PDF), and why one is refused;
- ``redact``: the redacted copy of a document (``cia_redaction.docx`` / ``cia_redaction.pdf``);
- ``service``: the use cases (upload, terms and areas, previews, page confirmation, release);
- ``importer``: ``cia import-documents`` (a CSV manifest of files); ``released``: the
  released documents, for bundles and FOI responses;
- ``views`` / ``schemas``: thin flask-smorest views; ``cli``: the command.
"""
