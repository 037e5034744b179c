"""What an enrollment does next: its upcoming occurrences by the domain's schedule rules, who
would receive each (`domain.recipients.recipients_for`, the rule the engine sends by) and
whether its conditions hold today.

The inputs are loaded with the same functions the engine's activities use (`models.repository`,
`models.metrics`), so the timeline says what the workflow will plan.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from domain import recipients as rcp
from domain.conditions import evaluate, parse_conditions
from domain.enums import StepAction
from domain.pauses import pause_in_force
from domain.schedules import timeline
from models import Customer, Enrollment
from models.base import require_id
from models.metrics import customer_metrics
from models.repository import (
    active_internal_users,
    calendar_of,
    contact_infos,
    enrollment_context,
    load_definition,
    load_organization,
    open_invoices,
    schedule_spec,
)
from models.repository.hierarchy import bill_to_customer
from services.common import get_or_404, now
from services.schemas.enrollments import TimelineItem, TimelineOut
from services.unit_of_work import UnitOfWork


def _note(resolution: rcp.RecipientResolution | None) -> str | None:
    if resolution is None:
        return None
    if resolution.skip_reason:
        return resolution.skip_reason
    if resolution.cut:
        return f"{len(resolution.cut)} more cut (at most {rcp.MAX_RECIPIENTS})"
    return None


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
    found = timeline(
        schedule_spec(definition, steps),
        enrollment_context(enrollment, customer, invoices),
        calendar_of(org),
        after=after or now(),
        limit=limit,
    )
    today = now().astimezone(ZoneInfo(org.time_zone)).date()
    metrics = await customer_metrics(session, enrollment.customer_id, customer.currency, today)
    rules = rcp.RecipientRules.of(
        definition.additional_recipients, definition.internal_recipients, customer.specialist_id
    )
    users = await active_internal_users(uow.session, rules.user_ids())
    # A bill-to-parent child's messages go to its bill-to customer's contacts, as the engine sends.
    contacts = await contact_infos(uow.session, require_id(await bill_to_customer(session, customer)))
    numbers = {i.id: i.number for i in invoices}
    by_id = {s.id: s for s in steps}
    items = []
    for occurrence in found:
        step = by_id[occurrence.step_id]
        resolution = rcp.recipients_for(StepAction(step.action), rules, contacts, users)
        evaluation = evaluate(
            parse_conditions(definition.conditions) + parse_conditions(step.conditions), metrics
        )
        items.append(
            TimelineItem(
                at=occurrence.at,
                local_date=occurrence.local_date,
                step_id=require_id(step),
                step_position=occurrence.step_position + 1,
                action=step.action,
                invoice_id=occurrence.invoice_id,
                invoice_number=numbers.get(occurrence.invoice_id) if occurrence.invoice_id else None,
                recipients=[r.address for r in resolution.recipients] if resolution else [],
                recipients_note=_note(resolution),
                conditions_hold_today=evaluation.held,
                conditions=evaluation.explanation,
            )
        )
    return TimelineOut(
        enrollment_id=enrollment_id,
        definition_id=require_id(definition),
        definition_name=definition.name,
        time_zone=org.time_zone,
        paused=pause_in_force(customer.paused, customer.paused_until, now()),
        items=items,
    )
