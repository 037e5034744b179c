"""The contact-frequency cap: at most N customer-facing messages per customer in any D days.

Counted in whole days of the customer's calendar (its own zone, else its primary contact's,
else the organization's): a cap of 1 per 7 days lets a customer written to on a Monday hear from
us again on the next Monday, at the send time, whatever the second the first message left at.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from domain.schedules import OrgCalendar

MAX_CAP_COUNT = 100
MAX_CAP_DAYS = 366
DEFAULT_CAP_DAYS = 7
# A delivery whose every recipient is one of the team's users told the team, not the customer.
TEAM_SOURCE_PREFIX = "user:"


@dataclass(frozen=True, slots=True)
class ContactCap:
    count: int
    days: int

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_CAP_COUNT:
            raise ValueError(f"a contact cap allows 1 to {MAX_CAP_COUNT} messages")
        if not 1 <= self.days <= MAX_CAP_DAYS:
            raise ValueError(f"a contact cap's period is 1 to {MAX_CAP_DAYS} days")

    def words(self) -> str:
        messages = "message" if self.count == 1 else "messages"
        days = "day" if self.days == 1 else "days"
        return f"at most {self.count} {messages} in {self.days} {days}"


def cap_in_force(
    org_count: int | None, org_days: int, customer_count: int | None, customer_days: int | None
) -> ContactCap | None:
    """The customer's own cap where it sets one, else the organization's (None: no cap)."""
    count = customer_count if customer_count is not None else org_count
    if count is None:
        return None
    return ContactCap(count=count, days=customer_days if customer_days is not None else org_days)


def is_customer_facing(recipients: Iterable[Mapping[str, Any]]) -> bool:
    """Whether a delivery wrote to the customer (a contact, a contact role, an extra address)."""
    return any(not str(r.get("source", "")).startswith(TEAM_SOURCE_PREFIX) for r in recipients)


def window_start(cap: ContactCap, today: date) -> date:
    """The first day of the window that ends today (both included)."""
    return today - timedelta(days=cap.days - 1)


def first_allowed_day(cap: ContactCap, sent_days: Sequence[date], today: date) -> date | None:
    """None when a message may go today; else the first day the window has room again.

    `sent_days`: the local days of the customer-facing messages already sent in the window.
    """
    recent = sorted((d for d in sent_days if window_start(cap, today) <= d <= today), reverse=True)
    if len(recent) < cap.count:
        return None
    # The window has room once the cap-th most recent message has left it.
    return recent[cap.count - 1] + timedelta(days=cap.days)


def first_allowed_send(
    cap: ContactCap, calendar: OrgCalendar, sent_days: Sequence[date], as_of: datetime, spread_key: str = ""
) -> datetime | None:
    """None when a message may go now; else the send time, in the customer's calendar, on the
    first day the window allows (a business day when the calendar wants one)."""
    day = first_allowed_day(cap, sent_days, calendar.local_date_of(as_of))
    if day is None:
        return None
    return calendar.fire_at(calendar.to_business_day(day), spread_key)
