"""Marshmallow schemas shared by the CIA Workflow services.

- :mod:`cia_schemas.content` — the CIA content (13 sections) with a disclosure
  class on every field (``x-disclosure`` in the OpenAPI schema).
- :mod:`cia_schemas.operation` — operation and authorisation payloads.
- :mod:`cia_schemas.events` — the CloudEvents 1.0 envelope.
- :mod:`cia_schemas.errors` — marshmallow errors as RFC 6901 JSON pointers.
"""
