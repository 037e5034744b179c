"""What an enrollment does next: its upcoming occurrences by the domain's schedule rules, who
would receive each (`domain.recipients.recipients_for`, the rule the engine sends by) and
whether its conditions hold today.

The inputs are loaded with the same functions the engine's activities use (`models.repository`,
`models.metrics`), so the timeline says what the workflow will plan.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import recipients as rcp
from domain.automations import time_firings
from domain.conditions import Metrics, evaluate, parse_conditions
from domain.enums import StepAction
from domain.invoices import out_of_cadence_reason
from domain.pauses import pause_in_force
from domain.schedules import OrgCalendar, merge_description, timeline
from domain.wording import local_times, workflow_off
from models import Customer, Enrollment, Invoice, OrganizationSettings
from models.base import require_id
from models.metrics import customer_metrics
from models.repository import (
    customer_calendar_of,
    enrollment_context,
    load_definition,
    load_organization,
    open_invoices,
    schedule_spec,
)
from models.repository.automations import attached_automations, automation_spec
from models.repository.messages import recipient_inputs
from services.common import get_or_404, now
from services.controls_timeline import open_dispute_notes, open_promise_notes
from services.schemas.enrollments import TimelineItem, TimelineOut
from services.unit_of_work import UnitOfWork

# How far ahead the timeline lists automation firings.
TIMELINE_REACH = timedelta(days=62)


def _note(resolution: rcp.RecipientResolution | None) -> str | None:
    if resolution is None:
        return None
    if resolution.skip_reason:
        return resolution.skip_reason
    if resolution.cut:
        return f"{len(resolution.cut)} more cut (at most {rcp.MAX_RECIPIENTS})"
    return None


async def _automation_items(
    uow: UnitOfWork,
    enrollment: Enrollment,
    org: OrganizationSettings,
    calendar: OrgCalendar,
    invoices: list[Invoice],
    metrics: Metrics,
    after: datetime,
    limit: int,
) -> list[TimelineItem]:
    """The next firings of the workflow's time-triggered automations, planned as the engine
    plans them (`domain.automations.time_firings`, the organization's calendar)."""
    rows = await attached_automations(uow.session, enrollment.definition_id)
    specs = {s.id: s for s in (automation_spec(r) for r in rows) if s.enabled and s.trigger.is_time}
    if not specs:
        return []
    due_dates = {
        require_id(i): i.due_date
        for i in invoices
        if out_of_cadence_reason(
            i.number, i.status, i.balance_due, paused=i.paused, collection_status=i.collection_status
        )
        is None
    }
    firings = time_firings(
        list(specs.values()),
        calendar,
        due_dates,
        after=after,
        until=after + TIMELINE_REACH,
        spread_key=str(enrollment.id),
    )
    numbers = {i.id: i.number for i in invoices}
    items = []
    for firing in firings[:limit]:
        spec = specs[firing.automation_id]
        evaluation = evaluate(spec.conditions, metrics)
        items.append(
            TimelineItem(
                at=firing.at,
                local_date=firing.local_date,
                local_time=local_times(firing.at, calendar.time_zone, org.time_zone),
                step_id=None,
                step_position=None,
                action=", ".join(a.kind.value for a in spec.actions),
                invoice_id=firing.invoice_id,
                invoice_number=numbers.get(firing.invoice_id) if firing.invoice_id else None,
                recipients=[],
                recipients_note=None,
                conditions_hold_today=evaluation.held,
                conditions=evaluation.explanation,
                automation_id=spec.id,
                automation_name=spec.name,
            )
        )
    return items


async def upcoming(
    uow: UnitOfWork, enrollment_id: int, limit: int, after: datetime | None = None
) -> TimelineOut:
    """The next `limit` occurrences after `after` (now by default)."""
    session = uow.session
    enrollment = await get_or_404(session, Enrollment, enrollment_id, "enrollment")
    customer = await get_or_404(session, Customer, enrollment.customer_id, "customer")
    org = await load_organization(session)
    definition, steps = await load_definition(session, enrollment.definition_id)
    invoices = await open_invoices(session, enrollment.customer_id)
    calendar = await customer_calendar_of(session, org, customer)
    found = timeline(
        schedule_spec(definition, steps),
        enrollment_context(enrollment, customer, invoices),
        calendar,
        after=after or now(),
        limit=limit,
    )
    today = calendar.local_date_of(now())
    metrics = await customer_metrics(session, enrollment.customer_id, customer.currency, today)
    recipients = await recipient_inputs(session, customer, definition)
    numbers = {i.id: i.number for i in invoices}
    by_id = {s.id: s for s in steps}
    items = []
    for occurrence in found:
        step = by_id[occurrence.step_id]
        resolution = recipients.resolve(StepAction(step.action))
        evaluation = evaluate(
            parse_conditions(definition.conditions) + parse_conditions(step.conditions), metrics
        )
        items.append(
            TimelineItem(
                at=occurrence.at,
                local_date=occurrence.local_date,
                local_time=local_times(occurrence.at, calendar.time_zone, org.time_zone),
                step_id=require_id(step),
                step_position=occurrence.step_position + 1,
                action=step.action,
                invoice_id=occurrence.invoice_id,
                invoice_number=numbers.get(occurrence.invoice_id) if occurrence.invoice_id else None,
                recipients=[r.address for r in resolution.recipients] if resolution else [],
                recipients_note=_note(resolution),
                conditions_hold_today=evaluation.held,
                conditions=evaluation.explanation,
                merged=merge_description(occurrence) if occurrence.merged_positions else None,
            )
        )
    items.extend(
        await _automation_items(uow, enrollment, org, calendar, invoices, metrics, after or now(), limit)
    )
    items = sorted(items, key=lambda i: (i.at, i.step_position or 0))[:limit]
    return TimelineOut(
        enrollment_id=enrollment_id,
        definition_id=require_id(definition),
        definition_name=definition.name,
        time_zone=calendar.time_zone,
        organization_time_zone=org.time_zone,
        paused=pause_in_force(customer.paused, customer.paused_until, now()),
        workflow_off=None if definition.enabled else workflow_off(definition.name),
        set_aside=[
            reason
            for i in invoices
            if (
                reason := out_of_cadence_reason(
                    i.number, i.status, i.balance_due, paused=i.paused, collection_status=i.collection_status
                )
            )
        ],
        items=items,
        open_promises=await open_promise_notes(uow, customer),
        open_disputes=await open_dispute_notes(uow, enrollment.customer_id),
    )
