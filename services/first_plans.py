"""The first plan of a bulk batch's new enrollments, made in the batch's own transaction: where it
would only start the workflow's timer, the workflow is handed its first wake-up (`FirstWake`)
and skips that plan; the enrollment row says when its next step is."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import DefinitionKind
from domain.first_plan import first_plan_only_waits
from domain.schedules import OrgCalendar, fresh_cursor, plan_next
from domain.wording import next_step_label, step_label
from models import Customer, Enrollment, OrganizationSettings, WorkflowDefinition
from models.base import require_id
from models.repository import enrollment_context, open_invoices_of_customers, schedule_spec, steps_of
from models.repository.automations import attached_count
from models.repository.promises import customers_with_open_promises
from workflows.enrollment_types import FirstWake


async def first_wakes(
    session: AsyncSession,
    definition: WorkflowDefinition,
    org: OrganizationSettings,
    calendars: dict[int, OrgCalendar],
    new: Sequence[tuple[Customer, Enrollment]],
    at: datetime,
) -> dict[int, FirstWake]:
    """Enrollment id -> its first wake-up, for each new enrollment (not yet written) whose
    workflow's first plan at `at` would only wait (`first_plan_only_waits`); the others plan
    at start. A few queries for the whole batch: the steps, the attached automations, and then
    the open invoices and open promises of all its customers."""
    if not new or not definition.enabled:
        return {}
    if await attached_count(session, require_id(definition)) > 0:
        return {}  # the workflow reacts to its `enrolled` event first
    spec = schedule_spec(definition, await steps_of(session, require_id(definition)))
    customer_ids = [require_id(customer) for customer, _ in new]
    invoices = await open_invoices_of_customers(session, customer_ids)
    promised = await customers_with_open_promises(session, customer_ids)
    found: dict[int, FirstWake] = {}
    for customer, enrollment in new:
        customer_id = require_id(customer)
        calendar = calendars[customer_id]
        own = invoices[customer_id]
        planned = plan_next(
            spec,
            enrollment_context(enrollment, customer, own),
            calendar,
            cursor=fresh_cursor(spec.kind, enrollment.anchor_date, calendar.tz),
            as_of=at,
            fresh=True,
        )
        waits = first_plan_only_waits(
            planned,
            DefinitionKind(definition.kind),
            enabled=definition.enabled,
            # Not only a pause in force: one past its end is resumed (and recorded) by the plan.
            paused=customer.paused,
            automations_attached=False,
            open_promise=customer_id in promised,
        )
        if not waits:
            continue
        numbers: dict[int | None, str] = {require_id(i): i.number for i in own}
        upcoming = planned.upcoming
        labels = [step_label(o.step_position, str(o.action), numbers.get(o.invoice_id)) for o in upcoming]
        found[require_id(enrollment)] = FirstWake(
            planned_at=at,
            wake_at=planned.next_at,
            label=next_step_label(planned.next_at, labels, calendar.time_zone, org.time_zone),
            definition_name=definition.name,
            definition_version=definition.version,
        )
    return found
