"""The invoice rules in one place: closed, owed (in the totals), in the cadence."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.enums import InvoiceStatus
from domain.invoices import (
    CLOSED_STATUSES,
    is_closed,
    is_dunnable,
    is_owed,
    out_of_cadence_reason,
    sql_list,
)

ONE = Decimal("1.00")
ZERO = Decimal("0.00")


@pytest.mark.parametrize("status", [InvoiceStatus.PAID, InvoiceStatus.VOID, InvoiceStatus.WRITTEN_OFF])
def test_a_paid_void_or_written_off_invoice_is_closed_and_owes_nothing_whatever_its_balance(
    status: InvoiceStatus,
) -> None:
    assert is_closed(status)
    assert not is_owed(status, ONE)
    assert not is_dunnable(status, ONE)
    assert out_of_cadence_reason("INV-1", status, ONE, paused=False) == f"INV-1 is {status}"


@pytest.mark.parametrize("status", [InvoiceStatus.OPEN, InvoiceStatus.DISPUTED, InvoiceStatus.ON_HOLD])
def test_an_open_invoice_with_a_balance_is_owed_and_reminded(status: InvoiceStatus) -> None:
    assert not is_closed(status)
    assert is_owed(status, ONE) and is_dunnable(status, ONE)
    assert out_of_cadence_reason("INV-1", status, ONE, paused=False) is None


def test_an_invoice_with_nothing_left_to_pay_leaves_the_cadence_and_the_totals() -> None:
    assert not is_owed(InvoiceStatus.OPEN, ZERO)
    assert not is_owed(InvoiceStatus.OPEN, Decimal("-5"))
    assert (
        out_of_cadence_reason("INV-2", InvoiceStatus.OPEN, ZERO, paused=False) == "INV-2 has no balance due"
    )


def test_a_paused_invoice_is_still_owed_but_not_reminded_while_paused() -> None:
    assert is_owed(InvoiceStatus.OPEN, ONE)
    assert out_of_cadence_reason("INV-3", InvoiceStatus.OPEN, ONE, paused=True) == "INV-3 is paused"


def test_the_closed_statuses_as_sql_name_exactly_the_enum_values() -> None:
    assert sql_list(CLOSED_STATUSES) == "'paid', 'void', 'written_off'"
