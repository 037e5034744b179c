"""The customer tree as the billing rule sees it: one recursive statement each way (down to the
customers a communication covers, up to the customer billed), the rule in `domain.hierarchy`."""

from __future__ import annotations

from sqlalchemy import TextClause, text
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import BillingLevel
from domain.hierarchy import CustomerNode, bill_to, covered_by
from models import Customer
from models.repository.customers import load_customer

_SUBTREE = text(
    """
    WITH RECURSIVE tree(id, parent_id, bill_to_parent, billing_level) AS (
        SELECT id, parent_id, bill_to_parent, billing_level FROM customer WHERE id = :customer_id
        UNION
        SELECT c.id, c.parent_id, c.bill_to_parent, c.billing_level
        FROM customer c JOIN tree t ON c.parent_id = t.id
    )
    SELECT id, parent_id, bill_to_parent, billing_level FROM tree
    """
)

_ANCESTORS = text(
    """
    WITH RECURSIVE chain(id, parent_id, bill_to_parent, billing_level) AS (
        SELECT id, parent_id, bill_to_parent, billing_level FROM customer WHERE id = :customer_id
        UNION
        SELECT c.id, c.parent_id, c.bill_to_parent, c.billing_level
        FROM customer c JOIN chain ch ON c.id = ch.parent_id
    )
    SELECT id, parent_id, bill_to_parent, billing_level FROM chain
    """
)


async def _nodes(session: AsyncSession, statement: TextClause, customer_id: int) -> dict[int, CustomerNode]:
    rows = (await (await session.connection()).execute(statement, {"customer_id": customer_id})).all()
    return {
        int(r.id): CustomerNode(
            id=int(r.id),
            parent_id=r.parent_id,
            bill_to_parent=bool(r.bill_to_parent),
            billing_level=BillingLevel(r.billing_level),
        )
        for r in rows
    }


async def covered_customer_ids(session: AsyncSession, customer_id: int) -> list[int]:
    """The customers whose invoices this customer's communications cover: itself and the
    bill-to-parent descendants billed to it (`domain.hierarchy.covered_by`)."""
    subtree = await _nodes(session, _SUBTREE, customer_id)
    return covered_by(customer_id, subtree.values()) if subtree else [customer_id]


async def bill_to_customer(session: AsyncSession, customer: Customer) -> Customer:
    """The customer billed for this one's invoices (itself unless it is billed to a parent)."""
    if not customer.bill_to_parent or customer.id is None:
        return customer
    target = bill_to(customer.id, await _nodes(session, _ANCESTORS, customer.id))
    return customer if target == customer.id else await load_customer(session, target)
