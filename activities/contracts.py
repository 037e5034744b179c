"""Inputs and results of the enrollment activities: plain dataclasses, safe to pass to workflows.

Standard library and `domain.enums` only, so the workflow sandbox can import them cheaply.
Closed sets cross as the enums (the pydantic converter writes their values, as it wrote the
strings before); amounts never cross as floats; instants are aware UTC datetimes from
`workflow.now()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from activities.approval_contracts import ApprovalAsk
from domain.enums import DefinitionKind, DeliveryStatus, EnrollmentState, HistoryAction, StepAction

# "deferred": held back by the contact-frequency cap until `deferred_until`.
PrepareOutcome = Literal["send", "performed", "skipped", "deferred"]


@dataclass(kw_only=True)
class OccurrenceRef:
    """One occurrence of a step, as the workflow carries it between activities."""

    key: str
    at: datetime
    local_date: date
    step_id: int
    step_position: int
    action: StepAction
    invoice_id: int | None = None
    invoice_number: str | None = None
    label: str = ""
    # "Step 2 merged into step 3: ..." when the business-day shift merged reminders into it.
    merged_note: str = ""
    # An automation's action performed as a step (step_id 0): which automation, which action.
    automation_id: int | None = None
    action_index: int = 0


@dataclass(kw_only=True)
class PlanInput:
    enrollment_id: int
    cursor: datetime | None
    as_of: datetime
    # Prepare the first due occurrence in the plan's own transaction, when nothing the workflow
    # does between plan and prepare can change it (`activities.planning.may_prepare_first`).
    prepare_first: bool = False
    # The definition the workflow ran last: a plan that finds another one (with a cursor) is
    # planned again fresh by the workflow, so it prepares nothing.
    definition_id: int | None = None


MISSED_LISTED = 50


@dataclass(kw_only=True)
class PlanResult:
    enrollment_state: EnrollmentState
    definition_id: int
    definition_name: str
    definition_version: int
    kind: DefinitionKind
    time_zone: str
    due: list[OccurrenceRef] = field(default_factory=list)
    # At most MISSED_LISTED of them (a pause of years misses hundreds): `missed_count` says how
    # many in all. Results recorded before it was kept have it 0 and list every one.
    missed: list[OccurrenceRef] = field(default_factory=list)
    missed_count: int = 0
    next_at: datetime | None = None
    next_label: str = ""
    upcoming: list[OccurrenceRef] = field(default_factory=list)
    exhausted: bool = False
    continue_with_id: int | None = None
    customer_paused: bool = False
    paused_until: datetime | None = None
    paused_until_label: str = ""
    pause_reason: str | None = None
    paused_by: str | None = None
    # False when the workflow is switched OFF: its enrollments wait and send nothing.
    definition_enabled: bool = True
    # False when no automation is attached to the workflow: the workflow need not ask which
    # fire (results recorded before it was kept have it True, and asked).
    automations_attached: bool = True
    # The plan wrote `next_at` to the enrollment row itself (nothing else can move the wake-up:
    # no automation, not paused, not off): the workflow need not save it again.
    next_step_saved: bool = False
    # `due[0]` prepared by the plan (`PlanInput.prepare_first`), and its key: the workflow sends
    # it without asking `prepare`. None: not prepared here (the workflow asks `prepare`).
    prepared: PrepareResult | None = None
    prepared_key: str | None = None


@dataclass(kw_only=True)
class PrepareInput:
    enrollment_id: int
    occurrence: OccurrenceRef
    as_of: datetime


@dataclass(kw_only=True)
class PrepareResult:
    outcome: PrepareOutcome
    reason: str
    delivery_ids: list[int] = field(default_factory=list)
    conditions: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    # The step's approval gate: the deliveries wait for a person's decision before they are sent.
    approval: ApprovalAsk | None = None
    deferred_until: datetime | None = None


@dataclass(kw_only=True)
class SendInput:
    delivery_id: int
    as_of: datetime


@dataclass(kw_only=True)
class SendResult:
    delivery_id: int
    status: DeliveryStatus
    provider: str | None = None
    provider_message_id: str | None = None
    note: str = ""


@dataclass(kw_only=True)
class CloseDeliveryInput:
    """Settle a delivery the workflow gave up on (provider refused, or it expired)."""

    delivery_id: int
    status: DeliveryStatus  # failed (the provider refused) or expired
    error: str
    as_of: datetime


@dataclass(kw_only=True)
class RecordInput:
    enrollment_id: int
    action: HistoryAction
    description: str
    as_of: datetime
    occurrence: OccurrenceRef | None = None
    actor: str = "arcadence"
    details: dict[str, Any] = field(default_factory=dict)
    # Written once per key: a retried record activity never duplicates the entry.
    key: str | None = None
    # Kept for the payloads of running histories; no longer read: whether an entry is the
    # customer's Last Action is `domain.history.is_last_action`, applied by `write_history`.
    last_action: bool = True


class SwitchReason(StrEnum):
    REASSIGN = "reassign"  # now, re-anchored today
    CONTINUE_WITH = "continue_with"  # the current definition's steps are done


@dataclass(kw_only=True)
class SwitchInput:
    enrollment_id: int
    definition_id: int
    reason: SwitchReason
    actor: str
    as_of: datetime
    # What the workflow believes the enrollment runs now, and whether a person's reassign signal
    # asked for the switch (the API wrote it to Postgres first). Either lets the switch see that
    # Postgres has moved on since; absent (older runs), the switch is made as asked.
    from_definition_id: int | None = None
    signalled: bool = False


@dataclass(kw_only=True)
class SwitchResult:
    definition_id: int
    definition_name: str
    anchor_date: date


@dataclass(kw_only=True)
class FinishInput:
    enrollment_id: int
    state: EnrollmentState  # completed or cancelled
    reason: str
    actor: str
    as_of: datetime


@dataclass(kw_only=True)
class NextStepInput:
    enrollment_id: int
    state: EnrollmentState
    next_step_at: datetime | None


def missed_in_all(plan: PlanResult) -> int:
    """How many occurrences the plan found missed (listed or not)."""
    return plan.missed_count or len(plan.missed)
