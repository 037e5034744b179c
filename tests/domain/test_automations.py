"""Automations as the domain sees them: what may be saved, what would loop, what an event
triggers (with the condition values), when time triggers fall, and the limits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.automations import (
    MAX_ACTIONS_PER_AUTOMATION,
    MAX_ACTIONS_PER_DAY,
    MAX_ACTIONS_PER_EVENT,
    AutomationError,
    EventFacts,
    Trigger,
    match_event,
    parse_automation,
    parse_trigger,
    plan_time_triggers,
    threshold_crossed,
    trigger_dates,
    within_limits,
)
from domain.conditions import Metrics
from domain.enums import EventKind, TimeTrigger

FIGURES = Metrics(
    currency="USD",
    outstanding=Decimal("1000.00"),
    overdue=Decimal("400.00"),
    consolidated_outstanding=Decimal("1000.00"),
    consolidated_overdue=Decimal("400.00"),
)


def automation(
    trigger: dict[str, Any],
    actions: list[dict[str, Any]] | None = None,
    conditions: list[dict[str, object]] | None = None,
    automation_id: int = 1,
    enabled: bool = True,
) -> Any:
    return parse_automation(
        automation_id=automation_id,
        version=1,
        name=f"automation {automation_id}",
        trigger=trigger,
        conditions=conditions or [],
        actions=actions if actions is not None else [{"kind": "note", "params": {"text": "hi"}}],
        enabled=enabled,
    )


def refused(code: str, **kwargs: Any) -> str:
    with pytest.raises(AutomationError) as caught:
        automation(**kwargs)
    assert caught.value.code == code, caught.value
    return str(caught.value)


def test_an_automation_that_pauses_on_pause_is_refused_as_a_loop() -> None:
    message = refused(
        "automation_loop", trigger={"kind": "customer_paused"}, actions=[{"kind": "pause_customer"}]
    )
    assert "customer_paused" in message and "action 1" in message


def test_a_dispute_opened_by_its_own_status_is_a_loop_but_messages_on_delivery_events_are_not() -> None:
    refused(
        "automation_loop",
        trigger={"kind": "dispute_opened"},
        actions=[{"kind": "set_invoice_status", "params": {"status": "disputed"}}],
    )
    assert automation({"kind": "delivery_opened"}, [{"kind": "task"}]).actions[0].kind == "task"
    # Messages sent by automations write no delivery event: replying to a bounce cannot loop.
    assert automation({"kind": "delivery_bounced"}, [{"kind": "internal_notification"}])
    assert automation({"kind": "delivery_opened"}, [{"kind": "customer_email"}])


def test_bad_triggers_and_actions_are_refused_with_their_codes() -> None:
    refused("invalid_trigger", trigger={"kind": "invoice_exploded"})
    refused("invalid_trigger", trigger={"kind": "days_from_due"})
    refused("invalid_trigger", trigger={"kind": "days_from_due", "days": 5000})
    refused("invalid_trigger", trigger={"kind": "weekday", "weekday": 7})
    refused("invalid_trigger", trigger={"kind": "monthly_date", "day": 31})
    refused("invalid_trigger", trigger={"kind": "threshold_crossed", "metric": "outstanding", "value": "5"})
    refused("invalid_trigger", trigger={"kind": "threshold_crossed", "metric": "overdue_pct", "value": "150"})
    refused("invalid_trigger", trigger={"kind": "invoice_paid", "payment": "half"})
    refused("invalid_trigger", trigger={"kind": "enrolled", "days": 3})
    refused("invalid_action", trigger={"kind": "enrolled"}, actions=[{"kind": "explode"}])
    refused("invalid_action", trigger={"kind": "enrolled"}, actions=[])
    refused(
        "invalid_action",
        trigger={"kind": "enrolled"},
        actions=[{"kind": "call_webhook", "params": {"url": "http://erp.example/hold"}}],
    )
    refused("invalid_action", trigger={"kind": "enrolled"}, actions=[{"kind": "move_to_workflow"}])
    refused(
        "too_many_actions",
        trigger={"kind": "enrolled"},
        actions=[{"kind": "note"}] * (MAX_ACTIONS_PER_AUTOMATION + 1),
    )
    refused(
        "invalid_conditions",
        trigger={"kind": "enrolled"},
        conditions=[{"metric": "overdue", "operator": "gt", "value": "5"}],
    )
    assert parse_trigger({"kind": "monthly_date", "day": -1}).is_time
    assert not parse_trigger({"kind": "invoice_created"}).is_time


def test_an_event_triggers_the_enabled_automations_waiting_for_it_with_the_condition_values() -> None:
    big = automation(
        {"kind": "invoice_paid", "payment": "partial"},
        conditions=[{"metric": "overdue", "operator": "gte", "value": "500"}],
        automation_id=2,
    )
    any_payment = automation({"kind": "invoice_paid"}, automation_id=1)
    in_full = automation({"kind": "invoice_paid", "payment": "full"}, automation_id=3)
    off = automation({"kind": "invoice_paid"}, automation_id=4, enabled=False)
    other = automation({"kind": "invoice_created"}, automation_id=5)

    partly = EventFacts(kind=EventKind.INVOICE_PAID, payload={"full": False})
    matches = match_event([big, in_full, off, other, any_payment], partly, FIGURES)
    assert [m.automation.id for m in matches] == [1, 2]
    assert matches[0].fires and not matches[1].fires
    assert matches[1].evaluation.explanation == "Overdue >= 500.00 USD (was 400.00 USD)"

    fully = EventFacts(kind=EventKind.INVOICE_PAID, payload={"full": True})
    assert [m.automation.id for m in match_event([big, in_full, any_payment], fully, FIGURES)] == [1, 3]


def test_time_triggers_fall_on_their_dates() -> None:
    before_due = Trigger(kind=TimeTrigger.DAYS_FROM_DUE, params={"days": -3})
    dues = {7: date(2026, 12, 10), 8: date(2027, 1, 20)}
    assert trigger_dates(before_due, first=date(2026, 12, 1), last=date(2026, 12, 31), due_dates=dues) == [
        (date(2026, 12, 7), 7)
    ]
    mondays = Trigger(kind=TimeTrigger.WEEKDAY, params={"weekday": 0})
    got = trigger_dates(mondays, first=date(2026, 12, 1), last=date(2026, 12, 14), due_dates={})
    assert got == [(date(2026, 12, 7), None), (date(2026, 12, 14), None)]
    last_day = Trigger(kind=TimeTrigger.MONTHLY_DATE, params={"day": -1})
    got = trigger_dates(last_day, first=date(2027, 1, 15), last=date(2027, 3, 5), due_dates={})
    assert got == [(date(2027, 1, 31), None), (date(2027, 2, 28), None)]


def test_a_threshold_fires_when_crossed_not_while_it_stays_above() -> None:
    over = Trigger(kind=TimeTrigger.THRESHOLD_CROSSED, params={"metric": "overdue", "value": "500"})
    assert threshold_crossed(over, None, Decimal("600"))
    assert threshold_crossed(over, Decimal("499.99"), Decimal("500"))
    assert not threshold_crossed(over, Decimal("600"), Decimal("700"))
    assert not threshold_crossed(over, Decimal("100"), Decimal("200"))


def test_limits_cut_actions_per_event_and_per_day() -> None:
    assert within_limits(0, 0, 3) == 3
    assert within_limits(MAX_ACTIONS_PER_EVENT - 1, 0, 3) == 1
    assert within_limits(0, MAX_ACTIONS_PER_DAY, 3) == 0
    assert within_limits(MAX_ACTIONS_PER_EVENT + 5, 0, 1) == 0


def _monday_at_send_time() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 12, 7, 19, 30, tzinfo=UTC)  # 14:30 in New York


def test_time_triggers_fire_at_the_send_time_on_business_days_and_meet_the_catch_up_policy() -> None:
    from datetime import timedelta

    from domain.enums import CatchUpPolicy
    from domain.schedules import OrgCalendar

    cal = OrgCalendar(business_days_only=True)
    saturday_due = automation({"kind": "days_from_due", "days": 0}, automation_id=7)
    dues = {1: date(2026, 12, 5)}  # a Saturday: moves to Monday 7 December
    monday = _monday_at_send_time()
    plan = plan_time_triggers(
        [saturday_due],
        cal,
        dues,
        cursor=monday - timedelta(days=1),
        as_of=monday,
        catch_up=CatchUpPolicy.SKIP,
    )
    assert [(f.local_date, f.invoice_id, f.at) for f in plan.due] == [(date(2026, 12, 7), 1, monday)]
    assert plan.missed == () and plan.next_at is None

    weekly = automation({"kind": "weekday", "weekday": 0}, automation_id=8)
    three_weeks_later = monday + timedelta(days=21)
    skipped = plan_time_triggers(
        [weekly],
        cal,
        {},
        cursor=monday,
        as_of=three_weeks_later + timedelta(hours=2),
        catch_up=CatchUpPolicy.SKIP,
    )
    assert skipped.due == () and len(skipped.missed) == 3
    latest = plan_time_triggers(
        [weekly],
        cal,
        {},
        cursor=monday,
        as_of=three_weeks_later + timedelta(hours=2),
        catch_up=CatchUpPolicy.LATEST,
    )
    assert [f.at for f in latest.due] == [three_weeks_later] and len(latest.missed) == 2
    assert latest.next_at == three_weeks_later + timedelta(days=7)


def test_an_invoice_change_makes_its_events() -> None:
    from domain.automations import InvoiceState, invoice_events

    due = date(2026, 12, 1)
    open_ = InvoiceState(balance_due=Decimal("100"), due_date=due, status="open")
    assert [k for k, _ in invoice_events(None, open_)] == [EventKind.INVOICE_CREATED]
    partly = invoice_events(open_, InvoiceState(balance_due=Decimal("40"), due_date=due, status="open"))
    assert partly == [(EventKind.INVOICE_PAID, {"full": False, "paid": "60"})]
    fully = invoice_events(open_, InvoiceState(balance_due=Decimal("0"), due_date=due, status="paid"))
    assert [(k, p["full"]) for k, p in fully] == [(EventKind.INVOICE_PAID, True)]
    moved = invoice_events(
        open_, InvoiceState(balance_due=Decimal("100"), due_date=date(2026, 12, 15), status="open")
    )
    assert moved == [(EventKind.DUE_DATE_MOVED, {"from": "2026-12-01", "to": "2026-12-15"})]
    assert invoice_events(open_, open_) == []
