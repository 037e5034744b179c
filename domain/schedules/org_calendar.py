"""The organization's calendar: its zone, send time, business days and optional send window."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

MAX_SEND_WINDOW_MINUTES = 720
# No country closes for this long; reaching it means the calendar data is broken.
MAX_NON_BUSINESS_RUN = 60


@lru_cache(maxsize=512)
def _holiday_dates(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; ValueError when it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc


def local_instant(local_date: date, at: time, tz: ZoneInfo) -> datetime:
    """`at` on `local_date` in `tz`, as an aware UTC instant, DST-correct.

    A wall time inside a spring-forward gap does not exist: it moves forward by the gap
    (02:30 becomes 03:30 EDT). An ambiguous wall time at fall-back takes its first
    occurrence (still daylight time).
    """
    # PEP 495: with fold=0 zoneinfo reads a gap time with the offset from before the
    # transition, which lands after the gap, and an ambiguous time as its first occurrence —
    # both exactly the rules above.
    wall = datetime.combine(local_date, at.replace(tzinfo=None, fold=0), tzinfo=tz)
    return wall.astimezone(UTC)


def spread_offset(spread_key: str, window_minutes: int) -> timedelta:
    """A stable offset in [0, window) for `spread_key`: the same on every worker and every run."""
    if window_minutes <= 0 or not spread_key:
        return timedelta(0)
    # sha256, not hash(): str hashes are salted per process and would move sends on each replay.
    digest = hashlib.sha256(spread_key.encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:8], "big") % (window_minutes * 60))


@dataclass(frozen=True, slots=True)
class OrgCalendar:
    """When the organization sends: a local send time in its zone, optionally on business days only."""

    time_zone: str = "America/New_York"
    send_time: time = time(14, 30)
    business_days_only: bool = False
    holiday_country: str | None = None
    send_window_minutes: int = 0

    def __post_init__(self) -> None:
        zone(self.time_zone)
        if self.send_time.tzinfo is not None:
            raise ValueError("send_time is a wall time in time_zone; it must not carry its own tzinfo")
        if not 0 <= self.send_window_minutes <= MAX_SEND_WINDOW_MINUTES:
            raise ValueError(f"send_window_minutes must be between 0 and {MAX_SEND_WINDOW_MINUTES}")
        if self.holiday_country is not None:
            try:
                _holiday_dates(self.holiday_country, 2024)
            except (NotImplementedError, KeyError) as exc:
                raise ValueError(f"unknown holiday country {self.holiday_country!r}") from exc

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.time_zone)

    def is_business_day(self, d: date) -> bool:
        """Monday to Friday and not a holiday of `holiday_country` (whatever the flag says)."""
        if d.weekday() >= 5:
            return False
        return self.holiday_country is None or d not in _holiday_dates(self.holiday_country, d.year)

    def to_business_day(self, d: date) -> date:
        """The date itself, or with business-days-only the next business day on or after it."""
        if not self.business_days_only:
            return d
        for shift in range(MAX_NON_BUSINESS_RUN):
            candidate = d + timedelta(days=shift)
            if self.is_business_day(candidate):
                return candidate
        raise ValueError(f"no business day within {MAX_NON_BUSINESS_RUN} days of {d.isoformat()}")

    def fire_at(self, local_date: date, spread_key: str = "") -> datetime:
        """The instant (UTC) an occurrence on `local_date` fires: the send time, plus its spread."""
        return local_instant(local_date, self.send_time, self.tz) + spread_offset(
            spread_key, self.send_window_minutes
        )

    def local_date_of(self, instant: datetime) -> date:
        """The calendar date in the organization's zone at `instant` (which must be aware)."""
        if instant.tzinfo is None:
            raise ValueError("instant must be timezone-aware")
        return instant.astimezone(self.tz).date()


def customer_zone(own: str | None, primary_contact_zones: Iterable[str | None] = ()) -> str | None:
    """The zone a customer lives in: its own, else its first primary contact's that has one, else
    None (the organization's)."""
    if own:
        return own
    return next((z for z in primary_contact_zones if z), None)


def customer_calendar(
    org: OrgCalendar, time_zone: str | None = None, holiday_country: str | None = None
) -> OrgCalendar:
    """The calendar a customer's messages follow: the organization's send time, send window and
    business-days rule, in the customer's own zone and with its country's holidays when it has
    them (each falls back to the organization's)."""
    if not time_zone and not holiday_country:
        return org
    return replace(
        org,
        time_zone=time_zone or org.time_zone,
        holiday_country=holiday_country or org.holiday_country,
    )
