"""The notifier service: webhook subscriptions, signed delivery (Standard
Webhooks), retries on a schedule, and the delivery log.

Modules: ``domain`` (pure rules), ``destinations`` (URL allow-list with DNS),
``teams`` (Teams cards), ``models`` (tables), ``services`` (handlers and
subscription functions), ``delivery`` (the sending loop), ``schemas`` and
``views`` (HTTP API), ``app`` (Flask factory), ``worker`` (worker process),
``settings`` (configuration keys), ``testing`` (a real webhook receiver for tests).
"""
