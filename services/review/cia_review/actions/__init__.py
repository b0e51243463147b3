"""Signed one-time action links, the HTML action page and its signed document links."""
