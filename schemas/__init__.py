"""Marshmallow schemas shared by the CIA Workflow services.

- :mod:`cia_schemas.content` — the CIA content (13 sections) with a disclosure
  class on every field (``x-disclosure`` in the OpenAPI schema).
- :mod:`cia_schemas.operation` — operation and authorisation payloads.
- :mod:`cia_schemas.events` — the CloudEvents 1.0 envelope.
- :mod:`cia_schemas.contracts` — the ``data`` of every event type, checked by the
  producer's ``emit`` and loaded by its consumers.
- :mod:`cia_schemas.asyncapi` — the AsyncAPI 3.0 document made from the contracts.
- :mod:`cia_schemas.errors` — marshmallow errors as RFC 6901 JSON pointers.
"""
