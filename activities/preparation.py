"""The `prepare` activity: on waking, re-read the truth and decide what this step does.

Pause state, the invoice, and the conditions are read from Postgres now (a lost signal can
never cause a wrong send); recipients are resolved, the message rendered, and deliveries
created once per customer, step, invoice, day and channel. Non-message steps (task, note,
status, assignment) are performed here, in the same transaction, idempotently.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import contact_cap
from activities.approvals import approval_ask
from activities.contracts import OccurrenceRef, PrepareInput, PrepareResult
from activities.errors import missing_rows_are_final
from activities.liveness import not_live_reason
from activities.messages import MessageDraft, draft_message
from domain import recipients as rcp
from domain.conditions import evaluate, parse_conditions
from domain.deliveries import REACHED, delivery_key
from domain.enums import CollectionStatus, DeliveryStatus, StepAction, TaskStatus
from domain.hierarchy import billed_elsewhere_reason
from domain.invoices import collection_words, out_of_cadence_reason
from domain.pauses import pause_in_force
from domain.schedules import ON_TIME_GRACE, OrgCalendar
from models import Automation, Customer, Delivery, Invoice, User, WorkflowStep
from models.base import require_id
from models.db import SessionFactory, unit_of_work
from models.metrics import customer_metrics
from models.repository import (
    create_task_once,
    customer_calendar_of,
    delivery_by_key,
    load_customer,
    load_definition,
    load_enrollment,
    load_organization,
    open_invoices,
)
from models.repository.hierarchy import bill_to_customer
from models.repository.holds import move_collection_status

log = structlog.get_logger("arcadence.prepare")

MESSAGE_ACTIONS = rcp.CUSTOMER_ACTIONS | rcp.INTERNAL_ACTIONS


def skipped(reason: str, conditions: str = "", **details: Any) -> PrepareResult:
    return PrepareResult(outcome="skipped", reason=reason, conditions=conditions, details=details)


class PreparationActivities:
    def __init__(self, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

    @activity.defn(name="prepare")
    @missing_rows_are_final
    async def prepare(self, request: PrepareInput) -> PrepareResult:
        async with unit_of_work(self._sessions) as session:
            return await prepare_in(session, request)


async def prepare_in(
    session: AsyncSession, request: PrepareInput, *, calendar: OrgCalendar | None = None
) -> PrepareResult:
    """What `prepare` decides and writes, in the caller's transaction (the `plan` activity
    prepares the first due occurrence in its own, `activities.planning`, and hands over the
    customer's calendar it read in that transaction)."""
    result = await _prepare(session, request, calendar)
    log.info(
        "step.prepared",
        enrollment_id=request.enrollment_id,
        occurrence=request.occurrence.key,
        outcome=result.outcome,
        reason=result.reason,
    )
    return result


