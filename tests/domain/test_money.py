"""Money is Decimal rounded to the currency's minor unit, shown the customer's way or as '1,000.00 USD'."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.money import check_currency, check_locale, format_amount, format_money, minor_units, quantize


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1234.565", "USD", "1234.57"),
        ("1234.5", "JPY", "1235"),
        ("0.0005", "KWD", "0.001"),
        ("-10.005", "EUR", "-10.01"),
    ],
)
def test_amounts_round_half_up_to_the_currency_minor_unit(amount: str, currency: str, expected: str) -> None:
    assert str(quantize(Decimal(amount), currency)) == expected


def test_minor_units_follow_iso_4217() -> None:
    assert (minor_units("USD"), minor_units("JPY"), minor_units("KWD")) == (2, 0, 3)


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1234.5", "USD", "en_US", "$1,234.50"),
        ("1234.5", "USD", "de_DE", "1.234,50\xa0$"),
        ("1234.5", "EUR", "en_US", "€1,234.50"),
        ("1234.5", "EUR", "de_DE", "1.234,50\xa0€"),
        ("1234.5", "JPY", "en_US", "¥1,235"),
        ("1234.5", "JPY", "de_DE", "1.235\xa0¥"),
    ],
)
def test_money_is_formatted_for_the_customer_currency_and_locale(
    amount: str, currency: str, locale: str, expected: str
) -> None:
    assert format_money(Decimal(amount), currency, locale) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1000", "USD", "1,000.00 USD"),
        ("2340.5", "USD", "2,340.50 USD"),
        ("150000", "JPY", "150,000 JPY"),
        ("-1234567.891", "EUR", "-1,234,567.89 EUR"),
        ("0", "KWD", "0.000 KWD"),
    ],
)
def test_explanations_show_amounts_with_grouping_decimals_and_the_code(
    amount: str, currency: str, expected: str
) -> None:
    assert format_amount(Decimal(amount), currency) == expected


FULL_WIDTH_USD = "\uff35\uff33\uff24"


@pytest.mark.parametrize("code", ["usd", "US", "USDX", "XYZ", "", "€", FULL_WIDTH_USD])
def test_unknown_currency_codes_are_refused(code: str) -> None:
    with pytest.raises(ValueError, match="currency code"):
        check_currency(code)
    with pytest.raises(ValueError):
        format_amount(Decimal(1), code)


def test_known_codes_pass_through_unchanged() -> None:
    assert check_currency("CHF") == "CHF"


def test_unknown_locales_and_impossible_amounts_are_refused() -> None:
    assert check_locale("de_DE") == "de_DE"
    with pytest.raises(ValueError, match="locale"):
        format_money(Decimal(1), "USD", "xx_YY")
    with pytest.raises(ValueError, match="finite"):
        quantize(Decimal("NaN"), "USD")
    with pytest.raises(ValueError, match="too large"):
        quantize(Decimal("1e40"), "USD")


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False, places=4),
    st.sampled_from(["USD", "EUR", "JPY", "GBP", "KWD", "CLP", "CHF"]),
)
def test_format_amount_round_trips_the_quantized_value(amount: Decimal, currency: str) -> None:
    shown = format_amount(amount, currency)
    number, code = shown.rsplit(" ", 1)
    assert code == currency
    assert Decimal(number.replace(",", "")) == quantize(amount, currency)
    assert abs(quantize(amount, currency) - amount) <= Decimal(1).scaleb(-minor_units(currency)) / 2
