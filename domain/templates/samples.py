"""Realistic sample data to validate templates on save and to preview them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.templates.context import RenderContext, build_context


@dataclass(frozen=True, slots=True)
class _Org:
    name: str = "Acme Industries"
    sender_name: str = "Acme Accounts Receivable"
    sender_email: str = "ar@acme.example"
    reply_to: str | None = "collections@acme.example"
    time_zone: str = "America/New_York"


@dataclass(frozen=True, slots=True)
class _Customer:
    id: int | None = 1042
    external_id: str = "QB-1042"
    name: str = "Globex Corporation"
    currency: str = "USD"
    locale: str = "en_US"


@dataclass(frozen=True, slots=True)
class _Invoice:
    number: str
    total: Decimal
    balance_due: Decimal
    issue_date: date
    due_date: date
    currency: str = "USD"
    status: str = "open"
    collection_status: str = "in_collection"
    paused: bool = False
    pdf_url: str | None = None


@dataclass(frozen=True, slots=True)
class _Person:
    name: str
    email: str | None


def sample_context(as_of: date = date(2026, 12, 2), *, with_invoice: bool = True) -> RenderContext:
    """Two open invoices (one 10 days overdue, one due in 10 days) and a paused one that only
    counts in the totals; the overdue one is the step's invoice unless `with_invoice` is False
    (customer-level steps such as statements have none)."""
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
            pdf_url="https://billing.acme.example/invoices/INV-1043.pdf",
        ),
        _Invoice(
            "INV-1038",
            Decimal("150.00"),
            Decimal("150.00"),
            as_of - timedelta(days=70),
            as_of - timedelta(days=40),
            status="disputed",
            paused=True,
        ),
    ]
    return build_context(
        _Org(),
        _Customer(),
        invoices,
        as_of=as_of,
        invoice=invoices[0] if with_invoice else None,
        contact=_Person("Jane Payables", "ap@globex.example"),
        specialist=_Person("Sam Specialist", "sam@acme.example"),
    )