async def _prepare(session: AsyncSession, request: PrepareInput, known: OrgCalendar | None) -> PrepareResult:
    occurrence = request.occurrence
    enrollment = await load_enrollment(session, request.enrollment_id)
    stopped = not_live_reason(enrollment)
    if stopped is not None:
        return skipped(stopped)
    customer = await load_customer(session, enrollment.customer_id)
    automation = await _automation_of(session, occurrence)
    # A pause stops what reaches the customer; an automation's message to the team, task or
    # note still runs (e.g. "on paused: tell the specialist").
    pause_applies = automation is None or StepAction(occurrence.action) in rcp.CUSTOMER_ACTIONS
    if pause_applies and pause_in_force(customer.paused, customer.paused_until, request.as_of):
        until = f" until {customer.paused_until.isoformat()}" if customer.paused_until else ""
        who = customer.paused_by or "someone"
        return skipped(f"customer paused by {who}{until}: {customer.pause_reason or 'no reason'}")
    definition, steps = await load_definition(session, enrollment.definition_id)
    if automation is not None:
        step = automation_step(automation, occurrence.action_index, require_id(definition))
        if step is None:
            return skipped(f"automation '{automation.name}' no longer has this action")
    else:
        step = next((s for s in steps if s.id == occurrence.step_id), None)
    if step is None:
        return skipped("the step was removed from the workflow")

    invoice: Invoice | None = None
    if occurrence.invoice_id is not None:
        invoice = await session.get(Invoice, occurrence.invoice_id)
        reason = _invoice_out_of_cadence(invoice)
        if reason:
            return skipped(reason)

    org = await load_organization(session)
    calendar = known or await customer_calendar_of(session, org, customer)
    today = calendar.local_date_of(request.as_of)
    try:
        own = automation.conditions if automation is not None else definition.conditions
        conditions = parse_conditions(own) + parse_conditions(step.conditions)
    except ValueError as err:
        raise ApplicationError(f"invalid conditions: {err}", type="NonRetryable", non_retryable=True) from err
    evaluation = evaluate(
        conditions, await customer_metrics(session, require_id(customer), customer.currency, today)
    )
    if not evaluation.held:
        return skipped(f"conditions not met: {evaluation.explanation}", evaluation.explanation)
    met = evaluation.explanation if conditions else ""

    action = StepAction(step.action)
    if action in MESSAGE_ACTIONS:
        billed = await bill_to_customer(session, customer)
        elsewhere = billed_elsewhere_reason(
            action,
            invoice_level=invoice is not None,
            customer_name=customer.name,
            bill_to_name=billed.name if billed.id != customer.id else None,
        )
        if elsewhere:
            return skipped(elsewhere, met, bill_to_customer_id=billed.id)
        draft = await draft_message(
            session,
            org=org,
            customer=customer,
            definition=definition,
            step=step,
            invoice=invoice,
            today=today,
        )
        if draft.skip_reason:
            return skipped(draft.skip_reason, met, **draft.details)
        if action in rcp.CUSTOMER_ACTIONS:
            # Counted in the customer's days (its own zone, else the organization's).
            enrollment_id = require_id(enrollment)
            held = await contact_cap.held_back(session, org, customer, calendar, request, enrollment_id, met)
            if held is not None:
                return held
        delivery_id, already = await _create_delivery(
            session, request, require_id(enrollment), customer, step, draft
        )
        if already:
            return skipped(already, met, delivery_id=delivery_id)
        return PrepareResult(
            outcome="send",
            reason=draft.summary + _late(request, calendar.time_zone),
            delivery_ids=[delivery_id],
            conditions=met,
            details=draft.details,
            approval=approval_ask(step),
        )
    summary = await _perform(session, request, customer, step, invoice, today)
    return PrepareResult(
        outcome="performed", reason=summary + _late(request, calendar.time_zone), conditions=met
    )


async def _automation_of(session: AsyncSession, occurrence: OccurrenceRef) -> Automation | None:
    if occurrence.automation_id is None:
        return None
    automation = await session.get(Automation, occurrence.automation_id)
    if automation is None:
        raise ApplicationError(
            f"automation {occurrence.automation_id} does not exist", type="NonRetryable", non_retryable=True
        )
    return automation


def automation_step(automation: Automation, index: int, definition_id: int) -> WorkflowStep | None:
    """An automation's step action as the step it performs like (never saved: no id)."""
    if index >= len(automation.actions):
        return None
    action = automation.actions[index]
    params = dict(action.get("params") or {})
    template_id = params.pop("template_id", None)
    return WorkflowStep(
        definition_id=definition_id,
        position=0,
        offset_days=0,
        action=StepAction(str(action["kind"])).value,
        template_id=int(template_id) if template_id is not None else None,
        parameters=params,
        conditions=[],
    )


def _late(request: PrepareInput, zone: str) -> str:
    """Said in the history when a step runs after its time: enrolled late, or caught up."""
    if request.as_of - request.occurrence.at <= ON_TIME_GRACE:
        return ""
    due = request.occurrence.at.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z")
    return f" (its time, {due}, had passed: performed at once)"


def _invoice_out_of_cadence(invoice: Invoice | None) -> str | None:
    if invoice is None:
        return "the invoice no longer exists"
    return out_of_cadence_reason(
        invoice.number,
        invoice.status,
        invoice.balance_due,
        paused=invoice.paused,
        collection_status=invoice.collection_status,
    )


