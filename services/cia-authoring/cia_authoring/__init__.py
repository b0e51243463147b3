"""The authoring service: operations, CIAs and their versions, documents, FOI
disclosure copies and the audit trail.

- ``app`` / ``worker``: the Flask app factory and the worker (relay, ``review.completed``,
  PDFs of approved versions);
- ``domain``: pure rules (transitions, merge-patch, diff, ETags, audit hashing);
- ``operations``, ``cias``, ``decisions``, ``disclosures``, ``audit``, ``rendering``,
  ``pdfs``: service-layer functions, one module per feature;
- ``api``: thin flask-smorest views; ``models``: SQLAlchemy models; ``cli``: ``cia audit``.
"""
