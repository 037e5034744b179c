"""Properties of schedules that hold for any zone, send time, offsets and instant — DST days included."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.enums import CatchUpPolicy, DefinitionKind, FrequencyPeriod, StepAction
from domain.schedules import (
    ON_TIME_GRACE,
    EnrollmentContext,
    Frequency,
    OrgCalendar,
    ScheduleSpec,
    StepSpec,
    occurrences,
    plan_next,
    timeline,
)
from tests.domain.conftest import invoice

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",  # 30-minute DST
    "Asia/Kolkata",  # no DST, half-hour offset
    "Pacific/Auckland",  # southern hemisphere
    "America/Sao_Paulo",  # DST abolished in 2019
]
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WINDOW = timedelta(days=120)


@cache
def transitions(name: str) -> tuple[datetime, ...]:
    """Local wall times just before each UTC-offset change of `name` in 2025-2029."""
    tz = ZoneInfo(name)
    found = []
    day = datetime(2025, 1, 1, tzinfo=UTC)
    while day.year < 2030:
        nxt = day + timedelta(days=1)
        if day.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            low, high = day, nxt
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                low, high = (
                    (mid, high)
                    if mid.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset()
                    else (low, mid)
                )
            found.append(low.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0))
        day = nxt
    return tuple(found)


@st.composite
def local_instants(draw: st.DrawFn, name: str | None = None) -> datetime:
    """Aware instants read from local wall times, often within 90 minutes of a DST change.

    Includes fold=1 (the repeated hour) and wall times inside a spring-forward gap.
    """
    name = name or draw(st.sampled_from(ZONES))
    changes = transitions(name)
    if changes and draw(st.booleans()):
        wall = draw(st.sampled_from(changes)) + timedelta(minutes=draw(st.integers(-90, 90)))
    else:
        wall = draw(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2029, 6, 30)))
    return wall.replace(tzinfo=ZoneInfo(name), fold=draw(st.integers(0, 1))).astimezone(UTC)


# Send times include the hours that DST skips or repeats in these zones (00:00-03:30).
send_times = st.one_of(
    st.builds(time, st.integers(0, 3), st.sampled_from([0, 15, 29, 30, 45, 59]), fold=st.integers(0, 1)),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)


def calendars(*, window: bool = True, business: bool | None = None) -> st.SearchStrategy[OrgCalendar]:
    return st.builds(
        OrgCalendar,
        time_zone=st.sampled_from(ZONES),
        send_time=send_times,
        business_days_only=st.booleans() if business is None else st.just(business),
        holiday_country=st.sampled_from([None, "US", "GB", "NZ", "IN"]),
        send_window_minutes=st.sampled_from([0, 0, 30, 720]) if window else st.just(0),
    )


days = st.one_of(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 6, 30)),
    st.sampled_from(transitions("America/New_York") + transitions("Pacific/Auckland")).map(
        lambda w: w.date()
    ),
)


@st.composite
def schedules(draw: st.DrawFn) -> tuple[ScheduleSpec, EnrollmentContext]:
    kind = draw(st.sampled_from(list(DefinitionKind)))
    offsets = draw(st.lists(st.integers(-30, 60), min_size=1, max_size=6))
    steps = tuple(
        StepSpec(id=10 + i, position=draw(st.integers(0, 8)), offset_days=o, action=StepAction.CUSTOMER_EMAIL)
        for i, o in enumerate(offsets)
    )
    frequency = None
    if kind == DefinitionKind.CUSTOMER:
        period = draw(st.sampled_from(list(FrequencyPeriod)))
        week = draw(st.sampled_from([1, 2, 3, 4, -1])) if period == FrequencyPeriod.MONTHLY else None
        frequency = Frequency(period, weekday=draw(st.integers(0, 6)), week_of_month=week)
    count = draw(st.integers(0, 4))
    invoices = tuple(
        invoice(i, due=draw(days), paused=i == 3 and draw(st.booleans())) for i in range(1, count + 1)
    )
    spec = ScheduleSpec(
        definition_id=1,
        kind=kind,
        steps=steps,
        frequency=frequency,
        catch_up=draw(st.sampled_from(list(CatchUpPolicy))),
        continue_with_id=draw(st.sampled_from([None, 77])),
    )
    return spec, EnrollmentContext(enrollment_id=9, anchor_date=draw(days), invoices=invoices)


@PROPERTY
@given(schedules(), calendars(), local_instants())
def test_occurrences_come_in_strictly_increasing_order_with_unique_keys(
    schedule: tuple[ScheduleSpec, EnrollmentContext], cal: OrgCalendar, start: datetime
) -> None:
    spec, ctx = schedule
    found = occurrences(spec, ctx, cal, after=start, until=start + WINDOW)
    assert all(a < b for a, b in itertools.pairwise(found))
    assert all(a.at <= b.at for a, b in itertools.pairwise(found))
    ranks = [(o.at, o.step_position, -1 if o.invoice_id is None else o.invoice_id) for o in found]
    assert ranks == sorted(ranks)
    assert len({o.key for o in found}) == len(found)
    assert all(start < o.at <= start + WINDOW and o.at.utcoffset() == timedelta(0) for o in found)


@PROPERTY
@given(schedules(), calendars(window=False), local_instants())
def test_each_occurrence_fires_at_the_send_time_or_just_after_a_dst_gap(
    schedule: tuple[ScheduleSpec, EnrollmentContext], cal: OrgCalendar, start: datetime
) -> None:
    spec, ctx = schedule
    for o in occurrences(spec, ctx, cal, after=start, until=start + WINDOW):
        wall = o.at.astimezone(cal.tz)
        naive = datetime.combine(o.local_date, cal.send_time.replace(fold=0))
        first, second = (naive.replace(tzinfo=cal.tz, fold=f).utcoffset() for f in (0, 1))
        assert first is not None and second is not None
        in_gap = naive.replace(tzinfo=cal.tz).astimezone(UTC).astimezone(cal.tz).replace(tzinfo=None) != naive
        if in_gap:
            assert wall.replace(tzinfo=None) == naive + abs(second - first)
        else:
            assert wall.replace(tzinfo=None) == naive
            assert wall.fold == 0  # an ambiguous send time takes its first occurrence
            assert wall.utcoffset() == first


@PROPERTY
@given(schedules(), calendars(business=True), local_instants())
def test_no_occurrence_on_a_non_business_day_when_the_flag_is_set(
    schedule: tuple[ScheduleSpec, EnrollmentContext], cal: OrgCalendar, start: datetime
) -> None:
    spec, ctx = schedule
    for o in occurrences(spec, ctx, cal, after=start, until=start + WINDOW):
        assert cal.is_business_day(o.local_date)
        assert o.nominal_date <= o.local_date
        between = [o.nominal_date + timedelta(days=d) for d in range((o.local_date - o.nominal_date).days)]
        assert not any(cal.is_business_day(d) for d in between)


@PROPERTY
@given(schedules(), calendars(business=False), local_instants())
def test_without_the_flag_every_occurrence_keeps_its_nominal_date_and_date_driven_ones_start_at_the_anchor(
    schedule: tuple[ScheduleSpec, EnrollmentContext], cal: OrgCalendar, start: datetime
) -> None:
    spec, ctx = schedule
    for o in occurrences(spec, ctx, cal, after=start, until=start + WINDOW):
        assert o.local_date == o.nominal_date
        if spec.kind in (DefinitionKind.ASSIGNMENT, DefinitionKind.CUSTOMER):
            assert o.local_date >= ctx.anchor_date


@PROPERTY
@given(schedules(), calendars(), local_instants(), st.integers(1, 100 * 24 * 60))
def test_recomputing_from_any_later_instant_gives_the_same_future(
    schedule: tuple[ScheduleSpec, EnrollmentContext], cal: OrgCalendar, start: datetime, minutes: int
) -> None:
    spec, ctx = schedule
    end = start + WINDOW
    later = start + timedelta(minutes=minutes)
    everything = occurrences(spec, ctx, cal, after=start, until=end)
    assert occurrences(spec, ctx, cal, after=later, until=end) == [o for o in everything if o.at > later]
    assert (
        occurrences(spec, ctx, cal, after=start, until=later)
        + occurrences(spec, ctx, cal, after=later, until=end)
        == everything
    )


@PROPERTY
@given(schedules(), calendars(), local_instants(), st.integers(0, 60 * 24 * 60))
def test_plan_next_never_bursts_and_accounts_for_every_passed_occurrence(
    schedule: tuple[ScheduleSpec, EnrollmentContext], cal: OrgCalendar, cursor: datetime, minutes: int
) -> None:
    spec, ctx = schedule
    as_of = cursor + timedelta(minutes=minutes)
    plan = plan_next(spec, ctx, cal, cursor=cursor, as_of=as_of, horizon_days=120)
    late_due = [o for o in plan.due if o.at <= as_of - ON_TIME_GRACE]
    assert len({o.at for o in late_due}) <= 1
    if spec.catch_up == CatchUpPolicy.SKIP:
        assert late_due == []
    assert sorted(plan.due + plan.missed) == occurrences(spec, ctx, cal, after=cursor, until=as_of)
    assert all(o.at <= as_of - ON_TIME_GRACE for o in plan.missed)
    ahead = occurrences(spec, ctx, cal, after=as_of, until=as_of + WINDOW)
    if ahead:
        assert plan.next_at == ahead[0].at
        assert list(plan.upcoming) == [o for o in ahead if o.at == plan.next_at]
    assert plan.next_at is None or plan.next_at > as_of
    if spec.kind == DefinitionKind.CUSTOMER:
        assert not plan.exhausted and plan.next_at is not None
    if plan.exhausted:
        assert plan.next_at is None and plan.continue_with_id == spec.continue_with_id
    else:
        assert plan.continue_with_id is None


@PROPERTY
@given(schedules(), calendars(), local_instants(), st.integers(1, 12))
def test_timeline_is_the_start_of_the_future(
    schedule: tuple[ScheduleSpec, EnrollmentContext], cal: OrgCalendar, after: datetime, limit: int
) -> None:
    spec, ctx = schedule
    found = timeline(spec, ctx, cal, after=after, limit=limit)
    # Finite cadences are searched whole; a customer series has `limit` dates well within 800
    # days of its start.
    until = max(after, cal.fire_at(ctx.anchor_date)) + timedelta(days=800)
    if spec.kind != DefinitionKind.CUSTOMER:
        until = datetime(2032, 1, 1, tzinfo=UTC)
    assert found == occurrences(spec, ctx, cal, after=after, until=until)[:limit]


@PROPERTY
@given(
    st.sampled_from([z for z in ZONES if transitions(z)]).flatmap(
        lambda name: st.tuples(st.just(name), st.sampled_from(transitions(name)), st.integers(-1, 1))
    ),
    send_times,
)
def test_fire_at_on_dst_days_keeps_the_wall_time_or_moves_forward_by_the_gap(
    day_in_zone: tuple[str, datetime, int], send_time: time
) -> None:
    name, change, shift = day_in_zone
    cal = OrgCalendar(time_zone=name, send_time=send_time)
    day = change.date() + timedelta(days=shift)
    fired = cal.fire_at(day)
    wall = fired.astimezone(cal.tz).replace(tzinfo=None)
    naive = datetime.combine(day, send_time.replace(fold=0))
    # Every UTC instant that reads as `naive` in the zone: none in a gap, two in a repeated hour.
    readings = [
        naive.replace(tzinfo=cal.tz, fold=f).astimezone(UTC)
        for f in (0, 1)
        if naive.replace(tzinfo=cal.tz, fold=f).astimezone(UTC).astimezone(cal.tz).replace(tzinfo=None)
        == naive
    ]
    if readings:
        assert fired == min(readings)
    else:
        offsets = [naive.replace(tzinfo=cal.tz, fold=f).utcoffset() for f in (0, 1)]
        assert offsets[0] is not None and offsets[1] is not None
        assert wall == naive + abs(offsets[1] - offsets[0])
        assert wall > naive
