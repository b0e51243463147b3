"""Signed webhook delivery: event fan-out, sending, retries, Teams cards, the delivery log."""
