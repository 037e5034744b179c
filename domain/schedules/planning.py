"""Answers the engine asks: what is due now (with catch-up), what comes next, what follows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.enums import CatchUpPolicy
from domain.schedules.occurrences import last_occurrence_at, occurrences
from domain.schedules.org_calendar import OrgCalendar
from domain.schedules.specs import EnrollmentContext, Occurrence, ScheduleSpec

# An occurrence this close to "now" is on time (the timer fired and the worker took a moment),
# not a missed one for the catch-up policy.
ON_TIME_GRACE = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Plan:
    due: tuple[Occurrence, ...]
    missed: tuple[Occurrence, ...]
    next_at: datetime | None
    upcoming: tuple[Occurrence, ...]
    exhausted: bool
    continue_with_id: int | None


def plan_next(
    spec: ScheduleSpec,
    ctx: EnrollmentContext,
    cal: OrgCalendar,
    *,
    cursor: datetime,
    as_of: datetime,
    horizon_days: int = 800,
    grace: timedelta = ON_TIME_GRACE,
) -> Plan:
    """What to do at `as_of`, given that everything at or before `cursor` was handled.

    Occurrences in (as_of - grace, as_of] are due on time. Older ones since the cursor were
    missed (paused, enrolled late, worker down): with `skip` none is sent, with `latest` the
    occurrences of the most recent missed instant are sent once — never a burst.
    """
    window_start = min(cursor, as_of)
    past = occurrences(spec, ctx, cal, after=window_start, until=as_of)
    on_time = [o for o in past if o.at > as_of - grace]
    late = [o for o in past if o.at <= as_of - grace]
    caught_up: list[Occurrence] = []
    if late and spec.catch_up == CatchUpPolicy.LATEST and not on_time:
        latest_at = late[-1].at
        caught_up = [o for o in late if o.at == latest_at]
    missed = [o for o in late if o not in caught_up]

    upcoming: list[Occurrence] = []
    horizon = as_of
    step = timedelta(days=max(31, min(horizon_days, 400)))
    limit = as_of + timedelta(days=horizon_days)
    end = last_occurrence_at(spec, ctx, cal)
    while not upcoming and horizon < limit:
        upper = min(horizon + step, limit)
        upcoming = occurrences(spec, ctx, cal, after=horizon, until=upper)
        horizon = upper
        if end is not None and horizon >= end:
            break
    next_at = upcoming[0].at if upcoming else None
    upcoming = [o for o in upcoming if o.at == next_at]
    exhausted = end is not None and next_at is None
    return Plan(
        due=tuple(caught_up + on_time),
        missed=tuple(missed),
        next_at=next_at,
        upcoming=tuple(upcoming),
        exhausted=exhausted,
        continue_with_id=spec.continue_with_id if exhausted else None,
    )


def timeline(
    spec: ScheduleSpec, ctx: EnrollmentContext, cal: OrgCalendar, *, after: datetime, limit: int
) -> list[Occurrence]:
    """The next `limit` occurrences strictly after `after` (searching up to ten years ahead)."""
    if limit <= 0:
        return []
    found: list[Occurrence] = []
    start = after
    end = last_occurrence_at(spec, ctx, cal)
    stop = after + timedelta(days=3660)
    while len(found) < limit and start < stop:
        upper = start + timedelta(days=120)
        found.extend(occurrences(spec, ctx, cal, after=start, until=upper))
        start = upper
        if end is not None and start >= end:
            break
    return found[:limit]
