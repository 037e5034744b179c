"""Properties of schedules that must hold for any zone, send time, offsets and instant."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.enums import CatchUpPolicy, DefinitionKind, FrequencyPeriod, StepAction
from domain.schedules import (
    EnrollmentContext,
    Frequency,
    OrgCalendar,
    ScheduleSpec,
    StepSpec,
    occurrences,
    plan_next,
)
from tests.domain.conftest import invoice

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "America/Sao_Paulo",
]
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Send times include the hours that DST skips or repeats in these zones (00:00-03:00).
send_times = st.one_of(
    st.times(min_value=time(0, 0), max_value=time(3, 0)).map(lambda t: t.replace(second=0, microsecond=0)),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)
calendars = st.builds(
    OrgCalendar,
    time_zone=st.sampled_from(ZONES),
    send_time=send_times,
    business_days_only=st.booleans(),
    holiday_country=st.sampled_from([None, "US", "GB", "NZ"]),
)
offsets = st.lists(st.integers(min_value=-30, max_value=60), min_size=1, max_size=6, unique=True)
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31))


@st.composite
def local_instants(draw: st.DrawFn) -> datetime:
    """Local wall times, including fold=1 and times inside a spring-forward gap."""
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    naive = draw(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2029, 12, 31)))
    return naive.replace(tzinfo=zone, fold=draw(st.integers(0, 1))).astimezone(UTC)


@st.composite
def schedules(draw: st.DrawFn) -> tuple[ScheduleSpec, EnrollmentContext]:
    kind = draw(st.sampled_from(list(DefinitionKind)))
    step_offsets = draw(offsets)
    if kind in (DefinitionKind.ASSIGNMENT, DefinitionKind.CUSTOMER):
        step_offsets = [abs(o) for o in step_offsets]
    steps = tuple(
        StepSpec(id=10 + i, position=i, offset_days=o, action=StepAction.CUSTOMER_EMAIL)
        for i, o in enumerate(step_offsets)
    )
    frequency = None
    if kind == DefinitionKind.CUSTOMER:
        period = draw(st.sampled_from(list(FrequencyPeriod)))
        week = draw(st.sampled_from([1, 2, 3, 4, -1])) if period == FrequencyPeriod.MONTHLY else None
        frequency = Frequency(period, weekday=draw(st.integers(0, 6)), week_of_month=week)
    invoices = tuple(
        invoice(i, due=draw(days), paused=draw(st.booleans()) and i == 3)
        for i in range(1, draw(st.integers(0, 4)) + 1)
    )
    spec = ScheduleSpec(
        definition_id=1,
        kind=kind,
        steps=steps,
        frequency=frequency,
        catch_up=draw(st.sampled_from(list(CatchUpPolicy))),
    )
    return spec, EnrollmentContext(enrollment_id=9, anchor_date=draw(days), invoices=invoices)


@PROPERTY
@given(schedules(), calendars, local_instants())
def test_occurrences_strictly_increase_with_unique_keys(
    schedule: tuple[ScheduleSpec, EnrollmentContext], cal: OrgCalendar, start: datetime
) -> None:
    spec, ctx = schedule
    found = occurrences(spec, ctx, cal, after=start, until=start + timedelta(days=120))
    assert found == sorted(found)
    assert all(a.at <= b.at for a, b in itertools.pairwise(found))
    assert len({o.key for o in found}) == len(found)


@PROPERTY
@given(schedules(), calendars, local_instants())
def test_each_occurrence_fires_at_the_send_time_in_local_time(
    schedule: tuple[ScheduleSpec, EnrollmentContext], cal: OrgCalendar, start: datetime
) -> None:
    spec, ctx = schedule
    for o in occurrences(spec, ctx, cal, after=start, until=start + timedelta(days=120)):
        wall = o.at.astimezone(cal.tz)
        assert wall.date() == o.local_date
        exact = wall.time().replace(tzinfo=None) == cal.send_time
        # Only a send time that does not exist that day (DST gap) may move, and only forward.
        shifted = (
            datetime.combine(o.local_date, cal.send_time, tzinfo=cal.tz).astimezone(UTC).astimezone(cal.tz)
        )
        assert exact or (
            shifted.replace(tzinfo=None) != datetime.combine(o.local_date, cal.send_time)
            and wall.time() > cal.send_time
        )


@PROPERTY
@given(schedules(), calendars.filter(lambda c: c.business_days_only), local_instants())
def test_no_occurrence_on_a_non_business_day_when_the_flag_is_set(
    schedule: tuple[ScheduleSpec, EnrollmentContext], cal: OrgCalendar, start: datetime
) -> None:
    spec, ctx = schedule
    for o in occurrences(spec, ctx, cal, after=start, until=start + timedelta(days=120)):
        assert cal.is_business_day(o.local_date)


@PROPERTY
@given(schedules(), calendars, local_instants(), st.integers(min_value=1, max_value=90 * 24))
def test_recomputing_from_a_later_instant_gives_the_same_future(
    schedule: tuple[ScheduleSpec, EnrollmentContext], cal: OrgCalendar, start: datetime, hours: int
) -> None:
    spec, ctx = schedule
    end = start + timedelta(days=120)
    later = start + timedelta(hours=hours)
    everything = occurrences(spec, ctx, cal, after=start, until=end)
    assert occurrences(spec, ctx, cal, after=later, until=end) == [o for o in everything if o.at > later]


@PROPERTY
@given(schedules(), calendars, local_instants(), st.integers(min_value=0, max_value=60 * 24))
def test_catch_up_never_bursts(
    schedule: tuple[ScheduleSpec, EnrollmentContext], cal: OrgCalendar, cursor: datetime, hours: int
) -> None:
    spec, ctx = schedule
    as_of = cursor + timedelta(hours=hours)
    plan = plan_next(spec, ctx, cal, cursor=cursor, as_of=as_of, horizon_days=120)
    late = [o for o in plan.due if o.at <= as_of - timedelta(minutes=15)]
    assert len({o.at for o in late}) <= 1
    if spec.catch_up == CatchUpPolicy.SKIP:
        assert late == []
    assert set(plan.due).isdisjoint(plan.missed)
    assert plan.next_at is None or plan.next_at > as_of