async def _create_delivery(
    session: AsyncSession,
    request: PrepareInput,
    enrollment_id: int,
    customer: Customer,
    step: WorkflowStep,
    draft: MessageDraft,
) -> tuple[int, str | None]:
    """One delivery per customer, step, invoice, day and channel: a retried prepare finds the
    first one; so does a re-enrollment on the same day, which sends it only if nothing did yet.
    Returns the delivery and, if this enrollment must not send it, why."""
    occurrence = request.occurrence
    if occurrence.automation_id is not None:
        # An automation's message: once per automation, event (or firing), action and channel.
        key = f"{occurrence.key}:{draft.channel}"
    else:
        key = delivery_key(
            require_id(customer),
            step_id=require_id(step),
            invoice_id=occurrence.invoice_id,
            local_date=occurrence.local_date,
            channel=draft.channel,
        )
    statement = (
        insert(Delivery)
        .values(
            idempotency_key=key,
            occurrence_key=request.occurrence.key,
            customer_id=customer.id,
            enrollment_id=enrollment_id,
            invoice_id=request.occurrence.invoice_id,
            step_id=step.id if occurrence.automation_id is None else None,
            channel=draft.channel,
            recipients=draft.recipients,
            subject=draft.subject,
            html_body=draft.html_body,
            text_body=draft.text_body,
            status=DeliveryStatus.PENDING,
            attempts=0,
            created_at=request.as_of,
            updated_at=request.as_of,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(col(Delivery.id))
    )
    created = (await (await session.connection()).execute(statement)).scalar_one_or_none()
    if created is not None:
        return int(created), None
    existing = await delivery_by_key(session, key, lock=True)
    if existing.enrollment_id == enrollment_id:
        return require_id(existing), None
    if existing.status == DeliveryStatus.PENDING:
        # Left unsent by an enrollment that ended (its workflow refuses to send it): ours now.
        existing.enrollment_id = enrollment_id
        session.add(existing)
        return require_id(existing), None
    done = "already sent" if existing.status in REACHED else f"already handled ({existing.status})"
    return require_id(existing), (
        f"{done} today by enrollment {existing.enrollment_id} (delivery {existing.id}): "
        "one message per customer, step, invoice and day"
    )


async def _perform(
    session: AsyncSession,
    request: PrepareInput,
    customer: Customer,
    step: WorkflowStep,
    invoice: Invoice | None,
    today: Any,
) -> str:
    params = step.parameters or {}
    action = StepAction(step.action)
    occurrence = request.occurrence
    if action == StepAction.TASK:
        specialist = await session.get(User, customer.specialist_id) if customer.specialist_id else None
        title = str(params.get("title") or f"Follow up with {customer.name}")
        if invoice is not None:
            title = f"{title} ({invoice.number})"
        await create_task_once(
            session,
            customer_id=customer.id,
            invoice_id=invoice.id if invoice else None,
            assignee_id=specialist.id if specialist else None,
            key=f"{occurrence.key}:task",
            title=title,
            description=str(params.get("description") or ""),
            due_date=today + timedelta(days=int(params.get("due_in_days", 0))),
            status=TaskStatus.OPEN,
            created_at=request.as_of,
        )
        who = specialist.name if specialist else "nobody (no AR specialist assigned)"
        return f"Task '{title}' created for {who}"
    if action == StepAction.NOTE:
        return f"Note: {params.get('text') or 'reached this step'}"
    if action == StepAction.SET_INVOICE_STATUS:
        return await _set_collection_status(session, request, customer, invoice, params)
    if action == StepAction.ASSIGN_SPECIALIST:
        user_id = params.get("user_id")
        user = await session.get(User, int(user_id)) if user_id is not None else None
        if user is None or not user.active:
            raise ApplicationError(
                f"assign_specialist: user {user_id} does not exist or is inactive",
                type="NonRetryable",
                non_retryable=True,
            )
        locked = await load_customer(session, require_id(customer), lock=True)
        locked.specialist_id = user.id
        session.add(locked)
        return f"AR specialist set to {user.name}"
    raise ApplicationError(f"unsupported action {action}", type="NonRetryable", non_retryable=True)


async def _set_collection_status(
    session: AsyncSession,
    request: PrepareInput,
    customer: Customer,
    invoice: Invoice | None,
    params: dict[str, Any],
) -> str:
    """arcadence's own collection status (never the sync's `status`, which the next sync would
    undo); on a customer-level step, paused invoices are left as a person set them."""
    raw = str(params.get("status", CollectionStatus.ON_HOLD))
    try:
        status = CollectionStatus(raw)
    except ValueError:
        raise ApplicationError(
            f"set_invoice_status: unknown collection status '{raw}'", type="NonRetryable", non_retryable=True
        ) from None
    if invoice is not None:
        targets, paused = [invoice], []
    else:
        owed = await open_invoices(session, require_id(customer))
        targets = [i for i in owed if not i.paused]
        paused = [i for i in owed if i.paused]
    changed = [t for t in targets if t.collection_status != status]
    for target in changed:
        move_collection_status(target, status, request.as_of)
        session.add(target)
    words = collection_words(status)
    if not targets:
        summary = f"Collection status not set to {words}: no open invoice"
    else:
        summary = f"Collection status set to {words}: " + ", ".join(t.number for t in changed or targets)
        if not changed:
            summary += " (already so)"
    if paused:
        summary += f"; paused invoices left as they were: {', '.join(p.number for p in paused)}"
    return summary
