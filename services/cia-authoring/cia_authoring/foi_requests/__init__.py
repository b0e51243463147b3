"""FOI request cases answered end to end.

- ``clock``: the FOIA s.10 statutory clock (pure);
- ``models``: the tables of migration 0008_foi_requests;
- ``service``: the case's use cases (receipt, clarification, extension, answers,
  approval, sending); ``answers``: the kinds of answer and what they resolve to;
- ``letter``: the response letter (docxtpl) through the public redactor;
  ``disclosure_log``: the published snapshots made at sending (the public log's
  process, ``cia_authoring.public``, serves them); ``publishing``: the worker's
  part (the letter's PDF, the SQLite copy of the snapshots);
  ``timeliness``: answered within 20 working days, per month;
- ``jobs``: the worker's due-soon and overdue notices;
- ``views`` / ``schemas``: thin flask-smorest views; ``cli``: ``cia foi-requests``.
"""
