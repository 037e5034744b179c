"""Schedules by example: DST, business days, frequencies, invoices leaving, catch-up, keys."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.enums import (
    AutopayAnchor,
    CatchUpPolicy,
    DefinitionKind,
    FrequencyPeriod,
    InvoiceStatus,
    StepAction,
)
from domain.schedules import (
    EnrollmentContext,
    Frequency,
    OrgCalendar,
    ScheduleSpec,
    StepSpec,
    monthly_weekday,
    occurrences,
    plan_next,
    timeline,
)
from tests.domain.conftest import context, invoice, invoice_spec, steps

NY = ZoneInfo("America/New_York")
CAL = OrgCalendar()
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2028, 12, 31, tzinfo=UTC)


def local(o: object) -> datetime:
    return o.at.astimezone(NY)  # type: ignore[attr-defined]


# --- DST -----------------------------------------------------------------------------------


def test_us_spring_forward_week_keeps_half_past_two_local() -> None:
    # 2026-03-08: clocks jump 02:00 EST -> 03:00 EDT.
    assert CAL.fire_at(date(2026, 3, 7)) == datetime(2026, 3, 7, 19, 30, tzinfo=UTC)  # EST, UTC-5
    assert CAL.fire_at(date(2026, 3, 9)) == datetime(2026, 3, 9, 18, 30, tzinfo=UTC)  # EDT, UTC-4
    assert CAL.fire_at(date(2026, 3, 8)).astimezone(NY).time() == time(14, 30)


def test_us_fall_back_week_keeps_half_past_two_local() -> None:
    # 2026-11-01: clocks fall back 02:00 EDT -> 01:00 EST.
    assert CAL.fire_at(date(2026, 10, 31)) == datetime(2026, 10, 31, 18, 30, tzinfo=UTC)
    assert CAL.fire_at(date(2026, 11, 2)) == datetime(2026, 11, 2, 19, 30, tzinfo=UTC)


def test_send_time_inside_the_spring_forward_gap_moves_forward() -> None:
    cal = OrgCalendar(send_time=time(2, 30))
    fired = cal.fire_at(date(2026, 3, 8)).astimezone(NY)
    assert (fired.hour, fired.minute) == (3, 30)
    assert fired.utcoffset() == timedelta(hours=-4)


def test_ambiguous_send_time_at_fall_back_takes_the_first() -> None:
    cal = OrgCalendar(send_time=time(1, 30))
    assert cal.fire_at(date(2026, 11, 1)) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT


def test_half_hour_dst_of_lord_howe_is_respected() -> None:
    cal = OrgCalendar(time_zone="Australia/Lord_Howe", send_time=time(2, 15))
    fired = cal.fire_at(date(2026, 10, 4)).astimezone(ZoneInfo("Australia/Lord_Howe"))
    assert (fired.hour, fired.minute) == (2, 45)


# --- business days -------------------------------------------------------------------------


def test_weekend_and_new_year_holiday_move_to_the_next_business_day() -> None:
    cal = OrgCalendar(business_days_only=True, holiday_country="US")
    assert cal.to_business_day(date(2027, 1, 1)) == date(2027, 1, 4)  # Friday holiday -> Monday
    assert cal.to_business_day(date(2026, 12, 26)) == date(2026, 12, 28)  # Saturday -> Monday
    assert cal.to_business_day(date(2026, 12, 31)) == date(2026, 12, 31)  # Thursday, a business day
    assert cal.to_business_day(date(2026, 12, 25)) == date(2026, 12, 28)  # Christmas Friday


def test_business_days_apply_only_when_the_flag_is_set() -> None:
    assert OrgCalendar(holiday_country="US").to_business_day(date(2027, 1, 1)) == date(2027, 1, 1)


def test_reminder_due_on_new_years_day_is_sent_the_next_business_day() -> None:
    cal = OrgCalendar(business_days_only=True, holiday_country="US")
    found = occurrences(invoice_spec(0), context(invoice(due=date(2027, 1, 1))), cal, after=START, until=END)
    assert [o.local_date for o in found] == [date(2027, 1, 4)]
    assert found[0].nominal_date == date(2027, 1, 1)


# --- frequencies ---------------------------------------------------------------------------


def test_monthly_last_friday_for_a_year() -> None:
    spec = ScheduleSpec(
        definition_id=1,
        kind=DefinitionKind.CUSTOMER,
        steps=steps(0, action=StepAction.STATEMENT_EMAIL),
        frequency=Frequency(FrequencyPeriod.MONTHLY, weekday=4, week_of_month=-1),
    )
    found = timeline(spec, context(anchor=date(2027, 1, 1)), CAL, after=START, limit=12)
    assert [o.local_date.day for o in found] == [29, 26, 26, 30, 28, 25, 30, 27, 24, 29, 26, 31]
    assert all(o.local_date.weekday() == 4 for o in found)


def test_a_month_without_a_fifth_weekday_still_has_a_last_one() -> None:
    # February 2027 has four Fridays; "last Friday" is the 26th, "4th Friday" too.
    assert monthly_weekday(2027, 2, 4, -1) == date(2027, 2, 26)
    assert monthly_weekday(2027, 2, 4, 4) == date(2027, 2, 26)
    assert monthly_weekday(2027, 1, 4, -1) == date(2027, 1, 29)


def test_weekly_statement_on_tuesdays() -> None:
    spec = ScheduleSpec(
        definition_id=1,
        kind=DefinitionKind.CUSTOMER,
        steps=steps(0, action=StepAction.STATEMENT_EMAIL),
        frequency=Frequency(FrequencyPeriod.WEEKLY, weekday=1),
    )
    found = timeline(spec, context(anchor=date(2026, 11, 23)), CAL, after=START, limit=3)
    assert [o.local_date for o in found] == [date(2026, 11, 24), date(2026, 12, 1), date(2026, 12, 8)]


def test_biweekly_keeps_its_phase_whatever_the_starting_instant() -> None:
    spec = ScheduleSpec(
        definition_id=1,
        kind=DefinitionKind.CUSTOMER,
        steps=steps(0),
        frequency=Frequency(FrequencyPeriod.BIWEEKLY, weekday=0),
    )
    ctx = context(anchor=date(2026, 11, 23))
    first = timeline(spec, ctx, CAL, after=START, limit=6)
    later = timeline(spec, ctx, CAL, after=first[2].at - timedelta(days=3), limit=3)
    assert [o.key for o in later] == [o.key for o in first[2:5]]
    assert all((b.local_date - a.local_date).days == 14 for a, b in itertools.pairwise(first))


@pytest.mark.parametrize(("period", "week"), [(FrequencyPeriod.MONTHLY, 5), (FrequencyPeriod.MONTHLY, None)])
def test_monthly_frequency_needs_a_week_of_month(period: FrequencyPeriod, week: int | None) -> None:
    with pytest.raises(ValueError, match="week_of_month"):
        Frequency(period, weekday=4, week_of_month=week)


# --- invoices ------------------------------------------------------------------------------


def test_invoice_cadence_minus_three_to_plus_thirty_gives_five_occurrences() -> None:
    due = date(2026, 12, 1)
    found = occurrences(
        invoice_spec(-3, 0, 7, 14, 30), context(invoice(due=due)), CAL, after=START, until=END
    )
    assert [o.local_date for o in found] == [due + timedelta(days=d) for d in (-3, 0, 7, 14, 30)]
    assert all(local(o).time() == time(14, 30) for o in found)


def test_feb_29_due_date_counts_offsets_across_the_leap_day() -> None:
    found = occurrences(
        invoice_spec(-1, 1), context(invoice(due=date(2028, 2, 29))), CAL, after=START, until=END
    )
    assert [o.local_date for o in found] == [date(2028, 2, 28), date(2028, 3, 1)]


@pytest.mark.parametrize(
    "gone",
    [
        invoice(status=InvoiceStatus.PAID),
        invoice(status=InvoiceStatus.VOID),
        invoice(status=InvoiceStatus.WRITTEN_OFF),
        invoice(balance="0.00"),
    ],
    ids=["paid", "void", "written_off", "zero_balance"],
)
def test_a_paid_void_or_settled_invoice_produces_no_occurrence(gone: object) -> None:
    assert occurrences(invoice_spec(-3, 0, 7), context(gone), CAL, after=START, until=END) == []  # type: ignore[arg-type]


def test_a_paused_invoice_is_left_out_but_others_go_on() -> None:
    ctx = context(invoice(1, paused=True), invoice(2))
    found = occurrences(invoice_spec(0), ctx, CAL, after=START, until=END)
    assert [o.invoice_id for o in found] == [2]


def test_autopay_notice_three_days_before_the_scheduled_payment_date() -> None:
    spec = ScheduleSpec(definition_id=1, kind=DefinitionKind.AUTOPAY, steps=steps(-3))
    inv = invoice(due=date(2026, 12, 30), discount_end_date=date(2026, 12, 10))
    for anchor, expected in [
        (AutopayAnchor.DUE_DATE, date(2026, 12, 27)),
        (AutopayAnchor.DISCOUNT_END, date(2026, 12, 7)),
        (AutopayAnchor.INVOICE_DATE, date(2026, 10, 29)),
    ]:
        ctx = EnrollmentContext(
            enrollment_id=7, anchor_date=date(2026, 10, 1), invoices=(inv,), autopay_anchor=anchor
        )
        assert [o.local_date for o in occurrences(spec, ctx, CAL, after=START, until=END)] == [expected]
    scheduled = invoice(due=date(2026, 12, 30), scheduled_payment_date=date(2026, 12, 20))
    ctx = EnrollmentContext(enrollment_id=7, anchor_date=date(2026, 10, 1), invoices=(scheduled,))
    assert [o.local_date for o in occurrences(spec, ctx, CAL, after=START, until=END)] == [date(2026, 12, 17)]


# --- keys ----------------------------------------------------------------------------------


def test_occurrence_keys_are_stable_business_keys() -> None:
    found = occurrences(
        invoice_spec(0), context(invoice(5, due=date(2026, 12, 1))), CAL, after=START, until=END
    )
    assert found[0].key == "7:100:5:2026-12-01"
    again = occurrences(
        invoice_spec(0), context(invoice(5, due=date(2026, 12, 1))), CAL, after=START, until=END
    )
    assert [o.key for o in again] == [o.key for o in found]


def test_send_window_spreads_enrollments_deterministically_within_it() -> None:
    cal = OrgCalendar(send_window_minutes=30)
    base = CAL.fire_at(date(2026, 12, 1))
    spread = [cal.fire_at(date(2026, 12, 1), spread_key=str(i)) for i in range(200)]
    assert all(base <= t < base + timedelta(minutes=30) for t in spread)
    assert len(set(spread)) > 100
    assert spread == [cal.fire_at(date(2026, 12, 1), spread_key=str(i)) for i in range(200)]


# --- planning and catch-up -----------------------------------------------------------------


def _weekly(policy: CatchUpPolicy) -> ScheduleSpec:
    return ScheduleSpec(
        definition_id=1,
        kind=DefinitionKind.CUSTOMER,
        steps=steps(0, action=StepAction.STATEMENT_EMAIL),
        frequency=Frequency(FrequencyPeriod.WEEKLY, weekday=1),
        catch_up=policy,
    )


def test_catch_up_skip_after_a_three_week_pause_sends_nothing_late() -> None:
    ctx = context(anchor=date(2026, 11, 1))
    paused_at = CAL.fire_at(date(2026, 11, 4))
    resumed = paused_at + timedelta(days=21)
    plan = plan_next(_weekly(CatchUpPolicy.SKIP), ctx, CAL, cursor=paused_at, as_of=resumed)
    assert plan.due == ()
    assert len(plan.missed) == 3
    assert plan.next_at is not None and plan.next_at > resumed


def test_catch_up_latest_after_a_three_week_pause_sends_only_the_most_recent_once() -> None:
    ctx = context(anchor=date(2026, 11, 1))
    paused_at = CAL.fire_at(date(2026, 11, 4))
    resumed = paused_at + timedelta(days=21)
    plan = plan_next(_weekly(CatchUpPolicy.LATEST), ctx, CAL, cursor=paused_at, as_of=resumed)
    assert [o.local_date for o in plan.due] == [date(2026, 11, 24)]
    assert [o.local_date for o in plan.missed] == [date(2026, 11, 10), date(2026, 11, 17)]


def test_an_occurrence_reached_by_its_timer_is_due_on_time_not_caught_up() -> None:
    ctx = context(invoice(due=date(2026, 12, 1)))
    at = CAL.fire_at(date(2026, 12, 1))
    plan = plan_next(
        invoice_spec(0), ctx, CAL, cursor=at - timedelta(days=1), as_of=at + timedelta(seconds=2)
    )
    assert [o.local_date for o in plan.due] == [date(2026, 12, 1)]
    assert plan.missed == ()


def test_assignment_cadence_ends_and_names_its_successor() -> None:
    spec = ScheduleSpec(
        definition_id=1, kind=DefinitionKind.ASSIGNMENT, steps=steps(0, 3, 7, 10), continue_with_id=42
    )
    ctx = context(anchor=date(2026, 12, 1))
    cal_end = CAL.fire_at(date(2026, 12, 11))
    assert plan_next(spec, ctx, CAL, cursor=START, as_of=cal_end - timedelta(days=1)).exhausted is False
    final = plan_next(spec, ctx, CAL, cursor=cal_end, as_of=cal_end + timedelta(hours=1))
    assert final.exhausted is True
    assert final.continue_with_id == 42
    assert final.next_at is None


def test_invoice_cadence_is_exhausted_when_no_invoice_has_a_step_left() -> None:
    ctx = context(invoice(due=date(2026, 12, 1)))
    after_last = CAL.fire_at(date(2026, 12, 8)) + timedelta(hours=1)
    plan = plan_next(invoice_spec(0, 7), ctx, CAL, cursor=after_last, as_of=after_last)
    assert plan.exhausted and plan.next_at is None
    assert (
        plan_next(_weekly(CatchUpPolicy.SKIP), ctx, CAL, cursor=after_last, as_of=after_last).exhausted
        is False
    )


def test_several_invoices_due_the_same_day_fire_together() -> None:
    ctx = context(invoice(1, due=date(2026, 12, 1)), invoice(2, due=date(2026, 12, 1)))
    plan = plan_next(invoice_spec(0), ctx, CAL, cursor=START, as_of=datetime(2026, 11, 20, tzinfo=UTC))
    assert [o.invoice_id for o in plan.upcoming] == [1, 2]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: OrgCalendar(time_zone="Mars/Olympus"), "time zone"),
        (lambda: ScheduleSpec(definition_id=1, kind=DefinitionKind.INVOICE, steps=steps(*range(101))), "100"),
        (lambda: ScheduleSpec(definition_id=1, kind=DefinitionKind.CUSTOMER, steps=steps(0)), "frequency"),
        (lambda: StepSpec(id=1, position=0, offset_days=4000, action=StepAction.NOTE), "offset"),
    ],
    ids=["unknown_zone", "too_many_steps", "customer_without_frequency", "offset_too_far"],
)
def test_invalid_schedules_are_refused_with_a_clear_reason(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]
