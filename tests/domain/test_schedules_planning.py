"""Planning: what is due at a wake-up, catch-up after a pause, what comes next, when a cadence ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.enums import CatchUpPolicy, DefinitionKind, FrequencyPeriod, InvoiceStatus, StepAction
from domain.schedules import (
    ON_TIME_GRACE,
    EnrollmentContext,
    Frequency,
    Occurrence,
    OrgCalendar,
    ScheduleSpec,
    occurrences,
    plan_next,
    timeline,
)
from tests.domain.conftest import context, invoice, invoice_spec, steps

NY = ZoneInfo("America/New_York")
CAL = OrgCalendar()


def ny(y: int, m: int, d: int, hh: int = 14, mm: int = 30) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=NY).astimezone(UTC)


def days(found: tuple[Occurrence, ...] | list[Occurrence]) -> list[date]:
    return [o.local_date for o in found]


def weekly_statement(policy: CatchUpPolicy) -> ScheduleSpec:
    return ScheduleSpec(
        definition_id=2,
        kind=DefinitionKind.CUSTOMER,
        steps=steps(0, action=StepAction.STATEMENT_EMAIL),
        frequency=Frequency(FrequencyPeriod.WEEKLY, weekday=1),  # Tuesdays
        catch_up=policy,
    )


# Statement sent Tuesday 3 Nov 2026; paused, then resumed on Wednesday 25 Nov: three Tuesdays passed.
STATEMENT_SENT = ny(2026, 11, 3)
RESUMED = ny(2026, 11, 25, 10, 0)
WEEKLY_CTX = context(anchor=date(2026, 11, 1))


# --- catch-up after a pause ----------------------------------------------------------------


def test_weekly_statement_with_skip_sends_nothing_late_after_a_three_week_pause() -> None:
    plan = plan_next(
        weekly_statement(CatchUpPolicy.SKIP), WEEKLY_CTX, CAL, cursor=STATEMENT_SENT, as_of=RESUMED
    )
    assert plan.due == ()
    assert days(plan.missed) == [date(2026, 11, 10), date(2026, 11, 17), date(2026, 11, 24)]
    assert plan.next_at == ny(2026, 12, 1)
    assert days(plan.upcoming) == [date(2026, 12, 1)]
    assert not plan.exhausted


def test_weekly_statement_with_latest_sends_only_the_most_recent_once_after_a_three_week_pause() -> None:
    plan = plan_next(
        weekly_statement(CatchUpPolicy.LATEST), WEEKLY_CTX, CAL, cursor=STATEMENT_SENT, as_of=RESUMED
    )
    assert days(plan.due) == [date(2026, 11, 24)]
    assert days(plan.missed) == [date(2026, 11, 10), date(2026, 11, 17)]
    assert plan.next_at == ny(2026, 12, 1)


def _two_invoices(policy: CatchUpPolicy) -> tuple[ScheduleSpec, EnrollmentContext]:
    spec = invoice_spec(0, 7, 30, catch_up=policy)
    return spec, context(invoice(1, due=date(2026, 11, 10)), invoice(2, due=date(2026, 11, 16)))


def test_invoice_reminders_with_skip_after_a_three_week_pause_are_all_recorded_as_missed() -> None:
    spec, ctx = _two_invoices(CatchUpPolicy.SKIP)
    plan = plan_next(spec, ctx, CAL, cursor=ny(2026, 11, 5), as_of=ny(2026, 11, 26, 9, 0))
    assert plan.due == ()
    assert [(o.invoice_id, o.local_date) for o in plan.missed] == [
        (1, date(2026, 11, 10)),
        (2, date(2026, 11, 16)),
        (1, date(2026, 11, 17)),
        (2, date(2026, 11, 23)),
    ]
    assert plan.next_at == ny(2026, 12, 10)
    assert [o.invoice_id for o in plan.upcoming] == [1]


def test_invoice_reminders_with_latest_after_a_three_week_pause_send_one_instant_only() -> None:
    spec, ctx = _two_invoices(CatchUpPolicy.LATEST)
    plan = plan_next(spec, ctx, CAL, cursor=ny(2026, 11, 5), as_of=ny(2026, 11, 26, 9, 0))
    assert [(o.invoice_id, o.local_date) for o in plan.due] == [(2, date(2026, 11, 23))]
    assert len(plan.missed) == 3
    assert set(plan.due).isdisjoint(plan.missed)


def test_latest_sends_every_occurrence_of_the_latest_missed_instant() -> None:
    spec = invoice_spec(0, catch_up=CatchUpPolicy.LATEST)
    ctx = context(
        invoice(1, due=date(2026, 11, 9)),
        invoice(2, due=date(2026, 11, 12)),
        invoice(3, due=date(2026, 11, 12)),
    )
    plan = plan_next(spec, ctx, CAL, cursor=ny(2026, 11, 1), as_of=ny(2026, 11, 20))
    assert [o.invoice_id for o in plan.due] == [2, 3]
    assert [o.invoice_id for o in plan.missed] == [1]


def test_latest_yields_to_an_occurrence_that_is_on_time() -> None:
    plan = plan_next(
        weekly_statement(CatchUpPolicy.LATEST), WEEKLY_CTX, CAL, cursor=STATEMENT_SENT, as_of=ny(2026, 11, 24)
    )
    assert days(plan.due) == [date(2026, 11, 24)]
    assert days(plan.missed) == [date(2026, 11, 10), date(2026, 11, 17)]


# --- on time versus missed -----------------------------------------------------------------


@pytest.mark.parametrize("policy", list(CatchUpPolicy))
@pytest.mark.parametrize("late_by", [timedelta(0), timedelta(seconds=2), timedelta(minutes=14)])
def test_a_wake_up_at_its_timer_is_due_on_time_whatever_the_policy(
    policy: CatchUpPolicy, late_by: timedelta
) -> None:
    at = ny(2026, 12, 1)
    spec = invoice_spec(0, 7, catch_up=policy)
    plan = plan_next(spec, context(invoice()), CAL, cursor=at - timedelta(days=3), as_of=at + late_by)
    assert days(plan.due) == [date(2026, 12, 1)]
    assert plan.missed == ()
    assert plan.next_at == ny(2026, 12, 8)


def test_past_the_grace_an_occurrence_is_missed_and_meets_the_policy() -> None:
    at = ny(2026, 12, 1)
    late = at + ON_TIME_GRACE
    plan = plan_next(invoice_spec(0, 7), context(invoice()), CAL, cursor=at - timedelta(days=3), as_of=late)
    assert plan.due == ()
    assert days(plan.missed) == [date(2026, 12, 1)]
    custom = plan_next(
        invoice_spec(0, 7),
        context(invoice()),
        CAL,
        cursor=at - timedelta(days=3),
        as_of=late,
        grace=timedelta(hours=1),
    )
    assert days(custom.due) == [date(2026, 12, 1)]


def test_what_the_cursor_covers_is_never_returned_again() -> None:
    at = ny(2026, 12, 1)
    plan = plan_next(invoice_spec(0, 7), context(invoice()), CAL, cursor=at, as_of=at + timedelta(minutes=1))
    assert plan.due == () and plan.missed == ()
    assert plan.next_at == ny(2026, 12, 8)


def test_an_engine_waking_at_each_next_at_performs_every_occurrence_exactly_once() -> None:
    spec = invoice_spec(-3, 0, 7, 14, 30)
    ctx = context(
        invoice(1, due=date(2026, 12, 1)),
        invoice(2, due=date(2026, 12, 4)),
        invoice(3, due=date(2026, 12, 1)),
    )
    cal = OrgCalendar(business_days_only=True, holiday_country="US", send_window_minutes=20)
    cursor = as_of = datetime(2026, 11, 1, tzinfo=UTC)
    performed: list[Occurrence] = []
    for _ in range(50):
        plan = plan_next(spec, ctx, cal, cursor=cursor, as_of=as_of)
        assert plan.missed == ()
        performed.extend(plan.due)
        if plan.exhausted:
            break
        assert plan.next_at is not None
        cursor, as_of = as_of, plan.next_at
    assert plan.exhausted and plan.next_at is None
    everything = occurrences(
        spec, ctx, cal, after=datetime(2026, 11, 1, tzinfo=UTC), until=datetime(2027, 12, 1, tzinfo=UTC)
    )
    assert performed == everything
    assert len(performed) == 15


# --- next and upcoming ---------------------------------------------------------------------


def test_several_invoices_due_the_same_day_are_upcoming_together() -> None:
    ctx = context(
        invoice(1, due=date(2026, 12, 1)),
        invoice(2, due=date(2026, 12, 1)),
        invoice(3, due=date(2026, 12, 9)),
    )
    plan = plan_next(invoice_spec(0), ctx, CAL, cursor=ny(2026, 11, 1), as_of=ny(2026, 11, 20))
    assert plan.next_at == ny(2026, 12, 1)
    assert [o.invoice_id for o in plan.upcoming] == [1, 2]


def test_a_step_years_ahead_is_still_the_next_one_beyond_the_horizon() -> None:
    plan = plan_next(
        invoice_spec(0, 3000),
        context(invoice()),
        CAL,
        cursor=ny(2026, 12, 1),
        as_of=ny(2026, 12, 2),
        horizon_days=30,
    )
    assert days(plan.upcoming) == [date(2026, 12, 1) + timedelta(days=3000)]
    assert not plan.exhausted


def test_a_customer_series_starting_years_ahead_is_found_beyond_the_horizon() -> None:
    ctx = context(anchor=date(2029, 6, 1))
    plan = plan_next(
        weekly_statement(CatchUpPolicy.SKIP), ctx, CAL, cursor=ny(2026, 1, 1), as_of=ny(2026, 1, 1)
    )
    assert days(plan.upcoming) == [date(2029, 6, 5)]


def test_timeline_lists_what_comes_next_in_firing_order() -> None:
    spec = invoice_spec(-3, 0, 7)
    ctx = context(invoice(1, due=date(2026, 12, 1)), invoice(2, due=date(2026, 12, 2)))
    found = timeline(spec, ctx, CAL, after=ny(2026, 11, 28), limit=4)
    assert [(o.invoice_id, o.local_date) for o in found] == [
        (2, date(2026, 11, 29)),
        (1, date(2026, 12, 1)),
        (2, date(2026, 12, 2)),
        (1, date(2026, 12, 8)),
    ]
    assert timeline(spec, ctx, CAL, after=ny(2026, 11, 28), limit=0) == []
    assert len(timeline(spec, ctx, CAL, after=ny(2026, 11, 1), limit=100)) == 6


def test_timeline_of_a_weekly_statement_goes_on_forever() -> None:
    found = timeline(weekly_statement(CatchUpPolicy.SKIP), WEEKLY_CTX, CAL, after=ny(2026, 11, 1), limit=120)
    assert len(found) == 120
    assert found[-1].local_date == date(2026, 11, 3) + timedelta(weeks=119)
    assert all(o.at.astimezone(NY).time() == time(14, 30) for o in found)


# --- exhaustion ----------------------------------------------------------------------------


def test_assignment_cadence_ends_after_its_last_step_and_names_its_successor() -> None:
    spec = ScheduleSpec(
        definition_id=3, kind=DefinitionKind.ASSIGNMENT, steps=steps(0, 3, 7, 10), continue_with_id=42
    )
    ctx = context(anchor=date(2026, 12, 1))
    last = ny(2026, 12, 11)
    before = plan_next(spec, ctx, CAL, cursor=ny(2026, 12, 8), as_of=ny(2026, 12, 9))
    assert not before.exhausted and before.continue_with_id is None
    assert before.next_at == last
    at_last = plan_next(spec, ctx, CAL, cursor=ny(2026, 12, 9), as_of=last)
    assert days(at_last.due) == [date(2026, 12, 11)]
    assert at_last.exhausted and at_last.continue_with_id == 42
    assert at_last.next_at is None and at_last.upcoming == ()


def test_invoice_cadence_is_exhausted_when_no_invoice_has_a_step_left() -> None:
    after_last = ny(2026, 12, 8, 16, 0)
    plan = plan_next(
        invoice_spec(0, 7, continue_with_id=9), context(invoice()), CAL, cursor=after_last, as_of=after_last
    )
    assert plan.exhausted and plan.next_at is None and plan.continue_with_id == 9


def test_invoice_cadence_is_exhausted_once_its_invoices_are_paid() -> None:
    ctx = context(invoice(status=InvoiceStatus.PAID), invoice(2, balance="0"))
    plan = plan_next(invoice_spec(0, 7), ctx, CAL, cursor=ny(2026, 11, 1), as_of=ny(2026, 11, 2))
    assert plan.exhausted and plan.next_at is None


def test_a_paused_invoice_with_steps_ahead_keeps_the_cadence_alive_but_sends_nothing() -> None:
    ctx = context(invoice(paused=True))
    plan = plan_next(invoice_spec(0, 7), ctx, CAL, cursor=ny(2026, 11, 1), as_of=ny(2026, 11, 2))
    assert not plan.exhausted and plan.continue_with_id is None
    assert plan.next_at is None and plan.upcoming == ()


def test_a_customer_series_is_never_exhausted() -> None:
    plan = plan_next(
        weekly_statement(CatchUpPolicy.SKIP), WEEKLY_CTX, CAL, cursor=RESUMED, as_of=ny(2036, 1, 1)
    )
    assert not plan.exhausted and plan.next_at is not None


def test_a_workflow_without_steps_is_exhausted_at_once() -> None:
    spec = ScheduleSpec(definition_id=1, kind=DefinitionKind.ASSIGNMENT, steps=(), continue_with_id=5)
    plan = plan_next(spec, context(), CAL, cursor=ny(2026, 1, 1), as_of=ny(2026, 1, 2))
    assert plan.exhausted and plan.continue_with_id == 5 and plan.next_at is None


# --- a late enrollment keeps its first step ------------------------------------------------


def _assignment(policy: CatchUpPolicy) -> ScheduleSpec:
    return ScheduleSpec(
        definition_id=4,
        kind=DefinitionKind.ASSIGNMENT,
        steps=steps(0, 3, action=StepAction.TASK),
        catch_up=policy,
    )


@pytest.mark.parametrize("policy", [CatchUpPolicy.SKIP, CatchUpPolicy.LATEST])
def test_a_customer_enrolled_after_todays_send_time_gets_its_day_0_step_at_once(
    policy: CatchUpPolicy,
) -> None:
    enrolled = ny(2026, 11, 26, 16, 45)  # the send time, 14:30, passed two hours ago
    fresh_cursor = datetime(2026, 11, 26, tzinfo=NY).astimezone(UTC) - timedelta(seconds=1)
    ctx = context(anchor=date(2026, 11, 26))
    plan = plan_next(_assignment(policy), ctx, CAL, cursor=fresh_cursor, as_of=enrolled, fresh=True)
    assert days(plan.due) == [date(2026, 11, 26)]
    assert plan.missed == ()
    assert days(plan.upcoming) == [date(2026, 11, 29)]


def test_a_step_that_passed_while_enrolled_is_still_missed_under_skip() -> None:
    """Only the first plan is fresh: later on, today's passed step was missed while enrolled."""
    cursor = ny(2026, 11, 26, 8, 0)
    spec, ctx = _assignment(CatchUpPolicy.SKIP), context(anchor=date(2026, 11, 26))
    plan = plan_next(spec, ctx, CAL, cursor=cursor, as_of=ny(2026, 11, 26, 16, 45))
    assert plan.due == ()
    assert days(plan.missed) == [date(2026, 11, 26)]


