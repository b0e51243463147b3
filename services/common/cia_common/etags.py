"""Entity tags a client sends back (RFC 9110 §8.8.3, strong comparison for If-Match).

The API layer parses the header; the services receive the parsed value.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IfMatch:
    any: bool
    tags: tuple[str, ...]  # strong tags only, quotes included; weak ones never match

    def matches(self, current: str) -> bool:
        return self.any or current in self.tags


def parse_if_match(header: str | None) -> IfMatch | None:
    """Parse an ``If-Match`` value; ``None`` when absent or blank."""
    if header is None or not header.strip():
        return None
    value = header.strip()
    if value == "*":
        return IfMatch(any=True, tags=())
    tags = []
    for part in _split_etags(value):
        if part.startswith("W/"):
            continue  # If-Match uses strong comparison: a weak tag never matches
        tags.append(part)
    return IfMatch(any=False, tags=tuple(tags))


def _split_etags(value: str) -> list[str]:
    """Split ``"a", W/"b","c"`` into entity tags, respecting quotes."""
    out, i, n = [], 0, len(value)
    while i < n:
        while i < n and value[i] in " ,\t":
            i += 1
        if i >= n:
            break
        start = i
        if value.startswith("W/", i):
            i += 2
        if i < n and value[i] == '"':
            end = value.find('"', i + 1)
            i = n if end == -1 else end + 1
            out.append(value[start:i])
        else:
            # An unquoted token is malformed; keep it so it simply never matches.
            while i < n and value[i] != ",":
                i += 1
            out.append(value[start:i].strip())
    return out
