"""Webhook subscriptions: their filters, secrets, allowed destinations and HTTP API."""
