"""Money as Decimal with ISO 4217 currencies: rounding to minor units and formatting."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, list_currencies

_KNOWN = frozenset(list_currencies())


def check_currency(code: str) -> str:
    """The code itself when it is an ISO 4217 code babel knows (three capitals), else ValueError."""
    if not isinstance(code, str) or len(code) != 3 or not code.isascii() or not code.isupper():
        raise ValueError(f"unknown ISO 4217 currency code {code!r}: expected three capital letters")
    if code not in _KNOWN:
        raise ValueError(f"unknown ISO 4217 currency code {code!r}")
    return code


def check_locale(locale: str) -> str:
    """The locale itself when babel knows it ('en_US', 'de_DE', 'fr'), else ValueError."""
    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(f"unknown locale {locale!r}") from None
    return locale


def minor_units(currency: str) -> int:
    """Decimal places of the currency's minor unit: 2 for USD, 0 for JPY, 3 for KWD."""
    return int(get_currency_precision(check_currency(currency)))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """The amount rounded (half up, as invoices are) to the currency's minor unit."""
    if not amount.is_finite():
        raise ValueError(f"amount {amount} is not a finite number")
    try:
        return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"amount {amount} is too large to represent in {currency}") from None


def format_amount(amount: Decimal, currency: str) -> str:
    """'1,000.00 USD': grouped, the currency's decimals, the code after; for explanations and logs."""
    value = quantize(amount, currency)
    return f"{value:,.{minor_units(currency)}f} {currency}"


def format_money(amount: Decimal, currency: str, locale: str = "en_US") -> str:
    """Localised money for customer-facing text, e.g. '$1,000.00' or '1.000,00 €'."""
    value = quantize(amount, currency)
    return str(format_currency(value, currency, locale=check_locale(locale)))
