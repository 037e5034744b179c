"""The console's templates, and the filters that show money and dates as the organization reads
them (its time zone; money in the customer's currency and locale, by `domain.money`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from domain.money import format_money

HERE = Path(__file__).resolve().parent
# The console's own wording is English; dates follow this locale's conventions.
CONSOLE_LOCALE = "en_US"

templates = Jinja2Templates(directory=HERE / "templates")


def money(amount: Decimal, currency: str, locale: str = CONSOLE_LOCALE) -> str:
    return format_money(amount, currency, locale)


def when(value: datetime | None, zone: str) -> str:
    """'Dec 4, 2026, 5:00 PM EST' in the organization's zone; '—' for none."""
    if value is None:
        return "—"
    return str(format_datetime(value.astimezone(ZoneInfo(zone)), "medium", locale=CONSOLE_LOCALE))


def day(value: date | None) -> str:
    if value is None:
        return "—"
    return str(format_date(value, "medium", locale=CONSOLE_LOCALE))


templates.env.filters["money"] = money
templates.env.filters["when"] = when
templates.env.filters["day"] = day


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)
