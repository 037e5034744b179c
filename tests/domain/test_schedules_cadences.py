"""Schedules by kind: invoice reminders, auto-pay notices, assignment steps, customer frequencies."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.enums import AutopayAnchor, DefinitionKind, FrequencyPeriod, InvoiceStatus, StepAction
from domain.schedules import (
    EnrollmentContext,
    Frequency,
    InvoiceSpec,
    Occurrence,
    OrgCalendar,
    ScheduleSpec,
    StepSpec,
    monthly_weekday,
    occurrences,
    timeline,
)
from tests.domain.conftest import context, invoice, invoice_spec, steps

NY = ZoneInfo("America/New_York")
CAL = OrgCalendar()
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2028, 12, 31, tzinfo=UTC)


def customer_spec(frequency: Frequency, *offsets: int) -> ScheduleSpec:
    return ScheduleSpec(
        definition_id=2,
        kind=DefinitionKind.CUSTOMER,
        steps=steps(*(offsets or (0,)), action=StepAction.STATEMENT_EMAIL),
        frequency=frequency,
    )


# --- invoice kind --------------------------------------------------------------------------


def test_invoice_cadence_minus_three_to_plus_thirty_gives_five_reminders_at_half_past_two() -> None:
    due = date(2026, 12, 1)
    found = occurrences(
        invoice_spec(-3, 0, 7, 14, 30), context(invoice(due=due)), CAL, after=START, until=END
    )
    assert len(found) == 5
    assert [o.local_date for o in found] == [
        date(2026, 11, 28),
        date(2026, 12, 1),
        date(2026, 12, 8),
        date(2026, 12, 15),
        date(2026, 12, 31),
    ]
    assert all(o.at.astimezone(NY).time() == time(14, 30) for o in found)
    assert [o.at for o in found] == [
        datetime(2026, 11, 28, 19, 30, tzinfo=UTC),
        datetime(2026, 12, 1, 19, 30, tzinfo=UTC),
        datetime(2026, 12, 8, 19, 30, tzinfo=UTC),
        datetime(2026, 12, 15, 19, 30, tzinfo=UTC),
        datetime(2026, 12, 31, 19, 30, tzinfo=UTC),
    ]
    assert [o.step_position for o in found] == [0, 1, 2, 3, 4]


def test_feb_29_due_date_counts_offsets_across_the_leap_day() -> None:
    found = occurrences(
        invoice_spec(-29, -1, 0, 1, 365),
        context(invoice(due=date(2028, 2, 29))),
        CAL,
        after=START,
        until=datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert [o.local_date for o in found] == [
        date(2028, 1, 31),
        date(2028, 2, 28),
        date(2028, 2, 29),
        date(2028, 3, 1),
        date(2028, 2, 28) + timedelta(days=366),
    ]
    assert found[-1].local_date == date(2029, 2, 28)


@pytest.mark.parametrize(
    "gone",
    [
        invoice(status=InvoiceStatus.PAID),
        invoice(status=InvoiceStatus.VOID),
        invoice(status=InvoiceStatus.WRITTEN_OFF),
        invoice(balance="0.00"),
        invoice(balance="-5.00"),
    ],
    ids=["paid", "void", "written_off", "zero_balance", "credit_balance"],
)
def test_a_paid_void_or_settled_invoice_produces_no_occurrence(gone: InvoiceSpec) -> None:
    assert not gone.in_cadence
    assert occurrences(invoice_spec(-3, 0, 7), context(gone), CAL, after=START, until=END) == []


def test_an_open_invoice_with_a_balance_stays_in_the_cadence() -> None:
    assert invoice(status=InvoiceStatus.OPEN).in_cadence


@pytest.mark.parametrize("status", [InvoiceStatus.DISPUTED, InvoiceStatus.ON_HOLD])
def test_disputed_and_on_hold_invoices_leave_the_cadence(status: InvoiceStatus) -> None:
    assert not invoice(status=status).in_cadence


def test_a_paused_invoice_is_left_out_but_the_others_go_on() -> None:
    ctx = context(invoice(1, paused=True), invoice(2), invoice(3, status=InvoiceStatus.PAID))
    found = occurrences(invoice_spec(0, 7), ctx, CAL, after=START, until=END)
    assert [o.invoice_id for o in found] == [2, 2]


def test_invoices_due_the_same_day_fire_together_in_step_then_invoice_order() -> None:
    ctx = context(invoice(12, due=date(2026, 12, 1)), invoice(3, due=date(2026, 12, 1)))
    found = occurrences(invoice_spec(0), ctx, CAL, after=START, until=END)
    assert [o.invoice_id for o in found] == [3, 12]
    assert found[0].at == found[1].at


# --- autopay kind --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        (AutopayAnchor.DUE_DATE, date(2026, 12, 27)),
        (AutopayAnchor.DISCOUNT_END, date(2026, 12, 7)),
        (AutopayAnchor.INVOICE_DATE, date(2026, 10, 29)),
    ],
)
def test_autopay_notice_three_days_before_the_anchor_date(anchor: AutopayAnchor, expected: date) -> None:
    spec = ScheduleSpec(definition_id=1, kind=DefinitionKind.AUTOPAY, steps=steps(-3))
    inv = invoice(due=date(2026, 12, 30), discount_end_date=date(2026, 12, 10))
    ctx = EnrollmentContext(
        enrollment_id=7, anchor_date=date(2026, 10, 1), invoices=(inv,), autopay_anchor=anchor
    )
    assert [o.local_date for o in occurrences(spec, ctx, CAL, after=START, until=END)] == [expected]


def test_autopay_prefers_the_scheduled_payment_date_and_falls_back_to_due_without_a_discount() -> None:
    scheduled = invoice(due=date(2026, 12, 30), scheduled_payment_date=date(2026, 12, 20))
    assert scheduled.autopay_date(AutopayAnchor.INVOICE_DATE) == date(2026, 12, 20)
    assert invoice(due=date(2026, 12, 30)).autopay_date(AutopayAnchor.DISCOUNT_END) == date(2026, 12, 30)


# --- assignment kind -----------------------------------------------------------------------


def test_assignment_steps_count_from_the_enrollment_date_and_never_before_it() -> None:
    spec = ScheduleSpec(definition_id=3, kind=DefinitionKind.ASSIGNMENT, steps=steps(-2, 0, 3, 10))
    found = occurrences(spec, context(anchor=date(2026, 12, 1)), CAL, after=START, until=END)
    assert [o.local_date for o in found] == [date(2026, 12, 1), date(2026, 12, 4), date(2026, 12, 11)]
    assert {o.invoice_id for o in found} == {None}
    assert found[0].key == "7:101:-:2026-12-01"


# --- customer kind -------------------------------------------------------------------------


def test_monthly_last_friday_across_a_year() -> None:
    spec = customer_spec(Frequency(FrequencyPeriod.MONTHLY, weekday=4, week_of_month=-1))
    found = timeline(spec, context(anchor=date(2027, 1, 1)), CAL, after=START, limit=12)
    assert [o.local_date for o in found] == [
        date(2027, m, d)
        for m, d in zip(range(1, 13), [29, 26, 26, 30, 28, 25, 30, 27, 24, 29, 26, 31], strict=True)
    ]


def test_a_month_without_a_fifth_weekday_still_has_a_last_one() -> None:
    # February 2027 has four Fridays (5, 12, 19, 26): the last is the 4th.
    assert monthly_weekday(2027, 2, 4, -1) == date(2027, 2, 26)
    assert monthly_weekday(2027, 2, 4, 4) == date(2027, 2, 26)
    assert monthly_weekday(2027, 2, 4, 5) is None
    # January 2027 has five Fridays: the last (29th) is not the 4th (22nd).
    assert monthly_weekday(2027, 1, 4, -1) == date(2027, 1, 29)
    assert monthly_weekday(2027, 1, 4, 4) == date(2027, 1, 22)


@pytest.mark.parametrize("week", [1, 2, 3, 4, -1])
def test_every_month_of_a_decade_has_its_nth_and_last_weekday(week: int) -> None:
    for year, month, weekday in itertools.product(range(2025, 2035), range(1, 13), range(7)):
        found = monthly_weekday(year, month, weekday, week)
        assert found is not None and found.month == month and found.weekday() == weekday
        if week == -1:
            assert (found + timedelta(days=7)).month != month


def test_monthly_second_tuesday_starts_after_the_anchor() -> None:
    spec = customer_spec(Frequency(FrequencyPeriod.MONTHLY, weekday=1, week_of_month=2))
    found = timeline(spec, context(anchor=date(2026, 12, 9)), CAL, after=START, limit=3)
    assert [o.local_date for o in found] == [date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9)]


def test_weekly_statement_on_tuesdays_from_the_enrollment_on() -> None:
    spec = customer_spec(Frequency(FrequencyPeriod.WEEKLY, weekday=1))
    found = timeline(spec, context(anchor=date(2026, 11, 24)), CAL, after=START, limit=3)
    assert [o.local_date for o in found] == [date(2026, 11, 24), date(2026, 12, 1), date(2026, 12, 8)]
    assert [o.action for o in found] == [StepAction.STATEMENT_EMAIL] * 3


def test_biweekly_phase_comes_from_the_anchor_and_is_stable_whatever_the_start() -> None:
    spec = customer_spec(Frequency(FrequencyPeriod.BIWEEKLY, weekday=0))
    ctx = context(anchor=date(2026, 11, 25))  # a Wednesday: the series starts Monday 30 Nov
    first = timeline(spec, ctx, CAL, after=START, limit=10)
    assert first[0].local_date == date(2026, 11, 30)
    assert all((b.local_date - a.local_date).days == 14 for a, b in itertools.pairwise(first))
    for k in range(1, 7):
        for hours in (-30, -1, 0, 1, 200):
            later = timeline(spec, ctx, CAL, after=first[k].at + timedelta(hours=hours), limit=2)
            assert {o.key for o in later} <= {o.key for o in first}


def test_customer_statement_offsets_count_from_each_series_date() -> None:
    spec = customer_spec(Frequency(FrequencyPeriod.WEEKLY, weekday=0), 0, 2)
    found = timeline(spec, context(anchor=date(2026, 11, 30)), CAL, after=START, limit=4)
    assert [(o.local_date, o.step_position) for o in found] == [
        (date(2026, 11, 30), 0),
        (date(2026, 12, 2), 1),
        (date(2026, 12, 7), 0),
        (date(2026, 12, 9), 1),
    ]


# --- keys, order and validation ------------------------------------------------------------


def test_occurrence_keys_are_stable_business_keys() -> None:
    def build() -> list[Occurrence]:
        return occurrences(
            invoice_spec(0, 7), context(invoice(5, due=date(2026, 12, 1))), CAL, after=START, until=END
        )

    found = build()
    assert [o.key for o in found] == ["7:100:5:2026-12-01", "7:101:5:2026-12-08"]
    assert build() == found
    # Another send window or time moves the instant, never the key.
    moved = occurrences(
        invoice_spec(0, 7),
        context(invoice(5, due=date(2026, 12, 1))),
        OrgCalendar(send_time=time(9), send_window_minutes=60),
        after=START,
        until=END,
    )
    assert [o.key for o in moved] == [o.key for o in found]


def test_steps_are_kept_in_offset_then_position_order() -> None:
    spec = ScheduleSpec(
        definition_id=1,
        kind=DefinitionKind.INVOICE,
        steps=(
            StepSpec(id=3, position=2, offset_days=7, action=StepAction.NOTE),
            StepSpec(id=1, position=1, offset_days=0, action=StepAction.TASK),
            StepSpec(id=2, position=0, offset_days=0, action=StepAction.CUSTOMER_EMAIL),
        ),
    )
    assert [s.id for s in spec.steps] == [2, 1, 3]


def test_occurrences_order_by_instant_then_step_position_then_invoice() -> None:
    at = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)

    def occ(position: int, invoice_id: int | None) -> Occurrence:
        return Occurrence(
            at=at,
            local_date=date(2026, 12, 1),
            step_id=position,
            invoice_id=invoice_id,
            key=f"1:{position}:{invoice_id or '-'}:2026-12-01",
            step_position=position,
            action=StepAction.NOTE,
            nominal_date=date(2026, 12, 1),
        )

    shuffled = [occ(1, 10), occ(0, 9), occ(1, None), occ(0, 10)]
    assert [(o.step_position, o.invoice_id) for o in sorted(shuffled)] == [
        (0, 9),
        (0, 10),
        (1, None),
        (1, 10),
    ]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: OrgCalendar(time_zone="Mars/Olympus"), "time zone"),
        (lambda: OrgCalendar(send_window_minutes=-1), "send_window"),
        (lambda: ScheduleSpec(definition_id=1, kind=DefinitionKind.INVOICE, steps=steps(*range(101))), "100"),
        (lambda: ScheduleSpec(definition_id=1, kind=DefinitionKind.CUSTOMER, steps=steps(0)), "frequency"),
        (
            lambda: ScheduleSpec(definition_id=1, kind=DefinitionKind.INVOICE, steps=steps(0) + steps(3)),
            "unique",
        ),
        (lambda: StepSpec(id=1, position=0, offset_days=3651, action=StepAction.NOTE), "offset"),
        (lambda: StepSpec(id=1, position=0, offset_days=-3651, action=StepAction.NOTE), "offset"),
        (lambda: Frequency(FrequencyPeriod.MONTHLY, weekday=4), "week_of_month"),
        (lambda: Frequency(FrequencyPeriod.MONTHLY, weekday=4, week_of_month=5), "week_of_month"),
        (lambda: Frequency(FrequencyPeriod.WEEKLY, weekday=7), "weekday"),
        (lambda: Frequency(FrequencyPeriod.WEEKLY, weekday=1, week_of_month=2), "monthly"),
    ],
    ids=[
        "unknown_zone",
        "negative_window",
        "too_many_steps",
        "customer_without_frequency",
        "duplicate_step_ids",
        "offset_too_late",
        "offset_too_early",
        "monthly_without_week",
        "monthly_fifth_week",
        "weekday_out_of_range",
        "week_on_a_weekly_frequency",
    ],
)
def test_invalid_schedules_are_refused_with_a_clear_reason(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


def test_a_hundred_steps_and_ten_year_offsets_are_allowed() -> None:
    ScheduleSpec(definition_id=1, kind=DefinitionKind.INVOICE, steps=steps(*range(100)))
    StepSpec(id=1, position=0, offset_days=-3650, action=StepAction.NOTE)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        occurrences(invoice_spec(0), context(invoice()), CAL, after=datetime(2026, 1, 1), until=END)
