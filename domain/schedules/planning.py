"""Answers the engine asks: what is due now (with catch-up), what comes next, what follows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.enums import CatchUpPolicy, DefinitionKind
from domain.schedules.occurrences import FINITE_KINDS, candidates, occurrences, require_aware
from domain.schedules.org_calendar import OrgCalendar
from domain.schedules.specs import EnrollmentContext, Occurrence, ScheduleSpec

# An occurrence this close to "now" is on time (its timer fired and the worker took a moment),
# not a missed one for the catch-up policy.
ON_TIME_GRACE = timedelta(minutes=15)
# The longest gap between two dates of any frequency (a monthly "1st Monday" can be 35 days
# apart), with room for a business-day shift: a customer series always fires within it.
_LONGEST_SERIES_GAP = timedelta(days=35 + 31)
_SEARCH_WINDOW = timedelta(days=120)
# Invoice cadences look back this far on a fresh plan, so that "enrolled late" meets catch-up.
INVOICE_LOOKBACK = timedelta(days=400)


@dataclass(frozen=True, slots=True)
class Plan:
    """What the engine does at `as_of`.

    due: to perform now — the on-time occurrences, or with `latest` one caught-up instant.
    missed: passed since the cursor and not in `due` (recorded as skipped, never sent).
    next_at / upcoming: the earliest instant after `as_of` and every occurrence at it.
    exhausted: nothing after `as_of` will ever come from the current data.
    """

    due: tuple[Occurrence, ...]
    missed: tuple[Occurrence, ...]
    next_at: datetime | None
    upcoming: tuple[Occurrence, ...]
    exhausted: bool
    continue_with_id: int | None


def _catch_up(late: list[Occurrence], on_time: list[Occurrence], policy: CatchUpPolicy) -> list[Occurrence]:
    """The late occurrences to send anyway: at most one instant's worth, never a burst."""
    if policy != CatchUpPolicy.LATEST or not late or on_time:
        # An on-time occurrence is more recent than anything missed: it speaks for them.
        return []
    latest = late[-1].at
    return [o for o in late if o.at == latest]


def _series_origin(ctx: EnrollmentContext, cal: OrgCalendar, instant: datetime) -> datetime:
    """Where a customer series can first fire from `instant` on: it never starts before its anchor."""
    return max(instant, cal.fire_at(ctx.anchor_date))


def _series_reach(spec: ScheduleSpec) -> timedelta:
    """From its origin, a customer series always fires within this (the steps are non-empty)."""
    return _LONGEST_SERIES_GAP + timedelta(days=max(abs(s.offset_days) for s in spec.steps))


def _next_group(
    spec: ScheduleSpec, ctx: EnrollmentContext, cal: OrgCalendar, as_of: datetime, horizon: timedelta
) -> list[Occurrence]:
    """Every occurrence at the earliest instant after `as_of` (empty when none comes)."""
    if not spec.steps:
        return []
    if spec.kind in FINITE_KINDS:
        # A finite cadence is searched whole, so a step years away is still found.
        first = cal.local_date_of(as_of) - timedelta(days=1)
        ahead = [o for o in candidates(spec, ctx, cal, first=first) if o.at > as_of]
    else:
        limit = _series_origin(ctx, cal, as_of) + max(horizon, _series_reach(spec))
        ahead, start = [], as_of
        while not ahead and start < limit:
            end = min(start + _SEARCH_WINDOW, limit)
            ahead = occurrences(spec, ctx, cal, after=start, until=end)
            start = end
    if not ahead:
        return []
    next_at = min(o.at for o in ahead)
    return sorted(o for o in ahead if o.at == next_at)


def fell_due_while_held(
    spec: ScheduleSpec, ctx: EnrollmentContext, cal: OrgCalendar, *, cursor: datetime, as_of: datetime
) -> list[Occurrence]:
    """The occurrences of invoices back in the cadence since the cursor (a dispute rejected, a
    promise broken or cancelled) that fell while they were held, before the cursor: no plan saw
    them then, so they are missed now and meet the catch-up policy like any other (`latest`
    sends the most recent once; never a burst). Those after the cursor are planned as usual."""
    if spec.kind not in (DefinitionKind.INVOICE, DefinitionKind.AUTOPAY):
        return []
    found: list[Occurrence] = []
    for invoice in ctx.invoices:
        window = invoice.held_between
        if window is None or not invoice.in_cadence or invoice.paused:
            continue
        held_at, back_at = window
        if not cursor < back_at <= as_of or held_at >= cursor:
            continue
        alone = replace(ctx, invoices=(invoice,))
        found.extend(occurrences(spec, alone, cal, after=held_at, until=min(cursor, back_at)))
    return found


