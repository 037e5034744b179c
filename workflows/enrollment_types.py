"""Input, carried state, signals and query result of the enrollment workflow."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

TASK_QUEUE = "arcadence"


def enrollment_workflow_id(customer_id: int) -> str:
    """One workflow per enrolled customer; the id carries no personal data."""
    return f"enrollment-{customer_id}"


@dataclass
class PauseState:
    actor: str
    reason: str
    until: datetime | None = None


@dataclass
class CarriedState:
    """What survives continue-as-new: where the cadence is, and what was asked of it."""

    cursor: datetime | None = None
    pause: PauseState | None = None
    continue_with_id: int | None = None
    steps_done: int = 0
    last_skip_reason: str | None = None


@dataclass
class EnrollmentInput:
    enrollment_id: int
    customer_id: int
    definition_id: int
    customer_name: str = ""
    carried: CarriedState = field(default_factory=CarriedState)
    # A run's history stays small: a fresh run after this many steps, whatever the server says.
    max_steps_per_run: int = 100


@dataclass
class PauseSignal:
    actor: str
    reason: str
    until: datetime | None = None


@dataclass
class ResumeSignal:
    actor: str


@dataclass
class ReassignSignal:
    definition_id: int
    actor: str


@dataclass
class ContinueWithSignal:
    definition_id: int
    actor: str


@dataclass
class RefreshSignal:
    reason: str = "data changed"


@dataclass
class CancelSignal:
    actor: str
    reason: str = "cancelled"


@dataclass
class EnrollmentStatus:
    enrollment_id: int
    customer_id: int
    definition_id: int
    definition_name: str
    state: str
    paused: bool
    pause_reason: str | None
    paused_until: datetime | None
    next_step_at: datetime | None
    next_step: str
    steps_done: int
    continue_with_id: int | None
    last_skip_reason: str | None
    details: str