def test_an_invoice_enrolled_late_gets_todays_reminder_but_earlier_days_meet_the_catch_up_policy() -> None:
    spec = invoice_spec(-3, 0, catch_up=CatchUpPolicy.SKIP)
    ctx = context(invoice(1, due=date(2026, 11, 26)), anchor=date(2026, 11, 26))
    cursor = datetime(2026, 11, 26, tzinfo=NY).astimezone(UTC) - timedelta(days=30)
    plan = plan_next(spec, ctx, CAL, cursor=cursor, as_of=ny(2026, 11, 26, 18, 0), fresh=True)
    assert days(plan.due) == [date(2026, 11, 26)]
    assert days(plan.missed) == [date(2026, 11, 23)]


@pytest.mark.parametrize("collection_status", ["disputed", "on_hold", "promised"])
def test_a_held_invoice_is_not_planned_but_keeps_the_cadence_alive(collection_status: str) -> None:
    """Held by arcadence's collection status like a paused invoice: no step wakes for it, and the
    cadence waits for it to come back in collection instead of ending."""
    ctx = context(invoice(collection_status=collection_status))
    plan = plan_next(invoice_spec(0, 7), ctx, CAL, cursor=ny(2026, 11, 1), as_of=ny(2026, 11, 2))
    assert not plan.exhausted and plan.continue_with_id is None
    assert plan.next_at is None and plan.upcoming == ()
    back = context(invoice(collection_status="in_collection"))
    assert plan_next(invoice_spec(0, 7), back, CAL, cursor=ny(2026, 11, 1), as_of=ny(2026, 11, 2)).next_at
