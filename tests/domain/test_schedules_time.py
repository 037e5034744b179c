"""Schedules and the clock: DST in the org zone, the send window, weekends and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.schedules import OrgCalendar, local_instant, occurrences
from tests.domain.conftest import context, invoice, invoice_spec

NY = ZoneInfo("America/New_York")
CAL = OrgCalendar()
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2028, 12, 31, tzinfo=UTC)


# --- DST -----------------------------------------------------------------------------------


def test_us_spring_forward_week_keeps_half_past_two_local_and_moves_utc() -> None:
    # 2026-03-08: clocks jump 02:00 EST -> 03:00 EDT.
    fired = [CAL.fire_at(date(2026, 3, d)) for d in range(5, 12)]
    assert all(f.astimezone(NY).time() == time(14, 30) for f in fired)
    offsets = [f.astimezone(NY).utcoffset() for f in fired]
    assert offsets == [timedelta(hours=-5)] * 3 + [timedelta(hours=-4)] * 4
    assert fired[2] == datetime(2026, 3, 7, 19, 30, tzinfo=UTC)
    assert fired[3] == datetime(2026, 3, 8, 18, 30, tzinfo=UTC)
    assert fired[3] - fired[2] == timedelta(hours=23)


def test_us_fall_back_week_keeps_half_past_two_local_and_moves_utc() -> None:
    # 2026-11-01: clocks fall back 02:00 EDT -> 01:00 EST.
    fired = [CAL.fire_at(date(2026, 10, 29) + timedelta(days=d)) for d in range(7)]
    assert all(f.astimezone(NY).time() == time(14, 30) for f in fired)
    offsets = [f.astimezone(NY).utcoffset() for f in fired]
    assert offsets == [timedelta(hours=-4)] * 3 + [timedelta(hours=-5)] * 4
    assert fired[2] == datetime(2026, 10, 31, 18, 30, tzinfo=UTC)
    assert fired[3] == datetime(2026, 11, 1, 19, 30, tzinfo=UTC)
    assert fired[3] - fired[2] == timedelta(hours=25)


def test_send_time_inside_the_spring_forward_gap_moves_forward_by_the_gap() -> None:
    fired = OrgCalendar(send_time=time(2, 30)).fire_at(date(2026, 3, 8))
    assert fired == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert fired.astimezone(NY).time() == time(3, 30)
    assert fired.astimezone(NY).utcoffset() == timedelta(hours=-4)


def test_send_time_in_the_gap_is_unshifted_the_days_around_it() -> None:
    cal = OrgCalendar(send_time=time(2, 30))
    assert cal.fire_at(date(2026, 3, 7)).astimezone(NY).time() == time(2, 30)
    assert cal.fire_at(date(2026, 3, 9)).astimezone(NY).time() == time(2, 30)


def test_ambiguous_send_time_at_fall_back_takes_the_first_daylight_one() -> None:
    fired = OrgCalendar(send_time=time(1, 30)).fire_at(date(2026, 11, 1))
    assert fired == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert fired.astimezone(NY).utcoffset() == timedelta(hours=-4)


def test_a_send_time_carrying_fold_one_is_still_read_as_the_first() -> None:
    cal = OrgCalendar(send_time=time(1, 30, fold=1))
    assert cal.fire_at(date(2026, 11, 1)) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_half_hour_dst_of_lord_howe_moves_a_gap_time_by_thirty_minutes() -> None:
    zone = ZoneInfo("Australia/Lord_Howe")
    fired = local_instant(date(2026, 10, 4), time(2, 15), zone).astimezone(zone)
    assert (fired.hour, fired.minute) == (2, 45)


def test_invoice_reminders_across_the_us_dst_changes_stay_at_half_past_two() -> None:
    spec = invoice_spec(-7, 0, 7)
    for due in (date(2026, 3, 8), date(2026, 11, 1)):
        found = occurrences(spec, context(invoice(due=due)), CAL, after=START, until=END)
        assert [o.at.astimezone(NY).time() for o in found] == [time(14, 30)] * 3


# --- send window ---------------------------------------------------------------------------


def test_send_window_spreads_enrollments_deterministically_within_it() -> None:
    cal = OrgCalendar(send_window_minutes=30)
    base = CAL.fire_at(date(2026, 12, 1))
    spread = [cal.fire_at(date(2026, 12, 1), spread_key=str(i)) for i in range(300)]
    assert all(base <= t < base + timedelta(minutes=30) for t in spread)
    assert len(set(spread)) > 200
    assert max(spread) - min(spread) > timedelta(minutes=25)
    assert spread == [cal.fire_at(date(2026, 12, 1), spread_key=str(i)) for i in range(300)]


def test_send_window_gives_an_enrollment_the_same_offset_every_day() -> None:
    cal = OrgCalendar(send_window_minutes=60)
    offsets = {cal.fire_at(date(2026, 6, d), "42") - CAL.fire_at(date(2026, 6, d)) for d in range(1, 29)}
    assert len(offsets) == 1


def test_send_window_is_a_stable_hash_not_the_process_salted_one() -> None:
    # sha256 of "7" read as a big-endian integer, modulo the window in seconds: fixed forever.
    fired = OrgCalendar(send_window_minutes=30).fire_at(date(2026, 12, 1), spread_key="7")
    assert fired - CAL.fire_at(date(2026, 12, 1)) == timedelta(seconds=830)


def test_occurrences_of_one_enrollment_share_its_spread() -> None:
    cal = OrgCalendar(send_window_minutes=45)
    found = occurrences(invoice_spec(0, 7), context(invoice()), cal, after=START, until=END)
    assert {o.at - CAL.fire_at(o.local_date) for o in found} == {
        cal.fire_at(date(2026, 12, 1), "7") - CAL.fire_at(date(2026, 12, 1))
    }


# --- business days -------------------------------------------------------------------------

BUSINESS = OrgCalendar(business_days_only=True, holiday_country="US")


@pytest.mark.parametrize(
    ("nominal", "expected"),
    [
        (date(2026, 12, 25), date(2026, 12, 28)),  # Christmas, a Friday
        (date(2026, 12, 26), date(2026, 12, 28)),  # Saturday
        (date(2026, 12, 31), date(2026, 12, 31)),  # Thursday, a business day
        (date(2027, 1, 1), date(2027, 1, 4)),  # New Year's Day, a Friday
        (date(2027, 1, 2), date(2027, 1, 4)),  # Saturday
        (date(2027, 12, 31), date(2028, 1, 3)),  # New Year's Day 2028 (Sat) observed on Friday
        (date(2026, 7, 3), date(2026, 7, 6)),  # Independence Day (Sat) observed on Friday
    ],
)
def test_weekends_and_us_holidays_move_to_the_next_business_day(nominal: date, expected: date) -> None:
    assert BUSINESS.to_business_day(nominal) == expected


def test_weekends_move_even_without_a_holiday_country() -> None:
    cal = OrgCalendar(business_days_only=True)
    assert cal.to_business_day(date(2027, 1, 1)) == date(2027, 1, 1)
    assert cal.to_business_day(date(2027, 1, 2)) == date(2027, 1, 4)


def test_business_days_and_holidays_apply_only_when_the_flag_is_set() -> None:
    assert OrgCalendar(holiday_country="US").to_business_day(date(2027, 1, 1)) == date(2027, 1, 1)
    assert OrgCalendar().to_business_day(date(2027, 1, 2)) == date(2027, 1, 2)


def test_reminders_over_new_year_land_on_business_days_with_the_nominal_date_kept() -> None:
    found = occurrences(
        invoice_spec(-1, 0, 1, 2), context(invoice(due=date(2027, 1, 1))), BUSINESS, after=START, until=END
    )
    # Three reminders shifted onto Mon 4 Jan are one: the last of them, the others merged into it.
    assert [(o.nominal_date, o.local_date) for o in found] == [
        (date(2026, 12, 31), date(2026, 12, 31)),
        (date(2027, 1, 3), date(2027, 1, 4)),
    ]
    assert found[1].key == "7:103:1:2027-01-04"
    assert found[1].merged_positions == (1, 2)
    assert all(o.at.astimezone(NY).time() == time(14, 30) for o in found)


def test_an_unknown_holiday_country_is_refused() -> None:
    with pytest.raises(ValueError, match="holiday country"):
        OrgCalendar(business_days_only=True, holiday_country="XX")


def test_local_date_of_reads_the_org_zone() -> None:
    # 03:00 UTC on Jan 1 is still New Year's Eve in New York.
    assert CAL.local_date_of(datetime(2027, 1, 1, 3, tzinfo=UTC)) == date(2026, 12, 31)
    with pytest.raises(ValueError, match="aware"):
        CAL.local_date_of(datetime(2027, 1, 1, 3))
