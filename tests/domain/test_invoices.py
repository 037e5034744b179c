"""The invoice rules in one place: closed, owed (in the totals), in the cadence."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.enums import CollectionStatus, InvoiceStatus
from domain.invoices import (
    CLOSED_STATUSES,
    HELD_COLLECTION_STATUSES,
    collection_words,
    is_closed,
    is_dunnable,
    is_held,
    is_listed,
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


def test_an_open_invoice_with_a_balance_is_owed_and_reminded() -> None:
    status = InvoiceStatus.OPEN
    assert not is_closed(status)
    assert is_owed(status, ONE) and is_dunnable(status, ONE)
    assert out_of_cadence_reason("INV-1", status, ONE, paused=False) is None


@pytest.mark.parametrize("status", [InvoiceStatus.DISPUTED, InvoiceStatus.ON_HOLD])
def test_disputed_and_on_hold_from_the_sync_are_owed_but_not_reminded(status: InvoiceStatus) -> None:
    assert is_owed(status, ONE) and is_held(status)
    assert not is_dunnable(status, ONE)
    assert not is_listed(status, ONE, CollectionStatus.IN_COLLECTION, paused=False)
    assert out_of_cadence_reason("INV-1", status, ONE, paused=False) == (
        f"INV-1 is {status} in the accounting system: left out of the cadence, still counted in totals"
    )


@pytest.mark.parametrize(
    "held", [CollectionStatus.ON_HOLD, CollectionStatus.DISPUTED, CollectionStatus.PROMISED]
)
def test_a_held_collection_status_takes_an_open_invoice_out_of_the_cadence(held: CollectionStatus) -> None:
    assert is_owed(InvoiceStatus.OPEN, ONE)
    assert not is_dunnable(InvoiceStatus.OPEN, ONE, held)
    assert not is_listed(InvoiceStatus.OPEN, ONE, held, paused=False)
    reason = out_of_cadence_reason("INV-1", InvoiceStatus.OPEN, ONE, paused=False, collection_status=held)
    assert reason is not None and reason.startswith(
        f"INV-1 is {collection_words(held)} (its collection status)"
    )


def test_in_collection_is_the_only_collection_status_that_keeps_an_invoice_in_the_cadence() -> None:
    assert set(CollectionStatus) - HELD_COLLECTION_STATUSES == {CollectionStatus.IN_COLLECTION}
    assert is_listed(InvoiceStatus.OPEN, ONE, CollectionStatus.IN_COLLECTION, paused=False)
    assert not is_listed(InvoiceStatus.OPEN, ONE, CollectionStatus.IN_COLLECTION, paused=True)


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
