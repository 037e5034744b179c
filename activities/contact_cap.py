"""The contact-frequency cap as `prepare` applies it: a customer-facing message over the cap is
held back, and the outcome names the first allowed send time (the rule: `domain.contact_cap`)."""

from __future__ import annotations

from datetime import time

from sqlmodel.ext.asyncio.session import AsyncSession

from activities.contracts import PrepareInput, PrepareResult
from domain.contact_cap import cap_in_force, first_allowed_send, is_customer_facing, window_start
from domain.schedules import OrgCalendar, local_instant
from domain.wording import local_time
from models import Customer, OrganizationSettings
from models.base import require_id
from models.repository.contact_cap import customer_sends_since


async def held_back(
    session: AsyncSession,
    org: OrganizationSettings,
    customer: Customer,
    calendar: OrgCalendar,
    request: PrepareInput,
    enrollment_id: int,
    conditions: str = "",
) -> PrepareResult | None:
    """A `deferred` outcome when the customer has had its share of messages in the window.
    `calendar` is the one the customer's messages go by (its days, its send time)."""
    cap = cap_in_force(
        org.contact_cap_count, org.contact_cap_days, customer.contact_cap_count, customer.contact_cap_days
    )
    if cap is None:
        return None
    today = calendar.local_date_of(request.as_of)
    first_day = window_start(cap, today)
    since = local_instant(first_day, time(0), calendar.tz)
    sends = [
        d
        for d in await customer_sends_since(session, require_id(customer), since)
        if d.sent_at is not None and is_customer_facing(d.recipients)
    ]
    sent_days = [calendar.local_date_of(d.sent_at) for d in sends if d.sent_at is not None]
    until = first_allowed_send(cap, calendar, sent_days, request.as_of, spread_key=str(enrollment_id))
    if until is None:
        return None
    when = local_time(until, calendar.time_zone)
    reason = (
        f"deferred to {when} by the contact cap ({cap.words()}; "
        f"{len(sends)} sent since {first_day.strftime('%a %d %b')})"
    )
    return PrepareResult(
        outcome="deferred",
        reason=reason,
        conditions=conditions,
        deferred_until=until,
        details={
            "deferred_until": until.isoformat(),
            "deferred_until_local": when,
            "contact_cap": {"count": cap.count, "days": cap.days},
            "sent_in_window": [require_id(d) for d in sends],
        },
    )
