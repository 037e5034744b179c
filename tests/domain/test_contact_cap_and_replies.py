"""The contact cap's rule (whole days of the organization's calendar, the first allowed send
time) and the reply rules (tokens only we can make, the sender's address, HTML kept as text)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from domain.contact_cap import (
    ContactCap,
    cap_in_force,
    first_allowed_day,
    first_allowed_send,
    is_customer_facing,
)
from domain.replies import (
    delivery_named_in,
    html_as_text,
    is_automatic,
    is_reply_pause,
    message_id,
    pause_reason,
    sender_address,
)
from domain.schedules import OrgCalendar

MONDAY = date(2026, 12, 7)
SECRET = "a" * 64


def test_a_customer_capped_at_one_a_week_hears_again_on_the_same_weekday_whatever_the_second() -> None:
    cap = ContactCap(count=1, days=7)
    assert first_allowed_day(cap, [], MONDAY) is None
    assert first_allowed_day(cap, [MONDAY], MONDAY) == date(2026, 12, 14)
    assert first_allowed_day(cap, [MONDAY], date(2026, 12, 13)) == date(2026, 12, 14)
    assert first_allowed_day(cap, [MONDAY], date(2026, 12, 14)) is None
    # Two a fortnight: room again once the older of the last two has left the window.
    pair = ContactCap(count=2, days=14)
    assert first_allowed_day(pair, [MONDAY], date(2026, 12, 9)) is None
    assert first_allowed_day(pair, [MONDAY, date(2026, 12, 9)], date(2026, 12, 10)) == date(2026, 12, 21)


def test_the_first_allowed_send_is_the_send_time_on_a_business_day_in_the_organizations_zone() -> None:
    calendar = OrgCalendar(time_zone="America/New_York", send_time=time(14, 30), business_days_only=True)
    saturday = date(2026, 12, 5)
    at = first_allowed_send(
        ContactCap(count=1, days=7), calendar, [saturday], datetime(2026, 12, 8, 20, tzinfo=UTC)
    )
    assert at == datetime(2026, 12, 14, 19, 30, tzinfo=UTC)  # Sat + 7 = Sat -> Monday 14:30 EST


def test_the_customers_own_cap_overrides_the_organizations_and_bad_caps_are_refused() -> None:
    assert cap_in_force(None, 7, None, None) is None
    assert cap_in_force(3, 7, None, None) == ContactCap(count=3, days=7)
    assert cap_in_force(3, 7, 1, None) == ContactCap(count=1, days=7)
    assert cap_in_force(None, 7, 2, 30) == ContactCap(count=2, days=30)
    for count, days in ((0, 7), (101, 7), (1, 0), (1, 367)):
        with pytest.raises(ValueError):
            ContactCap(count=count, days=days)


def test_only_messages_to_the_customer_count_not_the_teams() -> None:
    assert is_customer_facing([{"address": "ap@globex.example", "source": "contact:3"}])
    assert is_customer_facing([{"address": "x@y.example", "source": "user:1"}, {"source": "email"}])
    assert not is_customer_facing([{"address": "sam@acme.example", "source": "user:1"}])


def test_a_reply_token_names_its_delivery_and_a_forged_one_names_nothing() -> None:
    ours = message_id(SECRET, 42, "ar@acme.example")
    assert ours.endswith("@acme.example>") and ours.startswith("<arcadence.42.")
    assert delivery_named_in(SECRET, ["", f"<other@mail.example> {ours}"]) == 42
    assert delivery_named_in("b" * 64, [ours]) is None
    assert delivery_named_in(SECRET, [ours.replace(".42.", ".43.")]) is None
    assert delivery_named_in(SECRET, [f"ar+{ours[1:-1].split('@')[0]}@acme.example"]) == 42


def test_the_sender_the_pause_words_automatic_answers_and_html_as_text() -> None:
    assert sender_address("Jane Doe <AP@Globex.example>") == "ap@globex.example"
    assert sender_address("not an address") == ""
    assert is_reply_pause(pause_reason(7, "ap@globex.example")) and not is_reply_pause("Promise to pay")
    assert is_automatic("auto-replied", None) and is_automatic(None, "yes") and not is_automatic("no", None)
    text = html_as_text(
        "<html><head><style>p{}</style></head><p>Paid&nbsp;<b>Friday</b></p><script>x()</script>"
    )
    assert text == "Paid\xa0Friday"
