"""What the customer page shows of its promises to pay and disputes (read through the same
services as the API's `GET /customers/{id}/promises` and `GET /disputes`)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.disputes import reason_words
from domain.enums import DisputeReason
from models import Invoice
from services import disputes as dispute_service
from services import promises as promise_service
from services.schemas.promises import DisputeOut, PromiseOut
from services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Controls:
    """What the customer page shows of them."""

    promises: list[PromiseOut]
    disputes: list[tuple[DisputeOut, str]]
    reasons: dict[str, str]


async def controls_of(uow: UnitOfWork, customer_id: int) -> Controls:
    rows, _ = await dispute_service.list_disputes(uow, None, customer_id, 100, 0)
    numbers = {}
    for dispute in rows:
        invoice = await uow.session.get(Invoice, dispute.invoice_id)
        numbers[dispute.id] = invoice.number if invoice is not None else str(dispute.invoice_id)
    return Controls(
        promises=await promise_service.list_promises(uow, customer_id, None),
        disputes=[(DisputeOut.model_validate(d), numbers[d.id]) for d in rows],
        reasons={r.value: reason_words(r) for r in DisputeReason},
    )
