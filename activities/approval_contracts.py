"""Inputs and results of the approval gates' activities (the update's are `workflows.approval_types`).

Standard library and `domain.enums` only, like `activities.contracts`: cheap in the sandbox.
"""

# No `from __future__ import annotations`: `PrepareResult` nests `ApprovalAsk`, and inside the
# workflow sandbox pydantic can resolve only real annotations of a module the sandbox never
# imported by name.
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.enums import ApprovalState, OnExpiry, Role


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
