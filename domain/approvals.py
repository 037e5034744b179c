"""Approval gates: a step's `approval` parameter, read and checked in one place, and the
deadline it sets. Who may decide is `domain.roles.may_approve`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.communications import CUSTOMER_FACING
from domain.enums import OnExpiry, Role, StepAction
from domain.roles import APPROVER_ROLES

APPROVAL_PARAMETER = "approval"
MAX_TIMEOUT_HOURS = 24 * 30  # a gate waits a month at most: a message older than that is stale
ALLOWED_KEYS = frozenset({"role", "timeout_hours", "on_expiry"})
# Only what the customer would read waits for a person.
GATED_ACTIONS = CUSTOMER_FACING


@dataclass(frozen=True, kw_only=True)
class ApprovalRule:
    role: Role
    timeout_hours: int
    on_expiry: OnExpiry

    def deadline(self, requested_at: datetime) -> datetime:
        return requested_at + timedelta(hours=self.timeout_hours)


def approval_rule(action: StepAction, parameters: Mapping[str, Any] | None) -> ApprovalRule | None:
    """The step's approval gate, or None; a malformed one raises ValueError saying what is wrong."""
    raw = (parameters or {}).get(APPROVAL_PARAMETER)
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ValueError("approval must be an object: {role, timeout_hours, on_expiry}")
    if action not in GATED_ACTIONS:
        raise ValueError("approval is only for customer emails, statements and SMS")
    unknown = set(raw) - ALLOWED_KEYS
    if unknown:
        raise ValueError(f"approval: unknown field(s) {', '.join(sorted(unknown))}")
    allowed_roles = ", ".join(sorted(r.value for r in APPROVER_ROLES))
    try:
        role = Role(str(raw.get("role")))
    except ValueError:
        raise ValueError(f"approval: role must be one of {allowed_roles}") from None
    if role not in APPROVER_ROLES:
        raise ValueError(f"approval: role must be one of {allowed_roles}")
    hours = raw.get("timeout_hours")
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_TIMEOUT_HOURS:
        raise ValueError(f"approval: timeout_hours must be a whole number from 1 to {MAX_TIMEOUT_HOURS}")
    try:
        on_expiry = OnExpiry(str(raw.get("on_expiry", OnExpiry.SKIP)))
    except ValueError:
        raise ValueError("approval: on_expiry must be skip or send") from None
    return ApprovalRule(role=role, timeout_hours=hours, on_expiry=on_expiry)
