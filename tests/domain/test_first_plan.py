"""A new enrollment's first plan is made where it is enrolled only when the workflow's own first
plan would do nothing but wait for its next step."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.enums import DefinitionKind
from domain.first_plan import first_plan_only_waits
from domain.schedules import (
    INVOICE_LOOKBACK,
    InvoiceSpec,
    OrgCalendar,
    Plan,
    ScheduleSpec,
    fresh_cursor,
    plan_next,
)
from tests.domain.conftest import context, invoice, invoice_spec, steps

NY = ZoneInfo("America/New_York")
CAL = OrgCalendar()
# Enrolled on Tuesday 1 Dec 2026 at 10:00 New York time, before the 14:30 send time.
ENROLLED_AT = datetime(2026, 12, 1, 10, 0, tzinfo=NY).astimezone(UTC)
ANCHOR = date(2026, 12, 1)


def first_plan(spec: ScheduleSpec, *invoices: InvoiceSpec) -> Plan:
    return plan_next(
        spec,
        context(*invoices, anchor=ANCHOR),
        CAL,
        cursor=fresh_cursor(spec.kind, ANCHOR, NY),
        as_of=ENROLLED_AT,
        fresh=True,
    )


def only_waits(plan: Plan, kind: DefinitionKind = DefinitionKind.INVOICE, **flags: bool) -> bool:
    values = {"enabled": True, "paused": False, "automations_attached": False, "open_promise": False}
    values.update(flags)
    return first_plan_only_waits(plan, kind, **values)


def test_an_invoice_reminder_days_ahead_is_only_waited_for() -> None:
    plan = first_plan(invoice_spec(-3), invoice(due=date(2026, 12, 10)))
    assert plan.due == () and plan.missed == ()
    assert only_waits(plan)


def test_a_reminder_that_fell_before_the_enrollment_is_the_workflows_to_record_as_missed() -> None:
    plan = first_plan(invoice_spec(-3, 7), invoice(due=date(2026, 11, 20)))
    assert plan.missed
    assert not only_waits(plan)


def test_a_step_of_today_already_passed_is_the_workflows_to_perform_at_once() -> None:
    spec = ScheduleSpec(definition_id=1, kind=DefinitionKind.ASSIGNMENT, steps=steps(0))
    late = plan_next(
        spec,
        context(anchor=ANCHOR),
        CAL,
        cursor=fresh_cursor(spec.kind, ANCHOR, NY),
        as_of=ENROLLED_AT + timedelta(hours=8),  # 18:00, after the 14:30 send time
        fresh=True,
    )
    assert late.due
    assert not only_waits(late, DefinitionKind.ASSIGNMENT)


def test_a_paused_customer_an_open_promise_automations_or_a_workflow_off_are_the_workflows() -> None:
    plan = first_plan(invoice_spec(-3), invoice(due=date(2026, 12, 10)))
    assert not only_waits(plan, paused=True)
    assert not only_waits(plan, open_promise=True)
    assert not only_waits(plan, automations_attached=True)
    assert not only_waits(plan, enabled=False)


def test_an_invoice_cadence_with_nothing_open_yet_waits_for_invoices() -> None:
    plan = first_plan(invoice_spec(-3))
    assert plan.exhausted and plan.next_at is None
    assert only_waits(plan)


def test_an_assignment_cadence_with_nothing_ahead_ends_in_its_workflow() -> None:
    spec = ScheduleSpec(definition_id=1, kind=DefinitionKind.ASSIGNMENT, steps=())
    plan = first_plan(spec)
    assert plan.exhausted
    assert not only_waits(plan, DefinitionKind.ASSIGNMENT)


def test_a_fresh_cursor_looks_back_for_invoice_cadences_and_starts_at_the_anchor_day_otherwise() -> None:
    midnight = datetime(2026, 12, 1, 0, 0, tzinfo=NY).astimezone(UTC)
    assert fresh_cursor(DefinitionKind.INVOICE, ANCHOR, NY) == midnight - INVOICE_LOOKBACK
    assert fresh_cursor(DefinitionKind.AUTOPAY, ANCHOR, NY) == midnight - INVOICE_LOOKBACK
    assert fresh_cursor(DefinitionKind.CUSTOMER, ANCHOR, NY) == midnight - timedelta(seconds=1)
    assert fresh_cursor(DefinitionKind.ASSIGNMENT, ANCHOR, NY) == midnight - timedelta(seconds=1)
