"""What templates can see: typed, read-only objects built from the engine's rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from babel.dates import format_date

from domain.money import format_money, quantize


class OrganizationLike(Protocol):
    name: str
    sender_name: str
    sender_email: str
    reply_to: str | None
    time_zone: str


class CustomerLike(Protocol):
    @property
    def id(self) -> int | None: ...

    external_id: str
    name: str
    currency: str
    locale: str


class InvoiceLike(Protocol):
    number: str
    currency: str
    total: Decimal
    balance_due: Decimal
    issue_date: date
    due_date: date
    paused: bool
    pdf_url: str | None


class PersonLike(Protocol):
    name: str

    @property
    def email(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class OrganizationView:
    name: str
    sender_name: str
    sender_email: str
    reply_to: str | None
    time_zone: str


@dataclass(frozen=True, slots=True)
class CustomerView:
    id: int
    external_id: str
    name: str
    currency: str
    locale: str


@dataclass(frozen=True, slots=True)
class PersonView:
    name: str
    email: str | None


@dataclass(frozen=True, slots=True)
class InvoiceView:
    number: str
    currency: str
    total: Decimal
    balance_due: Decimal
    issue_date: date
    due_date: date
    days_overdue: int
    is_overdue: bool
    total_text: str
    balance_due_text: str
    issue_date_text: str
    due_date_text: str
    pdf_url: str | None


@dataclass(frozen=True, slots=True)
class TotalsView:
    outstanding: Decimal
    overdue: Decimal
    currency: str
    count: int
    outstanding_text: str
    overdue_text: str


@dataclass(frozen=True, slots=True)
class RenderContext:
    organization: OrganizationView
    customer: CustomerView
    contact: PersonView | None
    invoices: tuple[InvoiceView, ...]
    invoice: InvoiceView | None
    totals: TotalsView
    specialist: PersonView | None
    as_of: date
    as_of_text: str

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}


def _invoice_view(invoice: InvoiceLike, as_of: date, locale: str) -> InvoiceView:
    overdue_days = max((as_of - invoice.due_date).days, 0)
    return InvoiceView(
        number=invoice.number,
        currency=invoice.currency,
        total=quantize(invoice.total, invoice.currency),
        balance_due=quantize(invoice.balance_due, invoice.currency),
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        days_overdue=overdue_days,
        is_overdue=overdue_days > 0,
        total_text=format_money(invoice.total, invoice.currency, locale),
        balance_due_text=format_money(invoice.balance_due, invoice.currency, locale),
        issue_date_text=format_date(invoice.issue_date, "medium", locale=locale),
        due_date_text=format_date(invoice.due_date, "medium", locale=locale),
        pdf_url=invoice.pdf_url,
    )


def _person(person: PersonLike | None) -> PersonView | None:
    return PersonView(name=person.name, email=person.email) if person is not None else None


def build_context(
    organization: OrganizationLike,
    customer: CustomerLike,
    invoices: Sequence[InvoiceLike],
    *,
    as_of: date,
    invoice: InvoiceLike | None = None,
    contact: PersonLike | None = None,
    specialist: PersonLike | None = None,
) -> RenderContext:
    """The context of one message: open, non-paused invoices in the customer's currency shown."""
    locale = customer.locale or "en_US"
    shown = [_invoice_view(i, as_of, locale) for i in invoices if not i.paused and i.balance_due > 0]
    home = [v for v in shown if v.currency == customer.currency]
    outstanding = sum((v.balance_due for v in home), Decimal(0))
    overdue = sum((v.balance_due for v in home if v.is_overdue), Decimal(0))
    return RenderContext(
        organization=OrganizationView(
            name=organization.name,
            sender_name=organization.sender_name,
            sender_email=organization.sender_email,
            reply_to=organization.reply_to,
            time_zone=organization.time_zone,
        ),
        customer=CustomerView(
            id=customer.id or 0,
            external_id=customer.external_id,
            name=customer.name,
            currency=customer.currency,
            locale=locale,
        ),
        contact=_person(contact),
        invoices=tuple(shown),
        invoice=_invoice_view(invoice, as_of, locale) if invoice is not None else None,
        totals=TotalsView(
            outstanding=outstanding,
            overdue=overdue,
            currency=customer.currency,
            count=len(shown),
            outstanding_text=format_money(outstanding, customer.currency, locale),
            overdue_text=format_money(overdue, customer.currency, locale),
        ),
        specialist=_person(specialist),
        as_of=as_of,
        as_of_text=format_date(as_of, "long", locale=locale),
    )
