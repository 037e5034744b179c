"""Money and dates on the console's pages: amounts in their currency and the organization's locale
(`ARCADENCE_LOCALE`), instants in the organization's time zone with the zone shown."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from api.console.render import day, money, when
from domain.enums import Role
from models.settings import Settings
from tests.console.conftest import Console


def test_the_console_writes_an_instant_in_the_zone_with_the_zone_shown() -> None:
    winter = datetime(2026, 12, 4, 22, tzinfo=UTC)
    assert when(winter, "America/New_York") == "Dec 4, 2026, 5:00\u202fPM EST"
    assert when(datetime(2026, 7, 4, 22, tzinfo=UTC), "America/New_York") == "Jul 4, 2026, 6:00\u202fPM EDT"
    assert when(winter, "Europe/Berlin", "de_DE") == "04.12.2026, 23:00 MEZ"
    assert when(None, "America/New_York") == "—"


def test_the_console_writes_money_in_its_currency_and_the_locale() -> None:
    assert money(Decimal("2340.5"), "USD") == "$2,340.50"
    assert money(Decimal("2340.5"), "USD", "de_DE") == "2.340,50\xa0$"
    assert money(Decimal("1000"), "JPY") == "¥1,000"
    assert day(date(2026, 3, 2), "de_DE") == "02.03.2026" and day(date(2026, 3, 2)) == "Mar 2, 2026"


def test_an_unknown_locale_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="unknown locale"):
        Settings(locale="xx_NOWHERE")


async def test_the_customer_page_shows_money_and_dates_in_the_organizations_locale_and_zone(
    console: Console,
) -> None:
    customer = await console.api.customer()
    invoice = await console.api.invoice(total="2340.50", balance_due="2340.50")
    await console.api.ok("POST", f"/customers/{customer['id']}/pause", json={"reason": "Promise to pay"})
    browser = await console.sign_in(Role.SUPPORT)
    english = (await browser.get(f"/console/customers/{customer['id']}")).text
    assert "$2,340.50" in english
    assert day(date.fromisoformat(invoice["due_date"])) in english
    # Every instant carries the organization's zone (New York): the history's rows, for one.
    stamps = re.findall(r"<tr><td>([^<]+)</td><td>customer_paused", english)
    assert stamps and all(re.search(r"\d:\d\d\s[AP]M E[SD]T$", s) for s in stamps)
    settings = console.api.app.state.console_settings
    console.api.app.state.console_settings = settings.model_copy(update={"locale": "de_DE"})
    german = (await browser.get(f"/console/customers/{customer['id']}")).text
    assert "2.340,50\xa0$" in german and "$2,340.50" not in german
    assert day(date.fromisoformat(invoice["due_date"]), "de_DE") in german
