"""UK police ranks, ordered, with the equivalences between county forces and
the Metropolitan Police / City of London.

``RANKS`` is ordered from lowest to highest; ranks on the same level are
equivalent (e.g. ``assistant_chief_constable`` and ``commander``).
"""

from __future__ import annotations

# (rank, level). Police staff and people outside the police sit below constable:
# their names are never released under the rank rule.
_RANK_LEVELS: tuple[tuple[str, int], ...] = (
    ("police_staff", 0),
    ("constable", 1),
    ("sergeant", 2),
    ("inspector", 3),
    ("chief_inspector", 4),
    ("superintendent", 5),
    ("chief_superintendent", 6),
    ("assistant_chief_constable", 7),
    ("commander", 7),
    ("deputy_chief_constable", 8),
    ("deputy_assistant_commissioner", 8),
    ("chief_constable", 9),
    ("assistant_commissioner", 9),
    ("deputy_commissioner", 10),
    ("commissioner", 11),
)

RANKS: list[str] = [name for name, _ in _RANK_LEVELS]
RANK_LEVEL: dict[str, int] = dict(_RANK_LEVELS)

RANK_LABELS: dict[str, str] = {
    "police_staff": "Police Staff",
    "constable": "Police Constable",
    "sergeant": "Sergeant",
    "inspector": "Inspector",
    "chief_inspector": "Chief Inspector",
    "superintendent": "Superintendent",
    "chief_superintendent": "Chief Superintendent",
    "assistant_chief_constable": "Assistant Chief Constable",
    "commander": "Commander",
    "deputy_chief_constable": "Deputy Chief Constable",
    "deputy_assistant_commissioner": "Deputy Assistant Commissioner",
    "chief_constable": "Chief Constable",
    "assistant_commissioner": "Assistant Commissioner",
    "deputy_commissioner": "Deputy Commissioner",
    "commissioner": "Commissioner",
}


def rank_level(rank: str) -> int:
    """Numeric level of ``rank``; raises ``ValueError`` for an unknown rank."""
    try:
        return RANK_LEVEL[rank]
    except (KeyError, TypeError):
        raise ValueError(f"unknown rank: {rank!r}") from None


def rank_at_least(rank: str | None, minimum: str) -> bool:
    """True if ``rank`` is at or above ``minimum``.

    An unknown or missing ``rank`` is never "at least" anything (fail closed);
    an unknown ``minimum`` is a configuration error and raises ``ValueError``.
    """
    min_level = rank_level(minimum)
    if rank not in RANK_LEVEL:
        return False
    return RANK_LEVEL[rank] >= min_level
