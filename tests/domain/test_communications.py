"""Nothing owed, nothing sent: the pure decision on a message's context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from domain.communications import nothing_owed_reason
from domain.enums import StepAction
from domain.templates import RenderContext, build_context

AS_OF = date(2026, 12, 2)


@dataclass(frozen=True)
class _Org:
    name: str = "Acme"
    sender_name: str = "AR"
    sender_email: str = "ar@acme.example"
    reply_to: str | None = None
    time_zone: str = "America/New_York"


@dataclass(frozen=True)
class _Customer:
    id: int | None = 7
    external_id: str = "C-7"
    name: str = "Globex"
    currency: str = "USD"
    locale: str = "en_US"


@dataclass(frozen=True)
class _Invoice:
    number: str
    balance_due: Decimal
    status: str = "open"
    collection_status: str = "in_collection"
    paused: bool = False
    currency: str = "USD"
    total: Decimal = Decimal("500")
    issue_date: date = date(2026, 10, 1)
    due_date: date = date(2026, 11, 1)
    pdf_url: str | None = None


def _context(*invoices: _Invoice, invoice: _Invoice | None = None) -> RenderContext:
    return build_context(_Org(), _Customer(), invoices, as_of=AS_OF, invoice=invoice)


CUSTOMER_FACING = [StepAction.CUSTOMER_EMAIL, StepAction.STATEMENT_EMAIL, StepAction.SMS]


@pytest.mark.parametrize("action", CUSTOMER_FACING)
def test_a_customer_facing_message_with_nothing_owed_is_not_sent(action: StepAction) -> None:
    reason = nothing_owed_reason(action, _context(_Invoice("INV-1", Decimal(0), status="paid")), {})
    assert reason is not None and reason.startswith("nothing is owed: no open invoice, balance $0.00")


@pytest.mark.parametrize("action", CUSTOMER_FACING)
def test_a_step_may_opt_in_to_sending_when_nothing_is_owed(action: StepAction) -> None:
    assert nothing_owed_reason(action, _context(), {"send_when_nothing_owed": True}) is None
    # Only an explicit true opts in.
    assert nothing_owed_reason(action, _context(), {"send_when_nothing_owed": "true"}) is not None


@pytest.mark.parametrize("action", [StepAction.INTERNAL_NOTIFICATION, StepAction.NOTIFY_SPECIALIST])
def test_internal_notifications_are_sent_whatever_the_balance(action: StepAction) -> None:
    assert nothing_owed_reason(action, _context(), None) is None


def test_a_message_whose_every_invoice_is_paused_or_held_has_nothing_to_pay() -> None:
    context = _context(
        _Invoice("INV-1", Decimal(10), paused=True),
        _Invoice("INV-2", Decimal(5), collection_status="disputed"),
    )
    reason = nothing_owed_reason(StepAction.STATEMENT_EMAIL, context, {})
    assert reason is not None
    assert reason.startswith("nothing is owed in collection: the customer's 2 open invoices are paused")
    assert "($15.00)" in reason


def test_a_message_about_an_invoice_or_listing_one_is_sent() -> None:
    owed = _Invoice("INV-1", Decimal(10))
    assert nothing_owed_reason(StepAction.STATEMENT_EMAIL, _context(owed), {}) is None
    assert nothing_owed_reason(StepAction.CUSTOMER_EMAIL, _context(invoice=owed), {}) is None
    # A foreign-currency invoice is listed with its own amount: something is owed, not in the total.
    euro = _Invoice("INV-EUR", Decimal(10), currency="EUR")
    assert nothing_owed_reason(StepAction.STATEMENT_EMAIL, _context(euro), {}) is None
