"""Inputs and results of approval gates: the workflow's update and the activities it calls.

Standard library and `domain.enums` only, like `activities.contracts`: cheap in the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.enums import ApprovalDecision, ApprovalState, OnExpiry, Role

# The update's validator refuses with these `ApplicationError` types; the API maps them.
NOT_PENDING = "ApprovalNotPending"
INVALID_DECISION = "ApprovalInvalid"


@dataclass(kw_only=True)
class ApprovalAsk:
    """A step's gate, as `prepare` read it from the step (`domain.approvals.ApprovalRule`)."""

    role: Role
    timeout_hours: int
    on_expiry: OnExpiry


@dataclass(kw_only=True)
class RequestApprovalInput:
    enrollment_id: int
    occurrence_key: str
    occurrence_label: str
    step_id: int
    invoice_id: int | None
    delivery_ids: list[int]
    ask: ApprovalAsk
    as_of: datetime


@dataclass(kw_only=True)
class ApprovalRef:
    """The gate in Postgres: what waits, for whom, until when (and its state if a retried
    request found it already settled)."""

    approval_id: int
    role: Role
    deadline: datetime
    deadline_label: str
    on_expiry: OnExpiry
    state: ApprovalState = ApprovalState.PENDING


@dataclass(kw_only=True)
class DecideApproval:
    """The `decide_approval` update: a person's decision on the approval that waits."""

    approval_id: int
    decision: ApprovalDecision
    actor: str
    # edit: the new message (a field left None stays as rendered)
    subject: str | None = None
    html_body: str | None = None
    text_body: str | None = None
    note: str = ""


@dataclass(kw_only=True)
class ApprovalOutcome:
    """What the gate did with it. `state` is the approval's final state: when it differs from the
    decision asked for, the deadline or a cancel came first."""

    approval_id: int
    state: ApprovalState
    decided_by: str | None
    will_send: bool
    held_for_pause: bool = False
    summary: str = ""


@dataclass(kw_only=True)
class SettleApprovalInput:
    approval_id: int
    enrollment_id: int
    state: ApprovalState  # approved, edited, rejected, expired or withdrawn
    actor: str
    as_of: datetime
    subject: str | None = None
    html_body: str | None = None
    text_body: str | None = None
    note: str = ""


@dataclass(kw_only=True)
class SettleApprovalResult:
    state: ApprovalState
    send: bool
    summary: str
    decided_by: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
