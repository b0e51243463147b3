"""Review rounds: opening, the approval policy, decisions, reassignment, reminders."""
