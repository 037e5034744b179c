"""Enrolling customers, switching and ending enrollments, and what an enrollment does next."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from api.deps import UnitOfWork
from api.errors import Conflict, NotFound
from api.schemas.enrollments import EnrollmentStatusOut, LiveStatus, TimelineItem, TimelineOut
from api.services.common import get_or_404, live_enrollment, now, org_today, signal_after_commit
from domain import recipients as rcp
from domain.conditions import evaluate, parse_conditions
from domain.enums import DefinitionKind, StepAction
from domain.schedules import timeline
from models import Contact, Customer, Enrollment, User, WorkflowDefinition
from models.history import write_history
from models.metrics import customer_metrics
from models.repository import (
    calendar_of,
    enrollment_context,
    load_definition,
    load_organization,
    open_invoices,
    schedule_spec,
)
from workflows.client import enroll as start_or_signal
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import (
    CancelSignal,
    ContinueWithSignal,
    EnrollmentInput,
    ReassignSignal,
    enrollment_workflow_id,
)


async def _enabled_definition(uow: UnitOfWork, definition_id: int) -> WorkflowDefinition:
    definition = await uow.session.get(WorkflowDefinition, definition_id)
    if definition is None:
        raise NotFound(f"workflow definition {definition_id} does not exist", details={"id": definition_id})
    if not definition.enabled:
        raise Conflict(f"workflow '{definition.name}' is disabled", code="definition_disabled")
    return definition


async def enroll_customer(
    uow: UnitOfWork,
    customer: Customer,
    definition_id: int,
    actor: str,
    *,
    individually: bool = True,
    refuse_autopay: bool = False,
) -> Enrollment:
    """Write the enrollment first, then start (or reassign) its workflow after the commit."""
    assert customer.id is not None
    definition = await _enabled_definition(uow, definition_id)
    if refuse_autopay and customer.autopay and definition.kind != DefinitionKind.AUTOPAY:
        raise Conflict(
            f"{customer.name} pays automatically: enroll it in an auto-pay workflow",
            code="autopay_customer",
        )
    today = await org_today(uow.session)
    live = await live_enrollment(uow.session, customer.id, lock=True)
    reassign = True
    if live is None:
        enrollment = Enrollment(
            customer_id=customer.id,
            definition_id=definition_id,
            definition_version=definition.version,
            anchor_date=today,
            enrolled_by=actor,
            enrolled_at=now(),
            workflow_id=enrollment_workflow_id(customer.id),
            individually_enrolled=individually,
        )
        uow.session.add(enrollment)
        await uow.session.flush()
        action, text = "enrolled", f"Enrolled in '{definition.name}' by {actor}"
    elif live.definition_id == definition_id:
        enrollment, reassign = live, False
        action, text = "enrollment_confirmed", f"Enrollment in '{definition.name}' confirmed by {actor}"
    else:
        enrollment = live
        enrollment.definition_id = definition_id
        enrollment.definition_version = definition.version
        enrollment.anchor_date = today
        enrollment.individually_enrolled = individually or enrollment.individually_enrolled
        uow.session.add(enrollment)
        action, text = "workflow_reassigned", f"Reassigned to '{definition.name}' by {actor}"
    await write_history(
        uow.session,
        customer_id=customer.id,
        enrollment_id=enrollment.id,
        action=action,
        description=text,
        actor=actor,
        occurred_at=now(),
        details={"definition_id": definition_id},
    )
    request = EnrollmentInput(
        enrollment_id=enrollment.id or 0,
        customer_id=customer.id,
        definition_id=definition_id,
        customer_name=customer.name,
    )

    async def start() -> None:
        await start_or_signal(
            uow.state.temporal,
            request,
            actor=actor,
            definition_name=definition.name,
            task_queue=uow.state.task_queue,
            reassign=reassign,
        )

    uow.after_commit(start, required=True)
    return enrollment


async def enroll_by_id(uow: UnitOfWork, customer_id: int, definition_id: int, actor: User) -> Enrollment:
    customer = await get_or_404(uow.session, Customer, customer_id, "customer")
    return await enroll_customer(uow, customer, definition_id, actor.email)


async def _live(uow: UnitOfWork, enrollment_id: int) -> Enrollment:
    enrollment = await get_or_404(uow.session, Enrollment, enrollment_id, "enrollment")
    if enrollment.state not in ("active", "paused"):
        raise Conflict(f"enrollment {enrollment_id} is {enrollment.state}", code="enrollment_ended")
    return enrollment


async def reassign(uow: UnitOfWork, enrollment_id: int, definition_id: int, actor: User) -> Enrollment:
    enrollment = await _live(uow, enrollment_id)
    definition = await _enabled_definition(uow, definition_id)
    enrollment.definition_id = definition_id
    enrollment.definition_version = definition.version
    enrollment.anchor_date = await org_today(uow.session)
    uow.session.add(enrollment)
    await write_history(
        uow.session,
        customer_id=enrollment.customer_id,
        enrollment_id=enrollment.id,
        action="workflow_reassigned",
        description=f"Reassigned to '{definition.name}' by {actor.email}",
        actor=actor.email,
        occurred_at=now(),
    )
    signal = ReassignSignal(definition_id=definition_id, actor=actor.email)
    signal_after_commit(uow, enrollment.workflow_id, EnrollmentWorkflow.reassign, signal)
    return enrollment


async def continue_with(uow: UnitOfWork, enrollment_id: int, definition_id: int, actor: User) -> Enrollment:
    enrollment = await _live(uow, enrollment_id)
    definition = await _enabled_definition(uow, definition_id)
    enrollment.continue_with_id = definition_id
    uow.session.add(enrollment)
    await write_history(
        uow.session,
        customer_id=enrollment.customer_id,
        enrollment_id=enrollment.id,
        action="continue_with_set",
        description=f"Will continue with '{definition.name}' when the current workflow ends ({actor.email})",
        actor=actor.email,
        occurred_at=now(),
        last_action=False,
    )
    signal = ContinueWithSignal(definition_id=definition_id, actor=actor.email)
    signal_after_commit(uow, enrollment.workflow_id, EnrollmentWorkflow.continue_with, signal)
    return enrollment


async def cancel(uow: UnitOfWork, enrollment_id: int, reason: str, actor: User) -> Enrollment:
    enrollment = await _live(uow, enrollment_id)
    enrollment.state = "cancelled"
    enrollment.ended_at = now()
    enrollment.next_step_at = None
    uow.session.add(enrollment)
    await write_history(
        uow.session,
        customer_id=enrollment.customer_id,
        enrollment_id=enrollment.id,
        action="enrollment_cancelled",
        description=f"Enrollment cancelled by {actor.email}: {reason}",
        actor=actor.email,
        occurred_at=now(),
    )
    signal = CancelSignal(actor=actor.email, reason=reason)
    signal_after_commit(uow, enrollment.workflow_id, EnrollmentWorkflow.cancel, signal)
    return enrollment


async def status(uow: UnitOfWork, enrollment_id: int) -> EnrollmentStatusOut:
    from api.schemas.enrollments import EnrollmentOut

    enrollment = await get_or_404(uow.session, Enrollment, enrollment_id, "enrollment")
    out = EnrollmentStatusOut(enrollment=EnrollmentOut.model_validate(enrollment), workflow=None)
    try:
        live = await uow.state.temporal.get_workflow_handle(enrollment.workflow_id).query(
            EnrollmentWorkflow.status
        )
    except Exception as err:  # the workflow may be gone, or Temporal unreachable: say so
        out.workflow_error = f"workflow status unavailable: {type(err).__name__}: {err}"[:500]
        return out
    out.workflow = LiveStatus.model_validate(live, from_attributes=True)
    return out


async def list_enrollments(uow: UnitOfWork, customer_id: int) -> list[Enrollment]:
    query = (
        select(Enrollment).where(Enrollment.customer_id == customer_id).order_by(col(Enrollment.id).desc())
    )
    return list((await uow.session.exec(query)).all())


async def upcoming(
    uow: UnitOfWork, enrollment_id: int, limit: int, after: datetime | None = None
) -> TimelineOut:
    """The next occurrences, with who would receive each and whether its conditions hold today."""
    session = uow.session
    enrollment = await get_or_404(session, Enrollment, enrollment_id, "enrollment")
    customer = await get_or_404(session, Customer, enrollment.customer_id, "customer")
    org = await load_organization(session)
    definition, steps = await load_definition(session, enrollment.definition_id)
    invoices = await open_invoices(session, customer.id or 0)
    numbers = {i.id: i.number for i in invoices}
    spec = schedule_spec(definition, steps)
    found = timeline(
        spec,
        enrollment_context(enrollment, customer, invoices),
        calendar_of(org),
        after=after or now(),
        limit=limit,
    )
    today = now().astimezone(ZoneInfo(org.time_zone)).date()
    metrics = await customer_metrics(session, customer.id or 0, customer.currency, today)
    contacts = [
        rcp.ContactInfo(c.id or 0, c.name, c.email, c.phone, tuple(c.roles), c.suppressed_at is not None)
        for c in (await session.exec(select(Contact).where(Contact.customer_id == customer.id))).all()
    ]
    extra = definition.additional_recipients or {}
    additional = rcp.AdditionalRecipients(
        emails=tuple(extra.get("emails", [])),
        contact_roles=tuple(extra.get("contact_roles", [])),
        user_ids=tuple(int(u) for u in extra.get("user_ids", [])),
    )
    user_ids = [*additional.user_ids, *definition.internal_recipients]
    if customer.specialist_id:
        user_ids.append(customer.specialist_id)
    users = {
        u.id: rcp.InternalUser(u.id, u.name, u.email)
        for u in (await session.exec(select(User).where(col(User.id).in_(user_ids)))).all()
        if u.id is not None
    }
    by_id = {s.id: s for s in steps}
    items = []
    for occurrence in found:
        step = by_id[occurrence.step_id]
        action = StepAction(step.action)
        if action == StepAction.SMS:
            resolution = rcp.resolve_sms_recipients(contacts)
        elif action in (StepAction.INTERNAL_NOTIFICATION, StepAction.NOTIFY_SPECIALIST):
            ids = ([customer.specialist_id] if customer.specialist_id else []) + list(
                definition.internal_recipients
            )
            resolution = rcp.resolve_internal_recipients(ids, users)
        elif action in (StepAction.CUSTOMER_EMAIL, StepAction.STATEMENT_EMAIL):
            resolution = rcp.resolve_email_recipients(contacts, additional, users)
        else:
            resolution = None
        evaluation = evaluate(
            parse_conditions(definition.conditions) + parse_conditions(step.conditions), metrics
        )
        note = None
        if resolution is not None and resolution.skip_reason:
            note = resolution.skip_reason
        elif resolution is not None and resolution.cut:
            note = f"{len(resolution.cut)} more cut (at most {rcp.MAX_RECIPIENTS})"
        items.append(
            TimelineItem(
                at=occurrence.at,
                local_date=occurrence.local_date,
                step_position=occurrence.step_position + 1,
                action=step.action,
                invoice_id=occurrence.invoice_id,
                invoice_number=numbers.get(occurrence.invoice_id) if occurrence.invoice_id else None,
                recipients=[r.address for r in resolution.recipients] if resolution else [],
                recipients_note=note,
                conditions_hold_today=evaluation.held,
                conditions=evaluation.explanation,
            )
        )
    return TimelineOut(enrollment_id=enrollment_id, time_zone=org.time_zone, items=items)
