"""Approval gates through the engine: a gated reminder is prepared at its time and waits for a
person (the `decide_approval` update); what they decide, or the deadline, is what the customer
gets, and the history says who decided."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from domain.enums import ApprovalDecision, ApprovalState, DeliveryStatus, HistoryAction
from models import Approval, Customer, Enrollment, Invoice, WorkflowDefinition
from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
    make_template,
)
from tests.workflows.conftest import Engine
from workflows.approval_types import ApprovalOutcome, DecideApproval
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import CancelSignal, PauseSignal, ReassignSignal, ResumeSignal

NEW_YORK = ZoneInfo("America/New_York")
MANAGER = "manager@acme.example"

Handle = WorkflowHandle[EnrollmentWorkflow, str]


async def _gated_reminder(
    session: AsyncSession, cadence: Engine, on_expiry: str = "skip", *, first: bool = True
) -> tuple[WorkflowDefinition, datetime]:
    """A reminder the day before due that an AR manager approves within 48 hours; and its time."""
    if first:
        await make_org(session)
    tomorrow = (await cadence.now()).astimezone(NEW_YORK).date() + timedelta(days=1)
    template = await make_template(session)
    definition = await make_definition(
        session,
        steps=[
            {
                "offset_days": -1,
                "action": "customer_email",
                "template_id": template.id,
                "parameters": {
                    "approval": {"role": "ar_manager", "timeout_hours": 48, "on_expiry": on_expiry}
                },
            }
        ],
    )
    return definition, datetime.combine(tomorrow, time(14, 30), NEW_YORK)


async def _enrolled(
    session: AsyncSession, cadence: Engine, definition: WorkflowDefinition, due_at: datetime, name: str
) -> tuple[Customer, Handle]:
    customer = await make_customer(session, name=name)
    await make_contact(session, customer)
    await make_invoice(
        session, customer, due_date=due_at.date() + timedelta(days=1), balance_due=Decimal("900.00")
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=due_at.date())
    await session.commit()
    return customer, await cadence.start(enrollment, definition)


async def _until(cadence: Engine, at: datetime, *handles: Handle) -> None:
    """Skip to an explicit instant, then let every workflow settle."""
    now = await cadence.now()
    if at > now:
        await cadence.env.sleep(at - now)
    for handle in handles:
        await cadence.settle(handle)


async def _approval(cadence: Engine, customer: Customer) -> Approval:
    rows = await cadence.rows(Approval, Approval.customer_id == customer.id, order_by=col(Approval.id))
    assert len(rows) == 1
    row: Approval = rows[0]
    return row


async def _decide(
    handle: Handle, approval: Approval, decision: ApprovalDecision, **edit: Any
) -> ApprovalOutcome:
    assert approval.id is not None
    return await handle.execute_update(
        EnrollmentWorkflow.decide_approval,
        DecideApproval(approval_id=approval.id, decision=decision, actor=MANAGER, **edit),
    )


async def _actions(cadence: Engine, customer: Customer) -> dict[str, str]:
    """Each history action of the customer, with who did it."""
    return {h.action: h.actor for h in await cadence.history(customer.id)}


async def test_an_approved_reminder_waits_for_the_manager_then_goes_and_the_history_says_who(
    session: AsyncSession, cadence: Engine
) -> None:
    definition, at = await _gated_reminder(session, cadence)
    customer, handle = await _enrolled(session, cadence, definition, at, "Globex Corp")
    await _until(cadence, at + timedelta(minutes=5), handle)

    status = await handle.query(EnrollmentWorkflow.status)
    assert status.details.startswith("Waiting for approval by ar_manager until ")
    approval = await _approval(cadence, customer)
    assert approval.state == ApprovalState.PENDING and approval.role == "ar_manager"
    assert approval.deadline - approval.requested_at == timedelta(hours=48)
    assert "is due" in approval.text_body  # the rendered message, for the approver to read
    assert [d.status for d in await cadence.deliveries(customer.id)] == [DeliveryStatus.PENDING]
    assert await cadence.outbox(customer.id) == []

    assert approval.id is not None
    with pytest.raises(WorkflowUpdateFailedError):  # not the approval that waits
        await handle.execute_update(
            EnrollmentWorkflow.decide_approval,
            DecideApproval(approval_id=approval.id + 1000, decision=ApprovalDecision.APPROVE, actor=MANAGER),
        )
    outcome = await _decide(handle, approval, ApprovalDecision.APPROVE)
    assert outcome.state == ApprovalState.APPROVED and outcome.will_send and outcome.decided_by == MANAGER
    await cadence.settle(handle)
    with pytest.raises(WorkflowUpdateFailedError):  # already decided
        await _decide(handle, approval, ApprovalDecision.REJECT)

    assert len(await cadence.outbox(customer.id)) == 1
    actions = await _actions(cadence, customer)
    assert actions[HistoryAction.APPROVAL_REQUESTED] == "arcadence"
    assert actions[HistoryAction.APPROVAL_APPROVED] == MANAGER
    assert HistoryAction.MESSAGE_SENT in actions
    assert not (await handle.query(EnrollmentWorkflow.status)).details.startswith("Waiting for approval")


async def test_a_rejected_reminder_is_never_sent_and_an_edited_one_goes_with_the_new_text(
    session: AsyncSession, cadence: Engine
) -> None:
    definition, at = await _gated_reminder(session, cadence)
    rejected, rejected_handle = await _enrolled(session, cadence, definition, at, "Globex Corp")
    edited, edited_handle = await _enrolled(session, cadence, definition, at, "Initech")
    await _until(cadence, at + timedelta(minutes=5), rejected_handle, edited_handle)

    refused = await _decide(rejected_handle, await _approval(cadence, rejected), ApprovalDecision.REJECT)
    assert refused.state == ApprovalState.REJECTED and not refused.will_send
    outcome = await _decide(
        edited_handle,
        await _approval(cadence, edited),
        ApprovalDecision.EDIT,
        subject="A gentle note about your invoice",
        text_body="Dear Initech, a friendly reminder from Sam.",
    )
    assert outcome.state == ApprovalState.EDITED and outcome.will_send
    await cadence.settle(rejected_handle)
    await cadence.settle(edited_handle)

    assert await cadence.outbox(rejected.id) == []
    assert [d.status for d in await cadence.deliveries(rejected.id)] == [DeliveryStatus.WITHHELD]
    assert (await _actions(cadence, rejected))[HistoryAction.APPROVAL_REJECTED] == MANAGER

    [sent] = await cadence.outbox(edited.id)
    assert sent.subject == "A gentle note about your invoice"
    assert sent.text_body == "Dear Initech, a friendly reminder from Sam."
    approval = await _approval(cadence, edited)
    assert approval.changes["subject"]["after"] == "A gentle note about your invoice"
    assert "is due" in approval.changes["text_body"]["before"]
    entry = next(h for h in await cadence.history(edited.id) if h.action == HistoryAction.APPROVAL_EDITED)
    assert entry.actor == MANAGER and "changed: subject, text body" in entry.description


async def test_an_approval_nobody_decides_expires_at_its_deadline_skipped_or_sent_as_the_step_says(
    session: AsyncSession, cadence: Engine
) -> None:
    skip_definition, at = await _gated_reminder(session, cadence, on_expiry="skip")
    send_definition, _ = await _gated_reminder(session, cadence, on_expiry="send", first=False)
    skipped, skipped_handle = await _enrolled(session, cadence, skip_definition, at, "Globex Corp")
    sent, sent_handle = await _enrolled(session, cadence, send_definition, at, "Initech")
    await _until(cadence, at + timedelta(minutes=5), skipped_handle, sent_handle)
    assert await cadence.outbox(sent.id) == []

    await _until(cadence, at + timedelta(hours=48, minutes=10), skipped_handle, sent_handle)
    assert await cadence.outbox(skipped.id) == []
    assert (await _approval(cadence, skipped)).state == ApprovalState.EXPIRED
    assert [d.status for d in await cadence.deliveries(skipped.id)] == [DeliveryStatus.WITHHELD]
    assert len(await cadence.outbox(sent.id)) == 1
    entry = next(h for h in await cadence.history(sent.id) if h.action == HistoryAction.APPROVAL_EXPIRED)
    assert "nobody decided by the deadline, sent without approval" in entry.description


async def test_an_approval_given_while_the_customer_is_paused_is_recorded_and_sent_on_resume(
    session: AsyncSession, cadence: Engine
) -> None:
    definition, at = await _gated_reminder(session, cadence)
    customer, handle = await _enrolled(session, cadence, definition, at, "Globex Corp")
    cancelled, cancelled_handle = await _enrolled(session, cadence, definition, at, "Initech")
    await _until(cadence, at + timedelta(minutes=5), handle, cancelled_handle)

    await handle.signal(EnrollmentWorkflow.pause, PauseSignal(actor="support@acme.example", reason="call"))
    outcome = await _decide(handle, await _approval(cadence, customer), ApprovalDecision.APPROVE)
    assert outcome.state == ApprovalState.APPROVED and outcome.held_for_pause
    status = await cadence.settle(handle)
    assert status is not None and status.details.startswith("Paused: approval ")
    assert await cadence.outbox(customer.id) == []
    assert (await _actions(cadence, customer))[HistoryAction.APPROVAL_APPROVED] == MANAGER

    await handle.signal(EnrollmentWorkflow.resume, ResumeSignal(actor="support@acme.example"))
    await cadence.wait_for(handle, lambda s: not s.details.startswith("Paused: approval"))
    assert len(await cadence.outbox(customer.id)) == 1

    # A cancel ends the wait: the approval is withdrawn, nothing is sent.
    await cancelled_handle.signal(
        EnrollmentWorkflow.cancel, CancelSignal(actor="admin@acme.example", reason="left")
    )
    await cadence.settle(cancelled_handle)
    assert (await _approval(cadence, cancelled)).state == ApprovalState.WITHDRAWN
    assert await cadence.outbox(cancelled.id) == []


async def test_an_approved_reminder_whose_invoice_was_disputed_while_it_waited_is_not_sent(
    session: AsyncSession, cadence: Engine
) -> None:
    definition, at = await _gated_reminder(session, cadence)
    customer, handle = await _enrolled(session, cadence, definition, at, "Globex Corp")
    await _until(cadence, at + timedelta(minutes=5), handle)
    # Days pass before the manager looks; meanwhile the customer disputes the invoice.
    await session.exec(  # type: ignore[call-overload]
        update(Invoice).where(col(Invoice.customer_id) == customer.id).values(collection_status="disputed")
    )
    await session.commit()

    outcome = await _decide(handle, await _approval(cadence, customer), ApprovalDecision.APPROVE)
    assert outcome.state == ApprovalState.APPROVED
    await cadence.settle(handle)
    assert await cadence.outbox(customer.id) == []  # the send re-read the truth: disputed
    assert [d.status for d in await cadence.deliveries(customer.id)] == [DeliveryStatus.WITHHELD]
    (not_sent,) = [
        h for h in await cadence.history(customer.id) if h.action == HistoryAction.MESSAGE_NOT_SENT
    ]
    assert "disputed" in not_sent.description


async def test_a_reassign_while_a_gate_waits_withdraws_it_and_the_new_workflow_sends(
    session: AsyncSession, cadence: Engine
) -> None:
    definition, at = await _gated_reminder(session, cadence)
    customer, handle = await _enrolled(session, cadence, definition, at, "Globex Corp")
    await _until(cadence, at + timedelta(minutes=5), handle)
    follow = await make_definition(
        session,
        kind="assignment",
        steps=[{"offset_days": 1, "action": "statement_email"}],
    )
    (enrollment,) = await cadence.rows(Enrollment, Enrollment.customer_id == customer.id)
    # As the API does: Postgres first, then the signal.
    await session.exec(  # type: ignore[call-overload]
        update(Enrollment)
        .where(col(Enrollment.id) == enrollment.id)
        .values(definition_id=follow.id, definition_version=follow.version)
    )
    await session.commit()
    await handle.signal(
        EnrollmentWorkflow.reassign,
        ReassignSignal(definition_id=follow.id, actor="admin@acme.example", enrollment_id=enrollment.id),
    )
    await cadence.settle(handle)
    assert (await _approval(cadence, customer)).state == ApprovalState.WITHDRAWN

    # The new workflow's step (the day after the reassign) is performed, once.
    await _until(cadence, at + timedelta(days=2, hours=1), handle)
    assert len(await cadence.outbox(customer.id)) == 1
    assert HistoryAction.MESSAGE_SENT in await _actions(cadence, customer)
