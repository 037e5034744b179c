"""Approval gates' rules: who may decide which gate, and what a step's `approval` must say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.approvals import approval_rule
from domain.enums import OnExpiry, Role, StepAction
from domain.roles import may_approve


def test_owners_and_admins_always_approve_and_a_role_ranks_as_the_api_sets_say() -> None:
    for required in (Role.AR_MANAGER, Role.AR_SPECIALIST, Role.SUPPORT, Role.ADMIN):
        assert may_approve(Role.OWNER, required) and may_approve(Role.ADMIN, required)
        assert not may_approve(Role.VIEWER, required)
    assert may_approve(Role.AR_MANAGER, Role.AR_SPECIALIST)
    assert may_approve(Role.AR_MANAGER, Role.SUPPORT)
    assert not may_approve(Role.AR_SPECIALIST, Role.AR_MANAGER)
    assert not may_approve(Role.SUPPORT, Role.AR_SPECIALIST)
    assert not may_approve(Role.AR_MANAGER, Role.ADMIN)


def test_a_step_gate_reads_its_role_timeout_and_expiry_and_refuses_what_is_malformed() -> None:
    rule = approval_rule(StepAction.CUSTOMER_EMAIL, {"approval": {"role": "ar_manager", "timeout_hours": 48}})
    assert rule is not None and rule.role == Role.AR_MANAGER and rule.on_expiry == OnExpiry.SKIP
    at = datetime(2026, 12, 3, 19, 30, tzinfo=UTC)
    assert rule.deadline(at) == at + timedelta(hours=48)
    assert approval_rule(StepAction.CUSTOMER_EMAIL, {"template": "x"}) is None
    for action, raw, words in [
        (StepAction.TASK, {"role": "admin", "timeout_hours": 1}, "only for customer"),
        (StepAction.SMS, {"role": "admin", "timeout_hours": True}, "timeout_hours"),
        (StepAction.SMS, {"role": "viewer", "timeout_hours": 1}, "role must be"),
        (StepAction.SMS, {"role": "admin", "timeout_hours": 1, "on_expiry": "later"}, "on_expiry"),
    ]:
        with pytest.raises(ValueError, match=words):
            approval_rule(action, {"approval": raw})