def is_exhausted(spec: ScheduleSpec, ctx: EnrollmentContext, cal: OrgCalendar, as_of: datetime) -> bool:
    """True when no occurrence after `as_of` will ever come from the current data.

    A customer series never ends. A paused invoice with steps ahead keeps an invoice cadence
    alive: it is resumed, not finished.
    """
    if not spec.steps:
        return True
    if spec.kind == DefinitionKind.CUSTOMER:
        return False
    first = cal.local_date_of(as_of) - timedelta(days=1)
    return not any(o.at > as_of for o in candidates(spec, ctx, cal, first=first, include_paused=True))


def fresh_cursor(kind: DefinitionKind, anchor_date: date, zone: ZoneInfo) -> datetime:
    """Where a plan starts when nothing was handled yet (a new enrollment, or a switch).

    Invoice-driven cadences look back, so reminders that fell before the enrollment meet the
    catch-up policy; date-driven ones start at the local midnight of their anchor day.
    """
    midnight = datetime.combine(anchor_date, time(0, 0), tzinfo=zone).astimezone(UTC)
    if kind in (DefinitionKind.INVOICE, DefinitionKind.AUTOPAY):
        return midnight - INVOICE_LOOKBACK
    return midnight - timedelta(seconds=1)


def plan_next(
    spec: ScheduleSpec,
    ctx: EnrollmentContext,
    cal: OrgCalendar,
    *,
    cursor: datetime,
    as_of: datetime,
    horizon_days: int = 800,
    grace: timedelta = ON_TIME_GRACE,
    fresh: bool = False,
) -> Plan:
    """What to do at `as_of`, given that every occurrence at or before `cursor` was handled.

    Occurrences in (as_of - grace, as_of] are due on time, whatever the catch-up policy: the
    engine wakes at `next_at` and plans with as_of == next_at (or a moment later). Older ones
    since the cursor, (cursor, as_of - grace], were missed (paused, enrolled late, worker down):
    with `skip` none is sent; with `latest` the occurrences of the most recent missed instant
    are sent once, and only if nothing is on time. Everything passed and not due is `missed`.

    `fresh` says nothing was handled yet (a new enrollment, or its first plan after a reassign
    or a switch): occurrences of today (the local date of `as_of`) that passed before this
    first plan were not missed while enrolled, so they are due now, whatever the policy. A
    customer enrolled at 16:00 gets its 09:00 step at once; steps of earlier days still meet
    the catch-up policy.

    `horizon_days` bounds the search for the next date of a customer series; it is widened to
    a full period plus the largest step offset, so `next_at` is None only when nothing comes.
    Invoice, autopay and assignment cadences are finite and searched whole.
    """
    require_aware(cursor, as_of)
    past = occurrences(spec, ctx, cal, after=cursor, until=as_of) if cursor < as_of else []
    past = sorted(past + fell_due_while_held(spec, ctx, cal, cursor=cursor, as_of=as_of))
    today = cal.local_date_of(as_of)

    def on_time_now(o: Occurrence) -> bool:
        return o.at > as_of - grace or (fresh and cal.local_date_of(o.at) == today)

    on_time = [o for o in past if on_time_now(o)]
    late = [o for o in past if not on_time_now(o)]
    caught_up = _catch_up(late, on_time, spec.catch_up)
    sent_late = {o.key for o in caught_up}
    upcoming = _next_group(spec, ctx, cal, as_of, timedelta(days=horizon_days))
    exhausted = is_exhausted(spec, ctx, cal, as_of)
    return Plan(
        due=tuple(caught_up + on_time),
        missed=tuple(o for o in late if o.key not in sent_late),
        next_at=upcoming[0].at if upcoming else None,
        upcoming=tuple(upcoming),
        exhausted=exhausted,
        continue_with_id=spec.continue_with_id if exhausted else None,
    )


def timeline(
    spec: ScheduleSpec, ctx: EnrollmentContext, cal: OrgCalendar, *, after: datetime, limit: int
) -> list[Occurrence]:
    """The next `limit` occurrences strictly after `after`, in firing order ("what comes next").

    Finite cadences are searched whole; a customer series window by window, up to as far as
    `limit` occurrences can possibly reach.
    """
    require_aware(after)
    if limit <= 0 or not spec.steps:
        return []
    if spec.kind in FINITE_KINDS:
        first = cal.local_date_of(after) - timedelta(days=1)
        return sorted(o for o in candidates(spec, ctx, cal, first=first) if o.at > after)[:limit]
    stop = _series_origin(ctx, cal, after) + _LONGEST_SERIES_GAP * limit + _series_reach(spec)
    found: list[Occurrence] = []
    start = after
    while len(found) < limit and start < stop:
        end = min(start + _SEARCH_WINDOW, stop)
        found.extend(occurrences(spec, ctx, cal, after=start, until=end))
        start = end
    return found[:limit]
