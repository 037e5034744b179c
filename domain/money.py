"""Money as Decimal with ISO 4217 currencies: rounding to minor units and formatting."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision, list_currencies

_KNOWN = frozenset(list_currencies())


def check_currency(code: str) -> str:
    if len(code) != 3 or not code.isalpha() or not code.isupper() or code not in _KNOWN:
        raise ValueError(f"unknown ISO 4217 currency code {code!r}")
    return code


def quantize(amount: Decimal, currency: str) -> Decimal:
    """The amount rounded (half up) to the currency's minor unit: 2 for USD, 0 for JPY."""
    places = get_currency_precision(check_currency(currency))
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_amount(amount: Decimal, currency: str) -> str:
    """'1,000.00 USD': grouped, the currency's decimals, the code after; for explanations."""
    value = quantize(amount, currency)
    places = get_currency_precision(currency)
    return f"{value:,.{places}f} {currency}"


def format_money(amount: Decimal, currency: str, locale: str = "en_US") -> str:
    """Localised money for customer-facing text, e.g. '$1,000.00' or '1.000,00 €'."""
    return str(format_currency(quantize(amount, currency), check_currency(currency), locale=locale))
