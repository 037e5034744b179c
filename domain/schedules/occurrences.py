"""Occurrences of a definition for one enrollment, in a window of time."""

from __future__ import annotations

import calendar as stdlib_calendar
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from domain.enums import DefinitionKind, FrequencyPeriod
from domain.schedules.org_calendar import OrgCalendar
from domain.schedules.specs import EnrollmentContext, Frequency, Occurrence, ScheduleSpec, StepSpec


def occurrence_key(enrollment_id: int, step_id: int, invoice_id: int | None, local_date: date) -> str:
    """Business key of an occurrence: names its history entry and deliveries, never a run id."""
    invoice = "-" if invoice_id is None else str(invoice_id)
    return f"{enrollment_id}:{step_id}:{invoice}:{local_date.isoformat()}"


def monthly_weekday(year: int, month: int, weekday: int, week_of_month: int) -> date | None:
    """The 1st-4th (or last, -1) given weekday of a month; None if it does not exist."""
    days_in_month = stdlib_calendar.monthrange(year, month)[1]
    if week_of_month == -1:
        last = date(year, month, days_in_month)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (week_of_month - 1))
    return day if day.month == month else None


def frequency_dates(frequency: Frequency, anchor: date, start: date, end: date) -> Iterator[date]:
    """Dates of the series on or after the anchor, within [start, end]."""
    start = max(start, anchor)
    if frequency.period in (FrequencyPeriod.WEEKLY, FrequencyPeriod.BIWEEKLY):
        # The series begins on the first matching weekday on/after the anchor; bi-weekly keeps
        # that phase forever, so recomputing from any instant gives the same dates.
        first = anchor + timedelta(days=(frequency.weekday - anchor.weekday()) % 7)
        stride = 7 if frequency.period == FrequencyPeriod.WEEKLY else 14
        if start > first:
            skipped = (start - first).days // stride
            first += timedelta(days=stride * skipped)
        day = first
        while day <= end:
            if day >= start:
                yield day
            day += timedelta(days=stride)
        return
    assert frequency.week_of_month is not None
    year, month = start.year, start.month
    while date(year, month, 1) <= end:
        found = monthly_weekday(year, month, frequency.weekday, frequency.week_of_month)
        if found is not None and start <= found <= end:
            yield found
        month += 1
        if month == 13:
            year, month = year + 1, 1


def _anchors(
    spec: ScheduleSpec, ctx: EnrollmentContext, first: date, last: date
) -> Iterator[tuple[date, int | None]]:
    """(anchor date, invoice id) pairs whose occurrences may fall in [first, last]."""
    if spec.kind == DefinitionKind.ASSIGNMENT:
        yield ctx.anchor_date, None
    elif spec.kind == DefinitionKind.CUSTOMER:
        assert spec.frequency is not None
        for day in frequency_dates(spec.frequency, ctx.anchor_date, first, last):
            yield day, None
    else:
        for invoice in ctx.invoices:
            if not invoice.in_cadence or invoice.paused:
                continue
            anchor = (
                invoice.due_date
                if spec.kind == DefinitionKind.INVOICE
                else invoice.autopay_date(ctx.autopay_anchor)
            )
            yield anchor, invoice.id


def _occurrence(
    spec: ScheduleSpec,
    ctx: EnrollmentContext,
    cal: OrgCalendar,
    step: StepSpec,
    anchor: date,
    invoice_id: int | None,
) -> Occurrence:
    nominal = anchor + timedelta(days=step.offset_days)
    local = cal.to_business_day(nominal)
    return Occurrence(
        at=cal.fire_at(local, spread_key=str(ctx.enrollment_id)),
        step_position=step.position,
        invoice_sort=invoice_id if invoice_id is not None else -1,
        key=occurrence_key(ctx.enrollment_id, step.id, invoice_id, local),
        local_date=local,
        step_id=step.id,
        invoice_id=invoice_id,
        action=step.action,
        nominal_date=nominal,
    )


def occurrences(
    spec: ScheduleSpec,
    ctx: EnrollmentContext,
    cal: OrgCalendar,
    *,
    after: datetime,
    until: datetime,
) -> list[Occurrence]:
    """Every occurrence with after < at <= until, in firing order."""
    if after.tzinfo is None or until.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    if until <= after or not spec.steps:
        return []
    offsets = [s.offset_days for s in spec.steps]
    # Widen the local-date window by the step offsets, a business-day shift and a zone margin.
    first = cal.local_date_of(after) - timedelta(days=max(offsets) + 2)
    last = cal.local_date_of(until) - timedelta(days=min(offsets) - 15)
    if spec.kind == DefinitionKind.CUSTOMER:
        first = cal.local_date_of(after) - timedelta(days=max(offsets) + 16)
        last = cal.local_date_of(until) - timedelta(days=min(offsets)) + timedelta(days=2)
    found: list[Occurrence] = []
    for anchor, invoice_id in _anchors(spec, ctx, first, last):
        for step in spec.steps:
            occ = _occurrence(spec, ctx, cal, step, anchor, invoice_id)
            if (
                spec.kind in (DefinitionKind.ASSIGNMENT, DefinitionKind.CUSTOMER)
                and occ.local_date < ctx.anchor_date
            ):
                continue
            if after < occ.at <= until:
                found.append(occ)
    found.sort()
    return found


def last_occurrence_at(spec: ScheduleSpec, ctx: EnrollmentContext, cal: OrgCalendar) -> datetime | None:
    """The latest instant any occurrence can have; None for a series without end (customer)."""
    if spec.kind == DefinitionKind.CUSTOMER:
        return None
    if not spec.steps:
        return datetime.min.replace(tzinfo=cal.tz)
    latest: datetime | None = None
    for anchor, invoice_id in _anchors(spec, ctx, date.min, date.max):
        for step in spec.steps:
            at = _occurrence(spec, ctx, cal, step, anchor, invoice_id).at
            latest = at if latest is None or at > latest else latest
    return latest
