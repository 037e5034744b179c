"""The console's templates, and its one formatting helper: the Jinja filters every template writes
money and dates with. Money is in its own currency, dates and instants as the organization reads
them: in its locale (`Settings.locale`) and, for instants, in its time zone with the zone shown."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from domain.money import format_money

HERE = Path(__file__).resolve().parent
# The locale when no request names the organization's (a template rendered outside a request).
DEFAULT_LOCALE = "en_US"
NOTHING = "—"
# The console's own wording (labels, country names) is English whatever the locale.
CONSOLE_LOCALE = "en_US"

templates = Jinja2Templates(directory=HERE / "templates")


def money(amount: Decimal | None, currency: str, locale: str = DEFAULT_LOCALE) -> str:
    """'$2,340.50' (en_US), '2.340,50 $' (de_DE): the amount in its currency, in the locale."""
    if amount is None:
        return NOTHING
    return format_money(amount, currency, locale)


def when(value: datetime | None, zone: str, locale: str = DEFAULT_LOCALE) -> str:
    """'Dec 4, 2026, 5:00 PM EST': the instant in the organization's zone, the zone shown."""
    if value is None:
        return NOTHING
    local = value.astimezone(ZoneInfo(zone))
    pattern = str(Locale.parse(locale).datetime_formats["medium"])
    day_part = format_date(local, "medium", locale=locale)
    time_part = format_time(local, "short", locale=locale)
    zone_part = format_datetime(local, "z", locale=locale)
    return f"{pattern.replace('{1}', str(day_part)).replace('{0}', str(time_part))} {zone_part}"


def day(value: date | None, locale: str = DEFAULT_LOCALE) -> str:
    """'Dec 4, 2026': a calendar day (a due date), which has no zone."""
    if value is None:
        return NOTHING
    return str(format_date(value, "medium", locale=locale))


def locale_of(context: Context) -> str:
    """The organization's locale, from the settings of the app serving the request."""
    request = context.get("request")
    settings = getattr(getattr(getattr(request, "app", None), "state", None), "console_settings", None)
    return str(getattr(settings, "locale", DEFAULT_LOCALE))


@pass_context
def _money(context: Context, amount: Decimal | None, currency: str) -> str:
    return money(amount, currency, locale_of(context))


@pass_context
def _when(context: Context, value: datetime | None, zone: str | None = None) -> str:
    return when(value, zone or str(context.get("zone") or "UTC"), locale_of(context))


@pass_context
def _day(context: Context, value: date | None) -> str:
    return day(value, locale_of(context))


templates.env.filters["money"] = _money
templates.env.filters["when"] = _when
templates.env.filters["day"] = _day


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)
