"""Approval gates' database work: ask (the approval row and its history entry) and settle (the
decision, the expiry or the withdrawal applied to the held deliveries, with who decided)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from temporalio import activity

from activities.approval_contracts import (
    ApprovalAsk,
    ApprovalRef,
    RequestApprovalInput,
    SettleApprovalInput,
    SettleApprovalResult,
)
from activities.errors import missing_rows_are_final
from domain.approvals import approval_rule
from domain.enums import ApprovalState, DeliveryStatus, HistoryAction, OnExpiry, Role, StepAction
from models import Approval, Delivery, WorkflowStep
from models.base import require_id
from models.db import SessionFactory, unit_of_work
from models.history import write_history
from models.repository import load_enrollment, load_organization
from models.repository.approvals import held_deliveries, insert_approval_once, load_approval

log = structlog.get_logger("arcadence.approvals")

SENDS = frozenset({ApprovalState.APPROVED, ApprovalState.EDITED})
HISTORY = {
    ApprovalState.APPROVED: HistoryAction.APPROVAL_APPROVED,
    ApprovalState.EDITED: HistoryAction.APPROVAL_EDITED,
    ApprovalState.REJECTED: HistoryAction.APPROVAL_REJECTED,
    ApprovalState.EXPIRED: HistoryAction.APPROVAL_EXPIRED,
    ApprovalState.WITHDRAWN: HistoryAction.APPROVAL_WITHDRAWN,
}
EDITABLE = ("subject", "html_body", "text_body")


def approval_ask(step: WorkflowStep) -> ApprovalAsk | None:
    """The step's gate, for `prepare` to hand to the workflow (validated when it was saved)."""
    rule = approval_rule(StepAction(step.action), step.parameters)
    if rule is None:
        return None
    return ApprovalAsk(role=rule.role, timeout_hours=rule.timeout_hours, on_expiry=rule.on_expiry)


def gate_key(enrollment_id: int, occurrence_key: str) -> str:
    """An occurrence's gate within its enrollment (a re-enrollment asks afresh)."""
    return f"{enrollment_id}:{occurrence_key}"


def _ref(approval: Approval, zone: str) -> ApprovalRef:
    label = approval.deadline.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z")
    return ApprovalRef(
        approval_id=require_id(approval),
        role=Role(approval.role),
        deadline=approval.deadline,
        deadline_label=label,
        on_expiry=OnExpiry(approval.on_expiry),
        state=ApprovalState(approval.state),
    )


def _sends(state: ApprovalState, on_expiry: OnExpiry) -> bool:
    return state in SENDS or (state == ApprovalState.EXPIRED and on_expiry == OnExpiry.SEND)


