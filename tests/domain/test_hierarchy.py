"""Billing in a hierarchy: whom a child is billed to (immediate parent or root), and whose
invoices a customer's communications cover — each the inverse of the other."""

from __future__ import annotations

import pytest

from domain.enums import BillingLevel, StepAction
from domain.hierarchy import CustomerNode, bill_to, billed_elsewhere_reason, covered_by

IMMEDIATE, TOP = BillingLevel.IMMEDIATE, BillingLevel.TOP

# 1 root; 2 billed to its parent 1; 3 (child of 2) billed to the top (1); 4 (child of 2) billed
# to its immediate parent 2; 5 (child of 4) not billed to its parent; 6 (child of 5) billed top.
TREE = {
    1: CustomerNode(id=1, parent_id=None),
    2: CustomerNode(id=2, parent_id=1, bill_to_parent=True, billing_level=IMMEDIATE),
    3: CustomerNode(id=3, parent_id=2, bill_to_parent=True, billing_level=TOP),
    4: CustomerNode(id=4, parent_id=2, bill_to_parent=True, billing_level=IMMEDIATE),
    5: CustomerNode(id=5, parent_id=4),
    6: CustomerNode(id=6, parent_id=5, bill_to_parent=True, billing_level=TOP),
}


def _subtree(root: int) -> list[CustomerNode]:
    ids, grew = {root}, True
    while grew:
        more = {n.id for n in TREE.values() if n.parent_id in ids} - ids
        ids |= more
        grew = bool(more)
    return [TREE[i] for i in sorted(ids)]


def test_a_customer_not_billed_to_its_parent_is_billed_to_itself() -> None:
    assert bill_to(1, TREE) == 1
    assert bill_to(5, TREE) == 5


def test_immediate_billing_goes_to_the_direct_parent_even_when_that_parent_is_billed_on() -> None:
    assert bill_to(2, TREE) == 1
    assert bill_to(4, TREE) == 2


def test_top_billing_goes_to_the_root_of_the_hierarchy_across_mixed_levels() -> None:
    assert bill_to(3, TREE) == 1
    assert bill_to(6, TREE) == 1  # through 5, which is not billed to its parent at all


def test_a_flag_without_a_parent_bills_the_customer_itself() -> None:
    assert bill_to(9, {9: CustomerNode(id=9, parent_id=None, bill_to_parent=True, billing_level=TOP)}) == 9


def test_a_communication_covers_the_customer_and_the_children_billed_to_it() -> None:
    assert covered_by(1, _subtree(1)) == [1, 2, 3, 6]
    assert covered_by(2, _subtree(2)) == [2, 4]
    assert covered_by(4, _subtree(4)) == [4]
    assert covered_by(5, _subtree(5)) == [5]  # 6 is billed to the root, not to 5


@pytest.mark.parametrize("customer_id", sorted(TREE))
def test_covered_by_is_the_inverse_of_bill_to(customer_id: int) -> None:
    billed_here = {i for i in TREE if bill_to(i, TREE) == customer_id}
    # Its own communications always cover the customer itself (its own statement is skipped).
    assert sorted(covered_by(customer_id, _subtree(customer_id))) == sorted(billed_here | {customer_id})


def test_a_cycle_is_refused() -> None:
    looping = {
        1: CustomerNode(id=1, parent_id=2, bill_to_parent=True, billing_level=TOP),
        2: CustomerNode(id=2, parent_id=1, bill_to_parent=True, billing_level=TOP),
    }
    with pytest.raises(ValueError, match="cycle"):
        bill_to(1, looping)


def test_a_bill_to_parent_child_gets_no_statement_of_its_own_but_its_invoice_reminders() -> None:
    reason = billed_elsewhere_reason(
        StepAction.STATEMENT_EMAIL, invoice_level=False, customer_name="Globex US", bill_to_name="Globex"
    )
    assert reason == "Globex US is billed to Globex: its invoices are in Globex's statement"

    def sent(action: StepAction, *, invoice_level: bool, bill_to_name: str | None) -> bool:
        reason = billed_elsewhere_reason(
            action, invoice_level=invoice_level, customer_name="A", bill_to_name=bill_to_name
        )
        return reason is None

    assert sent(StepAction.CUSTOMER_EMAIL, invoice_level=True, bill_to_name="B")
    assert sent(StepAction.SMS, invoice_level=True, bill_to_name="B")
    assert not sent(StepAction.CUSTOMER_EMAIL, invoice_level=False, bill_to_name="B")
    assert sent(StepAction.INTERNAL_NOTIFICATION, invoice_level=False, bill_to_name="B")
    assert sent(StepAction.STATEMENT_EMAIL, invoice_level=False, bill_to_name=None)
