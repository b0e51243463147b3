"""Who did something, as services record it (audit entries, decisions)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    sub: str
    name: str
