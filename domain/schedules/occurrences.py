"""Occurrences of a definition for one enrollment: which step fires for what, on which day, when."""

from __future__ import annotations

import calendar as stdlib_calendar
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from domain.enums import DefinitionKind, FrequencyPeriod
from domain.recipients import CUSTOMER_ACTIONS
from domain.schedules.org_calendar import MAX_NON_BUSINESS_RUN, OrgCalendar
from domain.schedules.specs import (
    EnrollmentContext,
    Frequency,
    InvoiceSpec,
    Occurrence,
    ScheduleSpec,
    StepSpec,
)

FINITE_KINDS = frozenset(
    {DefinitionKind.INVOICE, DefinitionKind.AUTOPAY, DefinitionKind.ASSIGNMENT, DefinitionKind.AUTOMATIONS}
)
# What a customer reads as a reminder: two of them for one invoice on one day are one too many.
REMINDER_ACTIONS = CUSTOMER_ACTIONS


def occurrence_key(enrollment_id: int, step_id: int, invoice_id: int | None, local_date: date) -> str:
    """Business key of an occurrence: names its history entry and deliveries, never a run id."""
    invoice = "-" if invoice_id is None else str(invoice_id)
    return f"{enrollment_id}:{step_id}:{invoice}:{local_date.isoformat()}"


def monthly_weekday(year: int, month: int, weekday: int, week_of_month: int) -> date | None:
    """The 1st-4th (or last, -1) given weekday (0=Monday) of a month; None if it does not exist."""
    days_in_month = stdlib_calendar.monthrange(year, month)[1]
    if week_of_month == -1:
        last = date(year, month, days_in_month)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    if week_of_month < 1:
        return None
    first = date(year, month, 1)
    day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (week_of_month - 1))
    return day if day.month == month else None


