"""What templates can see: typed, read-only views built from the engine's rows.

Money and dates come pre-formatted (`*_text`) in the customer's currency and locale, so that a
template shows `{{ invoice.balance_due_text }}` and never formats a float by accident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from babel.dates import format_date

from domain.ar_contact import ArContact, ar_contact
from domain.conditions import Metrics
from domain.invoices import is_listed, is_owed
from domain.money import check_locale, format_money, quantize
from domain.schedules.specs import PAYMENT_SOURCE_WORDS, AutopayDates, autopay_payment


class OrganizationLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def sender_name(self) -> str: ...
    @property
    def sender_email(self) -> str: ...
    @property
    def reply_to(self) -> str | None: ...
    @property
    def time_zone(self) -> str: ...


class CustomerLike(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def external_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def locale(self) -> str: ...


class InvoiceLike(Protocol):
    @property
    def number(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def total(self) -> Decimal: ...
    @property
    def balance_due(self) -> Decimal: ...
    @property
    def issue_date(self) -> date: ...
    @property
    def due_date(self) -> date: ...
    @property
    def status(self) -> str: ...
    @property
    def collection_status(self) -> str: ...
    @property
    def paused(self) -> bool: ...
    @property
    def pdf_url(self) -> str | None: ...


class PersonLike(Protocol):
    @property
    def name(self) -> str: ...
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


# A message lists at most this many invoices (oldest due first); the others are summed up.
MAX_LISTED_INVOICES = 100


@dataclass(frozen=True, slots=True)
class InvoiceView:
    number: str
    currency: str
    total: Decimal
    balance_due: Decimal
    issue_date: date
    due_date: date
    days_overdue: int
    days_until_due: int
    is_overdue: bool
    total_text: str
    balance_due_text: str
    issue_date_text: str
    due_date_text: str
    pdf_url: str | None


@dataclass(frozen=True, slots=True)
class TotalsView:
    """The customer's open balance in its home currency; paused and held (on hold, disputed,
    promised) invoices count: they are still owed."""

    outstanding: Decimal
    overdue: Decimal
    currency: str
    count: int
    outstanding_text: str
    overdue_text: str
    # Counted above but not listed in `invoices` (paused or held), so a statement can still add up.
    unlisted: Decimal
    unlisted_count: int
    unlisted_text: str
    # Open and not paused, but past the first MAX_LISTED_INVOICES: counted, not listed.
    more: Decimal = Decimal(0)
    more_count: int = 0
    more_text: str = ""
    # Open invoices in other currencies: listed with their own amounts (when listed), never added
    # into the totals above, which are in the home currency only (no conversion rates).
    other_currency_count: int = 0
    other_currencies_text: str = ""


@dataclass(frozen=True, slots=True)
class PaymentView:
    """An auto-payment: the day it is taken and what that day came from (`payment.source_text`)."""

    day: date
    date_text: str
    source: str  # "scheduled", "invoice_date", "due_date" or "discount_end"
    source_text: str  # "the due date", ...


def payment_view(invoice: AutopayDates, anchor: str, locale: str = "en_US") -> PaymentView:
    """The auto-payment of `invoice` for a customer anchored on `anchor` (the schedule's rule)."""
    day, source = autopay_payment(invoice, anchor)
    return PaymentView(
        day=day,
        date_text=str(format_date(day, "long", locale=check_locale(locale or "en_US"))),
        source=source,
        source_text=PAYMENT_SOURCE_WORDS[source],
    )


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
    # Auto-pay messages only: when the payment of the step's invoice is taken, and why that day.
    payment: PaymentView | None = None
    # The workflow's AR contact (sender name, email, reply-to, phone), else the organization's.
    ar_contact: ArContact | None = None

    def as_dict(self) -> dict[str, object]:
        """The template's top-level variables."""
        return {name: getattr(self, name) for name in self.__slots__}


def _known_id(value: int | None) -> int:
    """A saved customer's id; a missing one is a bug to say, never a customer 0."""
    if value is None:
        raise ValueError("the customer has no id: save it before building its messages")
    return value


def _is_open(invoice: InvoiceLike) -> bool:
    return is_owed(invoice.status, invoice.balance_due)


def _is_listed(invoice: InvoiceLike) -> bool:
    return is_listed(invoice.status, invoice.balance_due, invoice.collection_status, paused=invoice.paused)


def _invoice_view(invoice: InvoiceLike, as_of: date, locale: str) -> InvoiceView:
    delta = (as_of - invoice.due_date).days
    return InvoiceView(
        number=invoice.number,
        currency=invoice.currency,
        total=quantize(invoice.total, invoice.currency),
        balance_due=quantize(invoice.balance_due, invoice.currency),
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        days_overdue=max(delta, 0),
        days_until_due=max(-delta, 0),
        is_overdue=delta > 0,
        total_text=format_money(invoice.total, invoice.currency, locale),
        balance_due_text=format_money(invoice.balance_due, invoice.currency, locale),
        issue_date_text=str(format_date(invoice.issue_date, "medium", locale=locale)),
        due_date_text=str(format_date(invoice.due_date, "medium", locale=locale)),
        pdf_url=invoice.pdf_url,
    )


def _person(person: PersonLike | None) -> PersonView | None:
    return PersonView(name=person.name, email=person.email) if person is not None else None


@dataclass(frozen=True, slots=True)
class OpenBalance:
    """The customer's own open invoices in its home currency, summed by the database, so that a
    customer with thousands of invoices needs only the listed ones loaded."""

    count: int
    outstanding: Decimal
    overdue: Decimal
    held_count: int  # paused or held (on hold, disputed, promised): counted, never listed
    held: Decimal
    # Open invoices in other currencies, not added into the figures above.
    other_currency_count: int = 0
    other_currencies: tuple[str, ...] = ()


def balance_of(invoices: Sequence[InvoiceLike], currency: str, as_of: date) -> OpenBalance:
    """The same figures summed from the invoices themselves (all of them must be given)."""
    # Other currencies are listed with their own amounts but never added into the home total.
    counted = [i for i in invoices if _is_open(i) and i.currency == currency]
    held = [i for i in counted if not _is_listed(i)]
    others = [i for i in invoices if _is_open(i) and i.currency != currency]
    return OpenBalance(
        count=len(counted),
        outstanding=sum((i.balance_due for i in counted), Decimal(0)),
        overdue=sum((i.balance_due for i in counted if i.due_date < as_of), Decimal(0)),
        held_count=len(held),
        held=sum((i.balance_due for i in held), Decimal(0)),
        other_currency_count=len(others),
        other_currencies=tuple(sorted({i.currency for i in others})),
    )


def _totals(
    listed: Sequence[InvoiceLike],
    balance: OpenBalance,
    metrics: Metrics | None,
    currency: str,
    locale: str,
) -> TotalsView:
    outstanding, overdue = balance.outstanding, balance.overdue
    if metrics is not None:
        outstanding, overdue = metrics.outstanding, metrics.overdue
    listed_home = [i for i in listed if i.currency == currency]
    listed_sum = sum((i.balance_due for i in listed_home), Decimal(0))
    more_count = max(balance.count - balance.held_count - len(listed_home), 0)
    more = max(balance.outstanding - balance.held - listed_sum, Decimal(0)) if more_count else Decimal(0)
    # What the total holds beyond the listed and the "more" lines: the paused and held invoices.
    held = max(outstanding - listed_sum - more, Decimal(0))
    return TotalsView(
        outstanding=quantize(outstanding, currency),
        overdue=quantize(overdue, currency),
        currency=currency,
        count=balance.count,
        outstanding_text=format_money(outstanding, currency, locale),
        overdue_text=format_money(overdue, currency, locale),
        unlisted=quantize(held, currency),
        unlisted_count=balance.held_count,
        unlisted_text=format_money(held, currency, locale),
        more=quantize(more, currency),
        more_count=more_count,
        more_text=format_money(more, currency, locale),
        other_currency_count=balance.other_currency_count,
        other_currencies_text=", ".join(balance.other_currencies),
    )


def build_context(
    organization: OrganizationLike,
    customer: CustomerLike,
    invoices: Sequence[InvoiceLike],
    *,
    as_of: date,
    invoice: InvoiceLike | None = None,
    contact: PersonLike | None = None,
    specialist: PersonLike | None = None,
    totals: Metrics | None = None,
    balance: OpenBalance | None = None,
    payment: PaymentView | None = None,
    ar: ArContact | None = None,
) -> RenderContext:
    """The context of one message on `as_of` (the organization's local date).

    `invoices` lists only open ones in the cadence (not paused, not held; oldest due first);
    `totals` are the figures the engine computed at wake time when given, else summed from
    `invoices` (paused and held ones included, so pass them all). `invoice` is the invoice an
    invoice step is about, shown even if paused.

    At most MAX_LISTED_INVOICES are listed (oldest due first); the rest are counted in `totals`
    (`more_count`, `more_text`). With `balance` (summed by the database) `invoices` need only
    hold the ones to list.
    """
    locale = check_locale(customer.locale or "en_US")
    listed = sorted((i for i in invoices if _is_listed(i)), key=lambda i: (i.due_date, i.number))
    shown = listed[:MAX_LISTED_INVOICES]
    if balance is None:
        balance = balance_of(invoices, customer.currency, as_of)
    contact_of_ar = ar or ar_contact(
        org_sender_name=organization.sender_name,
        org_sender_email=organization.sender_email,
        org_reply_to=organization.reply_to,
    )
    return RenderContext(
        ar_contact=contact_of_ar,
        organization=OrganizationView(
            name=organization.name,
            sender_name=organization.sender_name,
            sender_email=organization.sender_email,
            reply_to=organization.reply_to,
            time_zone=organization.time_zone,
        ),
        customer=CustomerView(
            id=_known_id(customer.id),
            external_id=customer.external_id,
            name=customer.name,
            currency=customer.currency,
            locale=locale,
        ),
        contact=_person(contact),
        invoices=tuple(_invoice_view(i, as_of, locale) for i in shown),
        invoice=_invoice_view(invoice, as_of, locale) if invoice is not None else None,
        totals=_totals(shown, balance, totals, customer.currency, locale),
        specialist=_person(specialist),
        as_of=as_of,
        as_of_text=str(format_date(as_of, "long", locale=locale)),
        payment=payment,
    )
