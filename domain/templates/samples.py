"""Realistic sample data to validate templates on save and to preview them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.templates.context import RenderContext, build_context


@dataclass
class _Org:
    name: str = "Acme Industries"
    sender_name: str = "Acme Accounts Receivable"
    sender_email: str = "ar@acme.example"
    reply_to: str | None = "collections@acme.example"
    time_zone: str = "America/New_York"


@dataclass
class _Customer:
    id: int | None = 1042
    external_id: str = "QB-1042"
    name: str = "Globex Corporation"
    currency: str = "USD"
    locale: str = "en_US"


@dataclass
class _Invoice:
    number: str
    total: Decimal
    balance_due: Decimal
    issue_date: date
    due_date: date
    currency: str = "USD"
    paused: bool = False
    pdf_url: str | None = None


@dataclass
class _Person:
    name: str
    email: str | None


def sample_context(as_of: date = date(2026, 12, 2)) -> RenderContext:
    invoices = [
        _Invoice(
            "INV-1042",
            Decimal("2340.50"),
            Decimal("2340.50"),
            as_of - timedelta(days=40),
            as_of - timedelta(days=10),
        ),
        _Invoice(
            "INV-1043",
            Decimal("980.00"),
            Decimal("480.00"),
            as_of - timedelta(days=20),
            as_of + timedelta(days=10),
        ),
    ]
    return build_context(
        _Org(),
        _Customer(),
        invoices,
        as_of=as_of,
        invoice=invoices[0],
        contact=_Person("Jane Payables", "ap@globex.example"),
        specialist=_Person("Sam Specialist", "sam@acme.example"),
    )
