"""The notifier service: webhook subscriptions, signed delivery (Standard
Webhooks), retries on a schedule, and the delivery log.

One package per feature, each with ``models`` (tables), ``service`` (service
functions), ``schemas`` and ``views`` (HTTP API): ``subscriptions`` (filters,
secrets, allowed destinations and the pinned egress) and ``deliveries`` (the
event consumer, the sending loop, retries, signing, Teams cards, the delivery
log). At the root: ``base`` (the shared declarative Base), ``app`` (Flask
factory), ``wsgi``, ``worker`` (worker process), ``cli``, ``metrics``,
``settings`` (configuration keys).
"""
