"""Input, carried state, signals and query result of the enrollment workflow."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from activities.contracts import OccurrenceRef
from domain.enums import EnrollmentState

TASK_QUEUE = "arcadence"


def enrollment_workflow_id(enrollment_id: int) -> str:
    """One workflow per enrollment (not per customer): a re-enrollment never lands in the run of
    a cancelled one. The customer is the `CustomerId` search attribute; no personal data here."""
    return f"enrollment-{enrollment_id}"


@dataclass(kw_only=True)
class PauseState:
    actor: str
    reason: str
    until: datetime | None = None


@dataclass(kw_only=True)
class DeferredOccurrence:
    """An occurrence the contact-frequency cap held back, and when it may go."""

    occurrence: OccurrenceRef
    until: datetime
    # "Mon 07 Dec 2026 14:30 EST: step 1 ...", what the wait says while it is the next thing.
    label: str = ""


@dataclass(kw_only=True)
class CarriedState:
    """What survives continue-as-new: where the cadence is, and what was asked of it."""

    cursor: datetime | None = None
    pause: PauseState | None = None
    continue_with_id: int | None = None
    steps_done: int = 0
    last_skip_reason: str | None = None
    # Whether a step of the current definition has run for this enrollment: an invoice cadence
    # has ended only when one has. None for runs begun before this was kept (unknown).
    performed_here: bool | None = None
    # Occurrences the contact cap held back, oldest first: each is performed at its time.
    deferred: list[DeferredOccurrence] = field(default_factory=list)


@dataclass(kw_only=True)
class FirstWake:
    """A new enrollment's first plan, made when it was enrolled (the bulk job plans each batch with
    `domain.schedules.plan_next`): nothing was due or missed at `planned_at`, so the workflow's
    first task only starts its timer. It then plans from `planned_at` (its first cursor) at
    `wake_at`, exactly as if it had planned at `planned_at` itself."""

    planned_at: datetime
    # The first step's instant (None: nothing scheduled yet; the workflow re-plans after a day).
    wake_at: datetime | None
    # What the wait says meanwhile ("Mon 07 Dec 2026 14:30 EST: step 1 ...").
    label: str = ""
    # The workflow's name and version as the plan read them (what the status query shows).
    definition_name: str = ""
    definition_version: int = 0


@dataclass(kw_only=True)
class EnrollmentInput:
    enrollment_id: int
    customer_id: int
    definition_id: int
    customer_name: str = ""
    carried: CarriedState = field(default_factory=CarriedState)
    # A run's history stays small: a fresh run after this many steps, whatever the server says.
    max_steps_per_run: int = 100
    # Set by the bulk job for a fresh enrollment whose first plan it made (None: plan at start).
    first_wake: FirstWake | None = None


@dataclass(kw_only=True)
class PauseSignal:
    actor: str
    reason: str
    until: datetime | None = None


@dataclass(kw_only=True)
class ResumeSignal:
    actor: str


@dataclass(kw_only=True)
class ReassignSignal:
    definition_id: int
    actor: str
    # The enrollment it is meant for: a run of another enrollment ignores it (a workflow id
    # from before per-enrollment ids can equal a new enrollment's). None in old histories.
    enrollment_id: int | None = None


@dataclass(kw_only=True)
class ContinueWithSignal:
    definition_id: int
    actor: str


@dataclass(kw_only=True)
class RefreshSignal:
    reason: str = "data changed"


@dataclass(kw_only=True)
class CancelSignal:
    actor: str
    reason: str = "cancelled"


@dataclass(kw_only=True)
class EnrollmentStatus:
    enrollment_id: int
    customer_id: int
    definition_id: int
    definition_name: str
    state: EnrollmentState
    paused: bool
    pause_reason: str | None
    paused_until: datetime | None
    next_step_at: datetime | None
    next_step: str
    steps_done: int
    continue_with_id: int | None
    last_skip_reason: str | None
    details: str
    # The version of the definition the last plan ran (0 before the first plan).
    definition_version: int = 0
