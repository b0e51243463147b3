"""Who may do what in the authoring service (DESIGN §4). FOI officers never see
operations or unredacted CIAs."""
from __future__ import annotations

AUTHORS = ("planner",)
READERS = ("planner", "reviewer", "admin")
DISCLOSURE_READERS = ("foi", "admin")
