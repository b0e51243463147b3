"""The authoring service: operations, CIAs and their versions, documents, FOI
disclosure copies, statistics, legacy documents, FOI requests and templates.

- ``app`` / ``worker`` / ``cli``: the Flask app factory, the worker (relay,
  ``review.completed``, PDFs of approved versions, disclosure copies, FOI notices)
  and the ``cia`` subcommands;
- ``settings``, ``roles``, ``base`` (the tables' declarative base), ``domain``
  (pure rules: transitions, merge-patch, diff, ETags, audit hashing);
- one package per feature, each with ``models``, ``service``, ``schemas`` and
  ``views`` as it needs: ``operations``, ``cias``, ``documents``, ``disclosure``,
  ``statistics``, ``legacy``, ``foi_requests``, ``templates``.
"""
