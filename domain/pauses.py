"""Whether a customer's pause holds at a moment: the one rule the planner and the sender share."""

from __future__ import annotations

from datetime import datetime


def pause_in_force(paused: bool, paused_until: datetime | None, as_of: datetime) -> bool:
    """A pause without an end holds until resumed; one with an end holds until that instant."""
    return paused and (paused_until is None or paused_until > as_of)
