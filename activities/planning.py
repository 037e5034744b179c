"""The `plan` activity: from Postgres and the domain rules, what is due now and what comes next."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities.contracts import MISSED_LISTED, OccurrenceRef, PlanInput, PlanResult, PrepareInput
from activities.errors import missing_rows_are_final
from activities.liveness import calling_workflow_id, not_live_reason
from activities.preparation import prepare_in
from activities.promises import judge_promise
from domain.enums import DefinitionKind, EnrollmentState, HistoryAction, PromiseState
from domain.pauses import pause_in_force
from domain.schedules import Occurrence, OrgCalendar, fresh_cursor, merge_description, plan_next
from domain.wording import local_times, next_step_label, step_label, workflow_off
from models import Enrollment
from models.base import require_id
from models.db import SessionFactory, unit_of_work
from models.history import write_history
from models.repository import (
    customer_calendar_of,
    enrollment_context,
    load_customer,
    load_definition,
    load_enrollment,
    load_organization,
    open_invoices,
    schedule_spec,
)
from models.repository.automations import attached_count, mark_events_processed
from models.repository.pauses import resume_and_record
from models.repository.promises import open_promises_of_customers

log = structlog.get_logger("arcadence.plan")


class PlanningActivities:
    def __init__(self, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

    @activity.defn(name="plan")
    @missing_rows_are_final
    async def plan(self, request: PlanInput) -> PlanResult:
        async with unit_of_work(self._sessions) as session:
            enrollment = await load_enrollment(session, request.enrollment_id)
            stopped = not_live_reason(enrollment)
            if stopped is not None:
                return await _stop(session, enrollment, stopped, request.as_of)
            customer = await load_customer(session, enrollment.customer_id)
            org = await load_organization(session)
            definition, steps = await load_definition(session, enrollment.definition_id)
            # A promise past its deadline is judged here too (its own workflow may never have
            # started), before the invoices it covers are read; the next open one wakes us.
            promise_wake = await _judge_promises(session, require_id(customer), request.as_of)
            invoices = await open_invoices(session, require_id(customer))
            # The customer's zone and holidays when it has them, else the organization's.
            calendar = await customer_calendar_of(session, org, customer)
            zone = calendar.tz
            if enrollment.definition_version != definition.version:
                # The definition was edited: this plan runs the new version, and the row says so.
                enrollment.definition_version = definition.version
                session.add(enrollment)

            if customer.paused and not pause_in_force(customer.paused, customer.paused_until, request.as_of):
                # A pause with an end date ends by itself (e.g. a promise to pay).
                await resume_and_record(
                    session,
                    customer,
                    description=f"Pause ended on its end date (was: {customer.pause_reason or '-'})",
                    actor="arcadence",
                    occurred_at=request.as_of,
                    enrollment=enrollment,
                    key=f"resume:{customer.id}:{customer.paused_until}",
                    last_action=False,
                )

            attached = await attached_count(session, require_id(definition)) > 0
            if not attached:
                # Nothing watches the customer's events: processed now, performed by nothing, as
                # the `react` activity would have (the workflow does not ask it).
                await mark_events_processed(session, require_id(customer), request.as_of)
            spec = schedule_spec(definition, steps)
            ctx = enrollment_context(enrollment, customer, invoices)
            cursor = request.cursor or fresh_cursor(spec.kind, enrollment.anchor_date, zone)
            planned = plan_next(
                spec, ctx, calendar, cursor=cursor, as_of=request.as_of, fresh=request.cursor is None
            )
            numbers = {i.id: i.number for i in invoices}

            def ref(o: Occurrence) -> OccurrenceRef:
                number = numbers.get(o.invoice_id) if o.invoice_id is not None else None
                return OccurrenceRef(
                    key=o.key,
                    at=o.at,
                    local_date=o.local_date,
                    step_id=o.step_id,
                    step_position=o.step_position,
                    action=o.action,
                    invoice_id=o.invoice_id,
                    invoice_number=number,
                    label=step_label(o.step_position, str(o.action), number),
                    merged_note=merge_description(o) if o.merged_positions else "",
                )

            paused = pause_in_force(customer.paused, customer.paused_until, request.as_of)
            if not definition.enabled:
                await _record_off(session, enrollment, definition.name, definition.updated_at, request.as_of)
            elif not paused:
                for o in planned.due:
                    if o.merged_positions:
                        await _record_merge(session, enrollment, ref(o), request.as_of)
            # With no automation to bring it forward, the next wake-up is this plan's: saved here,
            # in the plan's own transaction (one round trip less per wake-up).
            next_step_saved = not attached and definition.enabled and not paused
            if next_step_saved:
                enrollment.next_step_at = planned.next_at
                session.add(enrollment)
            upcoming = [ref(o) for o in planned.upcoming]
            next_label = next_step_label(
                planned.next_at, [o.label for o in upcoming], calendar.time_zone, org.time_zone
            )
            next_at = planned.next_at
            if promise_wake is not None and (next_at is None or promise_wake < next_at):
                when = local_times(promise_wake, calendar.time_zone, org.time_zone)
                next_at, next_label = promise_wake, f"{when}: a promise to pay is judged"
            result = PlanResult(
                enrollment_state=EnrollmentState(enrollment.state),
                definition_id=require_id(definition),
                definition_name=definition.name,
                definition_version=definition.version,
                kind=DefinitionKind(definition.kind),
                time_zone=calendar.time_zone,
                due=[ref(o) for o in planned.due],
                missed=[ref(o) for o in planned.missed[:MISSED_LISTED]],
                missed_count=len(planned.missed),
                next_at=next_at,
                next_label=next_label,
                upcoming=upcoming,
                exhausted=planned.exhausted,
                continue_with_id=enrollment.continue_with_id or planned.continue_with_id,
                customer_paused=paused,
                paused_until=customer.paused_until if paused else None,
                paused_until_label=(
                    local_times(customer.paused_until, calendar.time_zone, org.time_zone)
                    if paused and customer.paused_until
                    else ""
                ),
                pause_reason=customer.pause_reason if paused else None,
                paused_by=customer.paused_by if paused else None,
                definition_enabled=definition.enabled,
                automations_attached=attached,
                next_step_saved=next_step_saved,
            )
            log.info(
                "enrollment.planned",
                enrollment_id=request.enrollment_id,
                due=len(result.due),
                missed=result.missed_count,
                next_at=str(result.next_at),
            )
            if may_prepare_first(request, result):
                result = await _prepare_first(session, request, result, calendar)
            return result


def may_prepare_first(request: PlanInput, plan: PlanResult) -> bool:
    """Whether the plan may prepare its first due occurrence itself: the workflow asked, and
    nothing it does between the plan and the first `prepare` can change what that prepares
    (no automation to react first, not paused, not switched off, not a definition the workflow
    must first adopt and plan again)."""
    return (
        request.prepare_first
        and bool(plan.due)
        and plan.definition_enabled
        and not plan.automations_attached
        and not plan.customer_paused
        and (request.cursor is None or request.definition_id == plan.definition_id)
    )


async def _prepare_first(
    session: AsyncSession, request: PlanInput, plan: PlanResult, calendar: OrgCalendar
) -> PlanResult:
    """`due[0]` prepared in the plan's transaction (one local activity less per step). Under a
    savepoint: a preparation that fails leaves the plan whole, and the workflow prepares it
    again on its own, where a failure is recorded as the step's."""
    first = plan.due[0]
    try:
        async with session.begin_nested():
            prepared = await prepare_in(
                session,
                PrepareInput(enrollment_id=request.enrollment_id, occurrence=first, as_of=request.as_of),
                calendar=calendar,
            )
    except Exception as err:  # any failure: the workflow's own `prepare` meets it again
        log.warning(
            "enrollment.prepare_in_plan_failed",
            enrollment_id=request.enrollment_id,
            occurrence=first.key,
            error=str(err),
        )
        return plan
    return dataclasses.replace(plan, prepared=prepared, prepared_key=first.key)


