"""Suppressed addresses: the list, and a person lifting one (recorded in the history of every
customer with a contact at the address; the lifted row itself keeps who, when and why)."""

from __future__ import annotations

import structlog

from domain.enums import HistoryAction
from models import Suppression, User
from models.base import require_id
from models.history import write_history
from models.repository import contacts_with_address, suppression_for_update, suppressions_page
from services.common import now
from services.errors import Conflict, NotFound
from services.schemas.suppressions import SuppressionLifted, SuppressionOut
from services.unit_of_work import UnitOfWork

log = structlog.get_logger("arcadence.suppressions")


def as_out(row: Suppression) -> SuppressionOut:
    return SuppressionOut.model_validate({**row.model_dump(), "active": row.lifted_at is None})


async def list_suppressions(
    uow: UnitOfWork, address: str | None, active: bool | None, limit: int, offset: int
) -> tuple[list[SuppressionOut], int]:
    """Newest first."""
    rows, total = await suppressions_page(uow.session, address, active, limit, offset)
    return [as_out(r) for r in rows], total


async def lift_suppression(
    uow: UnitOfWork, suppression_id: int, reason: str, actor: User
) -> SuppressionLifted:
    """The address may be written to again; every customer with a contact at it records who
    lifted it and why (the customer's Last Action: a person's action)."""
    session = uow.session
    row = await suppression_for_update(session, suppression_id)
    if row is None:
        raise NotFound(
            f"suppression {suppression_id} does not exist",
            code="suppression_not_found",
            details={"id": suppression_id},
        )
    if row.lifted_at is not None:
        raise Conflict(
            f"the suppression of {row.address} was already lifted by {row.lifted_by}",
            code="suppression_already_lifted",
            details={"id": suppression_id, "lifted_at": row.lifted_at.isoformat()},
        )
    at = now()
    row.lifted_at, row.lifted_by, row.lift_reason = at, actor.email, reason
    session.add(row)
    customers: list[int] = []
    for contact in await contacts_with_address(session, row.address):
        contact.suppressed_at, contact.suppression_reason = None, None
        session.add(contact)
        if contact.customer_id not in customers:
            customers.append(contact.customer_id)
    for customer_id in customers:
        await write_history(
            session,
            customer_id=customer_id,
            action=HistoryAction.SUPPRESSION_LIFTED,
            description=(
                f"Suppression of {row.address} lifted by {actor.email}: {reason} "
                f"(suppressed since {row.since.date().isoformat()}: {row.reason})"
            ),
            actor=actor.email,
            occurred_at=at,
            details={"suppression_id": row.id, "address": row.address, "reason": reason},
            key=f"suppression-lifted:{require_id(row)}:{customer_id}",
        )
    log.info("suppression.lifted", suppression_id=row.id, by=actor.email, customers=len(customers))
    return SuppressionLifted(**as_out(row).model_dump(), recorded_for_customers=customers)