def frequency_dates(frequency: Frequency, anchor: date, start: date, end: date) -> Iterator[date]:
    """Dates of the series on or after `anchor`, within [start, end], in order."""
    start = max(start, anchor)
    if frequency.period == FrequencyPeriod.MONTHLY:
        assert frequency.week_of_month is not None
        year, month = start.year, start.month
        while date(year, month, 1) <= end:
            found = monthly_weekday(year, month, frequency.weekday, frequency.week_of_month)
            if found is not None and start <= found <= end:
                yield found
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return
    # The series begins on the first matching weekday on/after the anchor and keeps that phase
    # forever, so a bi-weekly series recomputed from any instant gives the same dates.
    stride = 7 if frequency.period == FrequencyPeriod.WEEKLY else 14
    day = anchor + timedelta(days=(frequency.weekday - anchor.weekday()) % 7)
    if start > day:
        day += timedelta(days=stride * -(-(start - day).days // stride))
    while day <= end:
        yield day
        day += timedelta(days=stride)


def _invoice_anchor(spec: ScheduleSpec, ctx: EnrollmentContext, invoice: InvoiceSpec) -> date:
    if spec.kind == DefinitionKind.INVOICE:
        return invoice.due_date
    return invoice.autopay_date(ctx.autopay_anchor)


def _anchors(
    spec: ScheduleSpec,
    ctx: EnrollmentContext,
    cal: OrgCalendar,
    first: date | None,
    last: date | None,
    include_paused: bool,
) -> Iterator[tuple[date, int | None]]:
    """(anchor date, invoice id) pairs whose occurrences may fall on a local date in [first, last]."""
    if spec.kind == DefinitionKind.ASSIGNMENT:
        yield ctx.anchor_date, None
    elif spec.kind == DefinitionKind.CUSTOMER:
        assert spec.frequency is not None
        if first is None or last is None:
            raise ValueError("a customer-kind series is infinite: it needs a bounded window")
        offsets = [s.offset_days for s in spec.steps]
        # A series date d fires on d + offset, moved forward by at most a run of non-business days.
        low = first - timedelta(days=max(offsets) + (MAX_NON_BUSINESS_RUN if cal.business_days_only else 0))
        high = last - timedelta(days=min(offsets))
        for day in frequency_dates(spec.frequency, ctx.anchor_date, low, high):
            yield day, None
    else:
        for invoice in ctx.invoices:
            if (invoice.in_cadence and not invoice.paused) or (include_paused and invoice.set_aside):
                yield _invoice_anchor(spec, ctx, invoice), invoice.id


def merged_steps(
    steps: tuple[StepSpec, ...], anchor: date, cal: OrgCalendar
) -> tuple[list[tuple[StepSpec, date, date]], dict[int, tuple[int, ...]]]:
    """The steps of one anchor (one invoice, or one date of a series) with their nominal and
    business-day dates, minus the reminders merged away; and, per surviving step id, the
    positions of the earlier reminders merged into it.

    Two reminders whose nominal dates differ but that the shift puts on the same local day are
    one reminder: the later step (by offset, then position) is performed, the earlier ones are
    merged into it. Steps meant for the same day (same offset) are left alone, and so is every
    action that is not a reminder (a task, a note, an internal notification).
    """
    dated = [(s, anchor + timedelta(days=s.offset_days)) for s in steps]
    dated_local = [(s, nominal, cal.to_business_day(nominal)) for s, nominal in dated]
    by_day: dict[date, list[tuple[StepSpec, date]]] = {}
    for step, nominal, local in dated_local:
        if step.action in REMINDER_ACTIONS:
            by_day.setdefault(local, []).append((step, nominal))
    dropped: set[int] = set()
    merged: dict[int, tuple[int, ...]] = {}
    for group in by_day.values():
        survivor, survivor_nominal = group[-1]  # steps come ordered by (offset, position)
        earlier = [s for s, nominal in group[:-1] if nominal != survivor_nominal]
        if earlier:
            dropped.update(s.id for s in earlier)
            merged[survivor.id] = tuple(s.position for s in earlier)
    kept = [(s, nominal, local) for s, nominal, local in dated_local if s.id not in dropped]
    return kept, merged


def candidates(
    spec: ScheduleSpec,
    ctx: EnrollmentContext,
    cal: OrgCalendar,
    *,
    first: date | None = None,
    last: date | None = None,
    include_paused: bool = False,
) -> Iterator[Occurrence]:
    """Every occurrence whose local date lies in [first, last] (None: unbounded), unordered.

    `include_paused` also yields the occurrences of invoices set aside (paused, or held by a
    dispute, a hold or a promise): they are not sent, but they show that the cadence still has
    work ahead once the invoice is resumed or back in collection.
    """
    if not spec.steps or spec.kind == DefinitionKind.AUTOMATIONS:
        return  # an automations-only workflow has no steps: only its automations fire
    fire_times: dict[date, datetime] = {}
    spread_key = str(ctx.enrollment_id)
    date_driven = spec.kind in (DefinitionKind.ASSIGNMENT, DefinitionKind.CUSTOMER)
    for anchor, invoice_id in _anchors(spec, ctx, cal, first, last, include_paused):
        kept, merged = merged_steps(spec.steps, anchor, cal)
        for step, nominal, local in kept:
            if last is not None and nominal > last:
                continue
            if (first is not None and local < first) or (last is not None and local > last):
                continue
            if date_driven and local < ctx.anchor_date:
                # Date-driven cadences start at enrollment; invoice reminders that fell before
                # it are real (past) occurrences and meet the catch-up policy instead.
                continue
            at = fire_times.get(local)
            if at is None:
                at = fire_times[local] = cal.fire_at(local, spread_key=spread_key)
            yield Occurrence(
                at=at,
                step_position=step.position,
                key=occurrence_key(ctx.enrollment_id, step.id, invoice_id, local),
                local_date=local,
                step_id=step.id,
                invoice_id=invoice_id,
                action=step.action,
                nominal_date=nominal,
                merged_positions=merged.get(step.id, ()),
            )


def require_aware(*instants: datetime) -> None:
    if any(i.tzinfo is None or i.utcoffset() is None for i in instants):
        raise ValueError("instants must be timezone-aware")


def occurrences(
    spec: ScheduleSpec,
    ctx: EnrollmentContext,
    cal: OrgCalendar,
    *,
    after: datetime,
    until: datetime,
) -> list[Occurrence]:
    """Every occurrence with after < at <= until, sorted by (at, step position, invoice id).

    Invoice and autopay kinds: each in-cadence, non-paused invoice's due date (or auto-pay
    date) + each step's offset. Assignment: the enrollment's anchor date + offset. Customer:
    each date of the frequency on/after the anchor date + offset. With business-days-only the
    date moves forward to the next business day; date-driven kinds never fire before the anchor.
    """
    require_aware(after, until)
    if until <= after:
        return []
    # The send time, a DST gap or the send window can push an instant past local midnight,
    # never before it: an occurrence's local date is at most one day before its instant's.
    first = cal.local_date_of(after) - timedelta(days=1)
    last = cal.local_date_of(until)
    found = [o for o in candidates(spec, ctx, cal, first=first, last=last) if after < o.at <= until]
    found.sort()
    return found


def merge_description(occurrence: Occurrence) -> str:
    """ "Step 2 merged into step 3: both fell on Mon 07 Dec 2026 after the business-day shift"."""
    earlier = " and ".join(f"step {p + 1}" for p in occurrence.merged_positions)
    both = "both" if len(occurrence.merged_positions) == 1 else "all"
    day = occurrence.local_date.strftime("%a %d %b %Y")
    return (
        f"{earlier[0].upper()}{earlier[1:]} merged into step {occurrence.step_position + 1}: "
        f"{both} fell on {day} after the business-day shift (weekends and holidays)"
    )
