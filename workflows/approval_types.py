"""The enrollment workflow's `decide_approval` update: its input, its result, and the error types
its validator refuses with (the API maps them). Standard library and `domain.enums` only."""

from __future__ import annotations

from dataclasses import dataclass

from domain.enums import ApprovalDecision, ApprovalState

NOT_PENDING = "ApprovalNotPending"
INVALID_DECISION = "ApprovalInvalid"


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
