"""Promises to pay: what a promise may cover, when it is due, what was paid toward it, and
whether it is kept or broken. Pure; the service and the deadline's activity both decide here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from domain.enums import CollectionStatus, InvoiceStatus, PromiseState
from domain.invoices import is_closed, is_held, is_owed
from domain.money import format_amount
from domain.schedules.org_calendar import OrgCalendar, local_instant

DEFAULT_GRACE_DAYS = 2
MAX_GRACE_DAYS = 30


class PromiseError(ValueError):
    """A promise that cannot be recorded; `code` is machine-readable, `conflict` means 409."""

    def __init__(self, message: str, code: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.conflict = conflict


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """An invoice someone wants a promise to cover, as it is now."""

    invoice_id: int
    number: str
    customer_id: int
    currency: str
    status: str
    balance_due: Decimal
    collection_status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Covered:
    """An invoice a promise covers: its balance when promised, and now."""

    number: str
    balance_at_promise: Decimal
    status: str
    balance_due: Decimal


# Held for another reason than a promise: a promise of the whole balance leaves them out.
_HELD_OTHERWISE = frozenset({CollectionStatus.ON_HOLD, CollectionStatus.DISPUTED})


def coverable(invoice: Candidate) -> bool:
    """What a whole-balance promise covers: owed and not held by anything but a promise (an
    invoice another open promise covers is included, so the overlap is refused, not hidden)."""
    return (
        is_owed(invoice.status, invoice.balance_due)
        and not is_held(invoice.status)
        and invoice.collection_status not in _HELD_OTHERWISE
    )


def check_promise(
    *,
    customer_id: int,
    invoices: Sequence[Candidate],
    promised_date: date,
    today: date,
    amount: Decimal | None,
    already_promised: Sequence[str],
) -> Decimal:
    """Refuses what cannot be promised (PromiseError); returns the amount (the covered balance
    when none is given)."""
    if promised_date < today:
        raise PromiseError(
            f"the promised date {promised_date.isoformat()} is before today ({today.isoformat()})",
            "promise_date_in_past",
        )
    if not invoices:
        raise PromiseError("nothing is owed: there is no open invoice to promise", "nothing_to_promise")
    for invoice in invoices:
        if invoice.customer_id != customer_id:
            raise PromiseError(
                f"{invoice.number} is another customer's invoice", "invoice_of_another_customer"
            )
        if is_closed(invoice.status) or invoice.balance_due <= 0:
            raise PromiseError(
                f"{invoice.number} is {invoice.status}: nothing is owed on it", "invoice_closed"
            )
        if invoice.collection_status == CollectionStatus.DISPUTED or invoice.status == InvoiceStatus.DISPUTED:
            raise PromiseError(f"{invoice.number} is disputed", "invoice_disputed")
    if len({i.currency for i in invoices}) > 1:
        raise PromiseError("a promise covers invoices of one currency", "promise_mixed_currencies")
    if already_promised:
        raise PromiseError(
            f"an open promise already covers {', '.join(already_promised)}", "promise_overlaps", conflict=True
        )
    total = sum((i.balance_due for i in invoices), Decimal(0))
    if amount is None:
        return total
    if amount <= 0:
        raise PromiseError("the promised amount must be more than zero", "promise_amount_not_positive")
    if amount > total:
        raise PromiseError(
            f"the promised amount {amount} is more than the {total} owed on what it covers",
            "promise_amount_above_balance",
        )
    return amount


def deadline(promised_date: date, grace_days: int, calendar: OrgCalendar) -> datetime:
    """The instant a promise is judged: the send time, `grace_days` after the promised date
    (calendar days), in the customer's calendar (its zone, else its primary contact's, else the
    organization's)."""
    return local_instant(promised_date + timedelta(days=grace_days), calendar.send_time, calendar.tz)


def paid_toward(invoice: Covered) -> Decimal:
    """What was paid on a covered invoice since the promise: a void or write-off pays nothing."""
    if invoice.status == InvoiceStatus.PAID:
        return invoice.balance_at_promise
    if is_closed(invoice.status):
        return Decimal(0)
    return max(Decimal(0), invoice.balance_at_promise - invoice.balance_due)


def paid_so_far(invoices: Sequence[Covered]) -> Decimal:
    return sum((paid_toward(i) for i in invoices), Decimal(0))


def outcome(
    amount: Decimal, invoices: Sequence[Covered], deadline_at: datetime, as_of: datetime
) -> PromiseState:
    """Kept once what was paid reaches the amount; broken at the deadline otherwise; else open."""
    if paid_so_far(invoices) >= amount:
        return PromiseState.KEPT
    if as_of >= deadline_at:
        return PromiseState.BROKEN
    return PromiseState.OPEN


def payment_words(paid: Decimal, amount: Decimal, currency: str) -> str:
    """'nothing paid of 2,340.50 USD', 'partly paid: 1,000.00 of 2,340.50 USD', 'paid in full …'."""
    of = format_amount(amount, currency)
    if paid <= 0:
        return f"nothing paid of {of}"
    shown = f"{format_amount(paid, currency).removesuffix(' ' + currency)} of {of}"
    return f"partly paid: {shown}" if paid < amount else f"paid in full: {shown}"


def if_broken(numbers: Sequence[str], specialist: str | None) -> str:
    """What happens when a promise breaks, in words (the timeline shows it)."""
    resumes = f"dunning resumes for {', '.join(numbers)}" if numbers else "nothing is left to dun"
    task = f"task for {specialist}" if specialist else "task for nobody (no specialist assigned)"
    return f"{resumes}, {task}"
