"""FOI disclosure: censor rules, re-rendering, the release gate, bundles,
outcome statistics and the import of historic deployment records.

- ``suppression``, ``grid``: pure rules (no Flask, no SQLAlchemy); the censor rules
  themselves run in ``cia_authoring.disclosure``;
- ``models``: the tables of migration 0002;
- ``rules``, ``copies``, ``release``, ``bundle``, ``statistics``, ``importer``:
  service-layer functions, one module per feature;
- ``handlers``: the authoring worker's event handlers for disclosure copies;
- ``views`` / ``schemas``: thin flask-smorest views; ``cli``: ``cia export-disclosures``
  and ``cia import-deployments``.
"""
