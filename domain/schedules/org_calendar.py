"""The organization's calendar: its zone, send time, business days and optional send window."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays


@lru_cache(maxsize=256)
def _holiday_dates(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc


def local_instant(local_date: date, at: time, tz: ZoneInfo) -> datetime:
    """`at` on `local_date` in `tz`, as an aware UTC instant, DST-correct.

    A wall time inside a spring-forward gap does not exist: it moves forward by the gap
    (02:30 becomes 03:30 EDT). An ambiguous wall time at fall-back takes its first
    occurrence (fold=0, still daylight time).
    """
    naive = datetime.combine(local_date, at.replace(tzinfo=None, fold=0))
    candidate = naive.replace(tzinfo=tz)
    instant = candidate.astimezone(UTC)
    round_trip = instant.astimezone(tz).replace(tzinfo=None)
    if round_trip != naive:
        # Non-existent local time: zoneinfo resolved it with the pre-gap offset, which
        # lands *after* the gap in UTC terms; that is the "move forward" rule.
        before = naive.replace(tzinfo=tz, fold=0).utcoffset()
        after = naive.replace(tzinfo=tz, fold=1).utcoffset()
        assert before is not None and after is not None
        instant = (naive - min(before, after)).replace(tzinfo=UTC)
    return instant


@dataclass(frozen=True, slots=True)
class OrgCalendar:
    time_zone: str = "America/New_York"
    send_time: time = time(14, 30)
    business_days_only: bool = False
    holiday_country: str | None = None
    send_window_minutes: int = 0

    def __post_init__(self) -> None:
        zone(self.time_zone)
        if not 0 <= self.send_window_minutes <= 720:
            raise ValueError("send_window_minutes must be between 0 and 720")
        if self.holiday_country is not None:
            try:
                _holiday_dates(self.holiday_country, 2026)
            except (NotImplementedError, KeyError) as exc:
                raise ValueError(f"unknown holiday country {self.holiday_country!r}") from exc

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.time_zone)

    def is_business_day(self, d: date) -> bool:
        if d.weekday() >= 5:
            return False
        if self.holiday_country is None:
            return True
        return d not in _holiday_dates(self.holiday_country, d.year)

    def to_business_day(self, d: date) -> date:
        """The date itself, or with business-days-only the next business day on or after it."""
        if not self.business_days_only:
            return d
        while not self.is_business_day(d):
            d += timedelta(days=1)
        return d

    def fire_at(self, local_date: date, spread_key: str = "") -> datetime:
        """The instant (UTC) an occurrence on `local_date` fires: the send time, plus a spread."""
        instant = local_instant(local_date, self.send_time, self.tz)
        if self.send_window_minutes > 0 and spread_key:
            digest = hashlib.sha256(spread_key.encode()).digest()
            seconds = int.from_bytes(digest[:8], "big") % (self.send_window_minutes * 60)
            instant += timedelta(seconds=seconds)
        return instant

    def local_date_of(self, instant: datetime) -> date:
        if instant.tzinfo is None:
            raise ValueError("instant must be timezone-aware")
        return instant.astimezone(self.tz).date()