# The enrollment re-plans just after a promise's deadline: the deadline's workflow judges first.
PROMISE_WAKE_MARGIN = timedelta(minutes=1)


async def _judge_promises(session: AsyncSession, customer_id: int, as_of: datetime) -> datetime | None:
    """Judge the customer's open promises whose deadline has passed; the wake-up for the next one."""
    wake: datetime | None = None
    for promise in await open_promises_of_customers(session, [customer_id]):
        if promise.deadline_at <= as_of and await judge_promise(session, promise, as_of) != PromiseState.OPEN:
            continue
        candidate = max(promise.deadline_at, as_of) + PROMISE_WAKE_MARGIN
        wake = candidate if wake is None else min(wake, candidate)
    return wake


async def _stop(session: AsyncSession, enrollment: Enrollment, why: str, as_of: datetime) -> PlanResult:
    """A plan that ends the calling workflow cleanly, without a send: the enrollment ended in
    Postgres (a lost or late cancel), or it now runs in another workflow."""
    definition, _ = await load_definition(session, enrollment.definition_id)
    ended = EnrollmentState(enrollment.state)
    if ended not in (EnrollmentState.COMPLETED, EnrollmentState.CANCELLED):
        ended = EnrollmentState.CANCELLED  # for this run: its enrollment lives on elsewhere
    else:
        await write_history(
            session,
            customer_id=enrollment.customer_id,
            enrollment_id=enrollment.id,
            action=HistoryAction.ENROLLMENT_CANCELLED
            if ended == EnrollmentState.CANCELLED
            else HistoryAction.ENROLLMENT_COMPLETED,
            description=f"Workflow {calling_workflow_id() or '-'} stopped without sending: {why}",
            actor="arcadence",
            occurred_at=as_of,
            key=f"stopped:{enrollment.id}:{calling_workflow_id() or '-'}",
            last_action=False,
        )
    log.info("enrollment.not_live", enrollment_id=enrollment.id, reason=why)
    return PlanResult(
        enrollment_state=ended,
        definition_id=require_id(definition),
        definition_name=definition.name,
        definition_version=definition.version,
        kind=DefinitionKind(definition.kind),
        time_zone="UTC",
    )


async def _record_merge(
    session: AsyncSession, enrollment: Enrollment, o: OccurrenceRef, as_of: datetime
) -> None:
    """The reminders merged away are in the history, once, beside the one performed."""
    await write_history(
        session,
        customer_id=enrollment.customer_id,
        enrollment_id=enrollment.id,
        action=HistoryAction.STEP_SKIPPED,
        description=o.merged_note + (f" ({o.invoice_number})" if o.invoice_number else ""),
        actor="arcadence",
        occurred_at=as_of,
        key=f"merged:{o.key}",
        last_action=False,
    )


async def _record_off(
    session: AsyncSession, enrollment: Enrollment, name: str, switched: datetime, as_of: datetime
) -> None:
    """Once per switch-off (the definition's last change names it): the enrollment waits."""
    await write_history(
        session,
        customer_id=enrollment.customer_id,
        enrollment_id=enrollment.id,
        action=HistoryAction.STEP_SKIPPED,
        description=workflow_off(name),
        actor="arcadence",
        occurred_at=as_of,
        key=f"off:{enrollment.id}:{switched.isoformat()}",
        last_action=False,
    )
