"""What the customer's timeline shows of the collector's controls: each open promise to pay
with what happens if it breaks, and each open dispute on its invoice."""

from __future__ import annotations

from domain import promises as rules
from domain.disputes import reason_words
from domain.enums import DisputeState, PromiseState
from domain.invoices import is_owed
from models import Customer, User
from models.base import require_id
from models.repository.disputes import disputes_of
from models.repository.promises import covered_invoices, covered_view, promises_of
from services.schemas.promises import OpenDisputeNote, OpenPromiseNote
from services.unit_of_work import UnitOfWork


async def open_promise_notes(uow: UnitOfWork, customer: Customer) -> list[OpenPromiseNote]:
    promises = await promises_of(uow.session, require_id(customer), state=PromiseState.OPEN)
    if not promises:
        return []
    covered = await covered_invoices(uow.session, [require_id(p) for p in promises])
    specialist = await uow.session.get(User, customer.specialist_id) if customer.specialist_id else None
    notes = []
    for promise in promises:
        rows = covered[require_id(promise)]
        paid = rules.paid_so_far(covered_view(rows))
        still_owed = [i.number for _, i in rows if is_owed(i.status, i.balance_due)]
        notes.append(
            OpenPromiseNote(
                promise_id=require_id(promise),
                promised_date=promise.promised_date,
                deadline_at=promise.deadline_at,
                amount=promise.amount,
                currency=promise.currency,
                payment=rules.payment_words(paid, promise.amount, promise.currency),
                invoices=[i.number for _, i in rows],
                if_broken=rules.if_broken(still_owed, specialist.email if specialist else None),
            )
        )
    return notes


async def open_dispute_notes(uow: UnitOfWork, customer_id: int) -> list[OpenDisputeNote]:
    return [
        OpenDisputeNote(
            dispute_id=require_id(dispute),
            invoice_id=require_id(invoice),
            invoice_number=invoice.number,
            reason=reason_words(dispute.reason),
            note=dispute.note,
            opened_by=dispute.opened_by,
            opened_at=dispute.opened_at,
        )
        for dispute, invoice in await disputes_of(uow.session, customer_id)
        if dispute.state == DisputeState.OPEN
    ]