class ApprovalActivities:
    def __init__(self, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

    @activity.defn(name="request_approval")
    @missing_rows_are_final
    async def request_approval(self, request: RequestApprovalInput) -> ApprovalRef:
        async with unit_of_work(self._sessions) as session:
            enrollment = await load_enrollment(session, request.enrollment_id)
            org = await load_organization(session)
            first = (await session.get(Delivery, request.delivery_ids[0])) if request.delivery_ids else None
            ask = request.ask
            approval = await insert_approval_once(
                session,
                Approval(
                    occurrence_key=gate_key(request.enrollment_id, request.occurrence_key),
                    enrollment_id=request.enrollment_id,
                    customer_id=enrollment.customer_id,
                    step_id=request.step_id or None,
                    step_label=request.occurrence_label[:300],
                    delivery_ids=list(request.delivery_ids),
                    subject=first.subject if first else None,
                    html_body=first.html_body if first else None,
                    text_body=first.text_body if first else "",
                    role=ask.role.value,
                    on_expiry=ask.on_expiry.value,
                    state=ApprovalState.PENDING.value,
                    requested_at=request.as_of,
                    deadline=request.as_of + timedelta(hours=ask.timeout_hours),
                ),
            )
            ref = _ref(approval, org.time_zone)
            await write_history(
                session,
                customer_id=enrollment.customer_id,
                enrollment_id=request.enrollment_id,
                invoice_id=request.invoice_id,
                action=HistoryAction.APPROVAL_REQUESTED,
                description=(
                    f"{request.occurrence_label} waits for approval by {ask.role} until "
                    f"{ref.deadline_label} (then: {ask.on_expiry})"
                ),
                actor="arcadence",
                occurred_at=request.as_of,
                details={"approval_id": ref.approval_id, "deliveries": list(request.delivery_ids)},
                key=f"approval:{ref.approval_id}:requested",
            )
        log.info("approval.requested", approval_id=ref.approval_id, role=ask.role)
        return ref

    @activity.defn(name="settle_approval")
    @missing_rows_are_final
    async def settle_approval(self, request: SettleApprovalInput) -> SettleApprovalResult:
        async with unit_of_work(self._sessions) as session:
            approval = await load_approval(session, request.approval_id, lock=True)
            current = ApprovalState(approval.state)
            on_expiry = OnExpiry(approval.on_expiry)
            withdrawing_decided = request.state == ApprovalState.WITHDRAWN and current in SENDS
            if current != ApprovalState.PENDING and not withdrawing_decided:
                # A retry of a settle that committed: the same answer, nothing written twice.
                return SettleApprovalResult(
                    state=current,
                    send=_sends(current, on_expiry),
                    summary=f"approval {approval.id} is already {current}",
                    decided_by=approval.decided_by,
                )
            deliveries = await held_deliveries(session, approval)
            changes = _edit(approval, deliveries, request) if request.state == ApprovalState.EDITED else {}
            send = _sends(request.state, on_expiry)
            if not send:
                _withhold(deliveries, request)
            if not withdrawing_decided:
                approval.decided_by = request.actor
                approval.decided_at = request.as_of
            approval.state = request.state.value
            approval.changes = changes or approval.changes
            approval.note = request.note[:2000]
            session.add(approval)
            summary = _summary(approval, request, on_expiry)
            details: dict[str, Any] = {"approval_id": approval.id, "decided_by": approval.decided_by}
            if changes:
                details["changes"] = changes
            await write_history(
                session,
                customer_id=approval.customer_id,
                enrollment_id=approval.enrollment_id,
                invoice_id=deliveries[0].invoice_id if deliveries else None,
                action=HISTORY[request.state],
                description=summary,
                actor=request.actor,
                occurred_at=request.as_of,
                details=details,
                key=f"approval:{approval.id}:{request.state}",
            )
        log.info("approval.settled", approval_id=request.approval_id, state=request.state, send=send)
        return SettleApprovalResult(
            state=request.state, send=send, summary=summary, decided_by=approval.decided_by, details=details
        )


def _edit(approval: Approval, deliveries: list[Delivery], request: SettleApprovalInput) -> dict[str, Any]:
    """The person's text replaces the rendered one, on the gate and on every held delivery."""
    changes: dict[str, Any] = {}
    for name in EDITABLE:
        new = getattr(request, name)
        old = getattr(approval, name)
        if new is None or new == old:
            continue
        changes[name] = {"before": old, "after": new}
        setattr(approval, name, new)
    for delivery in deliveries:
        if delivery.status != DeliveryStatus.PENDING:
            continue
        for name in changes:
            setattr(delivery, name, getattr(approval, name))
        delivery.updated_at = request.as_of
    return changes


def _withhold(deliveries: list[Delivery], request: SettleApprovalInput) -> None:
    for delivery in deliveries:
        if delivery.status == DeliveryStatus.PENDING:
            delivery.status = DeliveryStatus.WITHHELD.value
            delivery.last_error = f"not sent: approval {request.state} by {request.actor}"
            delivery.updated_at = request.as_of


def _summary(approval: Approval, request: SettleApprovalInput, on_expiry: OnExpiry) -> str:
    label = approval.step_label or f"Approval {approval.id}"
    note = f": {request.note}" if request.note else ""
    match request.state:
        case ApprovalState.APPROVED:
            return f"{label} approved by {request.actor}{note}"
        case ApprovalState.EDITED:
            changed = ", ".join(k.replace("_", " ") for k in approval.changes) or "nothing"
            return f"{label} edited and approved by {request.actor} (changed: {changed}){note}"
        case ApprovalState.REJECTED:
            return f"{label} rejected by {request.actor}, not sent{note}"
        case ApprovalState.EXPIRED:
            then = "sent without approval" if on_expiry == OnExpiry.SEND else "not sent"
            return f"{label}: nobody decided by the deadline, {then}"
        case _:
            return f"{label} not sent: approval withdrawn ({request.note or 'the enrollment moved on'})"
