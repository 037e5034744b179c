"""The customer's calendar: its own zone (or its primary contact's), its country's holidays,
the organization's send time and business-days rule, DST-correct."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from domain.schedules import OrgCalendar, customer_calendar, customer_zone
from domain.wording import local_times

ORG = OrgCalendar(
    time_zone="America/New_York", send_time=time(14, 30), business_days_only=True, holiday_country="US"
)


def test_the_customers_own_zone_wins_then_its_primary_contacts_then_the_organizations() -> None:
    assert customer_zone("Asia/Tokyo", ["Europe/London"]) == "Asia/Tokyo"
    assert customer_zone(None, [None, "Europe/London", "Asia/Tokyo"]) == "Europe/London"
    assert customer_zone(None, []) is None
    assert customer_calendar(ORG, None, None) is ORG  # nothing of its own: the organization's calendar


def test_london_hears_at_1430_london_time_on_both_sides_of_its_dst_change() -> None:
    london = customer_calendar(ORG, "Europe/London")
    # Friday before the clocks go forward (28 March 2027), and the Monday after.
    assert london.fire_at(date(2027, 3, 26)) == datetime(2027, 3, 26, 14, 30, tzinfo=UTC)
    assert london.fire_at(date(2027, 3, 29)) == datetime(2027, 3, 29, 13, 30, tzinfo=UTC)
    # The organization's send time and business-days rule still apply: a Saturday moves to Monday.
    assert london.to_business_day(date(2027, 3, 27)) == date(2027, 3, 29)


def test_tokyo_and_new_york_send_at_their_own_1430_on_the_same_date() -> None:
    tokyo = customer_calendar(ORG, "Asia/Tokyo")
    assert tokyo.fire_at(date(2026, 12, 8)) == datetime(2026, 12, 8, 5, 30, tzinfo=UTC)
    assert ORG.fire_at(date(2026, 12, 8)) == datetime(2026, 12, 8, 19, 30, tzinfo=UTC)
    # The local date of an instant is the customer's: 20:00 in New York is already tomorrow in Tokyo.
    evening = datetime(2026, 12, 8, 20, 0, tzinfo=ZoneInfo("America/New_York"))
    assert tokyo.local_date_of(evening) == date(2026, 12, 9) and ORG.local_date_of(evening) == date(
        2026, 12, 8
    )


def test_business_days_follow_the_customers_country_when_it_has_one() -> None:
    japan = customer_calendar(ORG, "Asia/Tokyo", "JP")
    coming_of_age_day, mlk_day = date(2027, 1, 11), date(2027, 1, 18)
    assert japan.to_business_day(coming_of_age_day) == date(2027, 1, 12)  # a Japanese holiday moves
    assert ORG.to_business_day(coming_of_age_day) == coming_of_age_day
    assert japan.to_business_day(mlk_day) == mlk_day  # a US holiday does not, for a Japanese customer
    assert ORG.to_business_day(mlk_day) == date(2027, 1, 19)
    # A country without a zone keeps the organization's zone.
    assert customer_calendar(ORG, None, "JP").time_zone == "America/New_York"


def test_both_local_times_are_named_when_the_zones_differ() -> None:
    instant = datetime(2026, 12, 8, 5, 30, tzinfo=UTC)
    assert local_times(instant, "Asia/Tokyo", "America/New_York") == (
        "Tue 08 Dec 2026 14:30 JST (Tue 08 Dec 2026 00:30 EST, organization time)"
    )
    assert local_times(instant, "America/New_York", "America/New_York") == "Tue 08 Dec 2026 00:30 EST"
