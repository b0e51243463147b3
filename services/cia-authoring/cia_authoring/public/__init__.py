"""The public disclosure log, served by a process of its own (port 8004 locally):
``GET /public/disclosure-log``, ``/public/disclosure-log/{reference}`` and its
``/letter`` (DOCX, or PDF) and ``/attachments`` (zip), no token, rate-limited per
client address across all its workers.

It can print only what was sent: it reads the published snapshots
(``cia_authoring.published``) and nothing else — on PostgreSQL as a role granted
``SELECT`` on that table alone, on SQLite from a read-only copy the worker writes.
It imports no CIA content, no requester and no redaction pass (a layering test
holds it to that): what it serves went through the pass when it was sent.

- ``reader``: the snapshots, read;
- ``app``: the Flask app (``create_app``); ``wsgi``: gunicorn's entry point.
"""
