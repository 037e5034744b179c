"""Billing in a customer hierarchy: whom a customer's invoices are billed to, and whose invoices
a customer's communications cover.

A child with `bill_to_parent` is billed to its direct parent (`immediate`) or to the root of its
hierarchy (`top`); anyone else is billed to itself. The bill-to customer's contacts receive the
messages about the child's invoices, and its statement lists them. Cycles are refused when the
hierarchy is written, so every chain here ends at a root.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.enums import BillingLevel, StepAction
from domain.recipients import CUSTOMER_ACTIONS


@dataclass(frozen=True, kw_only=True)
class CustomerNode:
    id: int
    parent_id: int | None
    bill_to_parent: bool = False
    billing_level: BillingLevel = BillingLevel.IMMEDIATE


def bill_to(customer_id: int, tree: Mapping[int, CustomerNode]) -> int:
    """The customer billed for `customer_id`'s invoices. `tree` holds the customer and, for a
    bill-to-parent one, its ancestors (all of them for `top`)."""
    node = tree[customer_id]
    if not node.bill_to_parent or node.parent_id is None:
        return node.id
    if node.billing_level == BillingLevel.IMMEDIATE:
        return node.parent_id
    return root_of(customer_id, tree)


def root_of(customer_id: int, tree: Mapping[int, CustomerNode]) -> int:
    node, seen = tree[customer_id], {customer_id}
    while node.parent_id is not None:
        if node.parent_id in seen:
            raise ValueError(f"customer {customer_id}'s ancestors form a cycle")
        seen.add(node.parent_id)
        node = tree[node.parent_id]
    return node.id


def covered_by(customer_id: int, subtree: Iterable[CustomerNode]) -> list[int]:
    """The customers whose invoices `customer_id`'s communications cover: itself and those
    billed to it. `subtree` holds the customer and its descendants (the only ones that can be
    billed to it); the customer's own node says whether it is a root."""
    nodes = {n.id: n for n in subtree}
    is_root = nodes[customer_id].parent_id is None
    covered = [customer_id]
    for node in sorted(nodes.values(), key=lambda n: n.id):
        if node.id == customer_id or not node.bill_to_parent or node.parent_id is None:
            continue
        immediate = node.billing_level == BillingLevel.IMMEDIATE and node.parent_id == customer_id
        if immediate or (node.billing_level == BillingLevel.TOP and is_root):
            covered.append(node.id)
    return covered


# Messages about the customer as a whole that a bill-to-parent child does not get on its own:
# its invoices are in its bill-to customer's statement (internal messages still go out).
CUSTOMER_LEVEL_MESSAGES = CUSTOMER_ACTIONS


def billed_elsewhere_reason(
    action: StepAction, *, invoice_level: bool, customer_name: str, bill_to_name: str | None
) -> str | None:
    """Why a customer-level message to a bill-to-parent child is skipped, or None to send it.

    `bill_to_name` is None when the customer is billed to itself."""
    if bill_to_name is None or invoice_level or action not in CUSTOMER_LEVEL_MESSAGES:
        return None
    return f"{customer_name} is billed to {bill_to_name}: its invoices are in {bill_to_name}'s statement"
