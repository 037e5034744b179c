"""The template context of one communication, from the database: the one function the engine
and the template preview both call, so a preview shows exactly what would be sent."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from domain import templates as tpl
from models import Customer, Invoice, OrganizationSettings, User
from models.base import require_id
from models.repository.hierarchy import covered_customer_ids
from models.repository.invoices import listed_invoices, open_balance


async def message_context(
    session: AsyncSession,
    *,
    org: OrganizationSettings,
    customer: Customer,
    today: date,
    invoice: Invoice | None = None,
) -> tpl.RenderContext:
    """The context of a message to `customer` on `today` (the organization's local date) covering
    the invoices of the customers it is billed for (itself and the children billed to it, by the
    hierarchy rule): the MAX_LISTED_INVOICES oldest due in the cadence listed, paused and held ones
    counted in the totals but not listed, invoices in other currencies counted apart."""
    customer_ids = await covered_customer_ids(session, require_id(customer))
    specialist = await session.get(User, customer.specialist_id) if customer.specialist_id else None
    invoices = await listed_invoices(session, customer_ids, tpl.MAX_LISTED_INVOICES)
    balance = await open_balance(session, customer_ids, customer.currency, today)
    return tpl.build_context(
        org,
        customer,
        invoices,  # the ones to list; `balance` sums all of them (paused and held count, unlisted)
        invoice=invoice,
        balance=balance,
        contact=None,
        specialist=specialist,
        as_of=today,
    )
