"""Promises to pay: record one (dunning pauses for what it covers), list them, cancel one, and
keep the open ones whose covered invoices the sync shows paid. The deadline itself is the
`PromiseToPay` workflow's (workflows/promise.py), started after the commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain import promises as rules
from domain.enums import CollectionStatus, HistoryAction, PromiseState
from domain.history import ENGINE_ACTOR
from domain.money import format_amount
from domain.wording import local_time
from models import Invoice, PromiseInvoice, PromiseToPay, User
from models.base import require_id
from models.history import write_history
from models.repository import (
    calendar_of,
    customer_calendar_of,
    load_customer,
    load_organization,
    open_invoices,
)
from models.repository.errors import NotFound as RowMissing
from models.repository.holds import move_collection_status
from models.repository.promises import (
    close_promise,
    covered_invoices,
    covered_view,
    invoices_by_ids,
    load_promise,
    numbers_under_open_promise,
    open_promises_of_customers,
    promises_of,
)
from services.common import now
from services.customer_sync import refresh_enrollments_of
from services.errors import Conflict, Invalid, NotFound
from services.schemas.promises import PromiseCreate, PromisedInvoiceOut, PromiseOut
from services.unit_of_work import UnitOfWork
from workflows.client import start_promise_deadline
from workflows.promise import PromiseWorkflow
from workflows.promise_types import PromiseClosedSignal, PromiseInput, promise_workflow_id


def _candidate(invoice: Invoice) -> rules.Candidate:
    return rules.Candidate(
        invoice_id=require_id(invoice),
        number=invoice.number,
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        status=invoice.status,
        balance_due=invoice.balance_due,
        collection_status=invoice.collection_status,
    )


async def _today(uow: UnitOfWork) -> date:
    return calendar_of(await load_organization(uow.session)).local_date_of(now())


async def _covered_by_request(uow: UnitOfWork, customer_id: int, request: PromiseCreate) -> list[Invoice]:
    if request.whole_balance:
        return [i for i in await open_invoices(uow.session, customer_id) if rules.coverable(_candidate(i))]
    found = await invoices_by_ids(uow.session, request.invoice_ids, lock=True)
    missing = sorted(set(request.invoice_ids) - {require_id(i) for i in found})
    if missing:
        raise Invalid("unknown invoices", code="unknown_invoice", details=missing)
    return found


async def _same_open_promise(
    uow: UnitOfWork, customer_id: int, request: PromiseCreate, actor: User
) -> PromiseToPay | None:
    """The open promise this request already recorded: same person, date, amount and invoices."""
    for promise in await open_promises_of_customers(uow.session, [customer_id]):
        if (promise.recorded_by, promise.promised_date, promise.whole_balance) != (
            actor.email,
            request.promised_date,
            request.whole_balance,
        ):
            continue
        if request.amount is not None and promise.amount != request.amount:
            continue
        if not request.whole_balance:
            covered = (await covered_invoices(uow.session, [require_id(promise)]))[require_id(promise)]
            if {require_id(invoice) for _, invoice in covered} != set(request.invoice_ids):
                continue
        return promise
    return None


async def record_promise(
    uow: UnitOfWork, customer_id: int, request: PromiseCreate, actor: User
) -> PromiseOut:
    try:
        # Locked: two promises recorded at once for one customer cannot both pass the overlap check.
        customer = await load_customer(uow.session, customer_id, lock=True)
    except RowMissing:
        raise NotFound(f"customer {customer_id} does not exist", details={"id": customer_id}) from None
    org = await load_organization(uow.session)
    calendar = await customer_calendar_of(uow.session, org, customer)
    same = await _same_open_promise(uow, customer_id, request, actor)
    if same is not None:
        # The same request again (its answer was lost, or Temporal was unreachable after the
        # commit): the promise it recorded, with its deadline workflow started if it is not.
        _start_deadline_after_commit(uow, same, customer.name)
        return (await _out(uow, [same]))[0]
    invoices = await _covered_by_request(uow, customer_id, request)
    try:
        amount = rules.check_promise(
            customer_id=customer_id,
            invoices=[_candidate(i) for i in invoices],
            promised_date=request.promised_date,
            today=calendar.local_date_of(now()),
            amount=request.amount,
            already_promised=await numbers_under_open_promise(uow.session, [require_id(i) for i in invoices]),
        )
    except rules.PromiseError as err:
        raise (Conflict if err.conflict else Invalid)(str(err), code=err.code) from None
    at = now()
    promise = PromiseToPay(
        customer_id=customer_id,
        whole_balance=request.whole_balance,
        amount=amount,
        currency=invoices[0].currency,
        promised_date=request.promised_date,
        grace_days=org.promise_grace_days,
        deadline_at=rules.deadline(request.promised_date, org.promise_grace_days, calendar),
        note=request.note,
        recorded_by=actor.email,
        recorded_at=at,
    )
    uow.session.add(promise)
    await uow.session.flush()
    promise_id = require_id(promise)
    for invoice in invoices:
        uow.session.add(
            PromiseInvoice(
                promise_id=promise_id, invoice_id=require_id(invoice), balance_at_promise=invoice.balance_due
            )
        )
        move_collection_status(invoice, CollectionStatus.PROMISED, at)
        uow.session.add(invoice)
    numbers = ", ".join(i.number for i in invoices)
    note = f": {request.note}" if request.note else ""
    await write_history(
        uow.session,
        customer_id=customer_id,
        action=HistoryAction.PROMISE_RECORDED,
        description=(
            f"Promise to pay {format_amount(amount, promise.currency)} by "
            f"{request.promised_date.isoformat()} recorded by {actor.email} for {numbers}; dunning pauses "
            f"for them until it is kept, or broken on "
            f"{local_time(promise.deadline_at, calendar.time_zone)}{note}"
        ),
        actor=actor.email,
        occurred_at=at,
        details={"promise_id": promise_id, "amount": str(amount), "invoices": [i.number for i in invoices]},
    )
    await refresh_enrollments_of(uow, [customer_id], "promise to pay recorded")
    _start_deadline_after_commit(uow, promise, customer.name)
    await uow.session.flush()
    return (await _out(uow, [promise]))[0]


def _start_deadline_after_commit(uow: UnitOfWork, promise: PromiseToPay, customer_name: str) -> None:
    # Read now: the row is not to be touched once its transaction is over.
    start_input = PromiseInput(
        promise_id=require_id(promise), customer_id=promise.customer_id, deadline_at=promise.deadline_at
    )

    async def start() -> None:
        await start_promise_deadline(
            uow.state.temporal, start_input, customer_name=customer_name, task_queue=uow.state.task_queue
        )

    uow.after_commit(start, required=True, key=promise_workflow_id(start_input.promise_id))


def _end_deadline_after_commit(uow: UnitOfWork, promise_id: int, reason: str) -> None:
    workflow_id = promise_workflow_id(promise_id)

    async def send() -> None:
        handle = uow.state.temporal.get_workflow_handle(workflow_id)
        await handle.signal(PromiseWorkflow.closed, PromiseClosedSignal(reason=reason))

    uow.after_commit(send, key=workflow_id)


async def _out(uow: UnitOfWork, promises: Sequence[PromiseToPay]) -> list[PromiseOut]:
    covered = await covered_invoices(uow.session, [require_id(p) for p in promises])
    shown = []
    for promise in promises:
        rows = covered[require_id(promise)]
        paid = (
            promise.paid_at_close
            if promise.paid_at_close is not None
            else rules.paid_so_far(covered_view(rows))
        )
        shown.append(
            PromiseOut(
                id=require_id(promise),
                customer_id=promise.customer_id,
                state=promise.state,
                whole_balance=promise.whole_balance,
                amount=promise.amount,
                currency=promise.currency,
                paid_so_far=paid,
                payment=rules.payment_words(paid, promise.amount, promise.currency),
                promised_date=promise.promised_date,
                grace_days=promise.grace_days,
                deadline_at=promise.deadline_at,
                note=promise.note,
                recorded_by=promise.recorded_by,
                recorded_at=promise.recorded_at,
                closed_at=promise.closed_at,
                closed_by=promise.closed_by,
                invoices=[
                    PromisedInvoiceOut(
                        invoice_id=require_id(invoice),
                        number=invoice.number,
                        balance_at_promise=link.balance_at_promise,
                        balance_due=invoice.balance_due,
                        status=invoice.status,
                        collection_status=invoice.collection_status,
                    )
                    for link, invoice in rows
                ],
            )
        )
    return shown


async def list_promises(uow: UnitOfWork, customer_id: int, state: PromiseState | None) -> list[PromiseOut]:
    try:
        await load_customer(uow.session, customer_id)
    except RowMissing:
        raise NotFound(f"customer {customer_id} does not exist", details={"id": customer_id}) from None
    return await _out(uow, await promises_of(uow.session, customer_id, state=state))


async def cancel_promise(uow: UnitOfWork, promise_id: int, actor: User) -> PromiseOut:
    """A person withdraws the promise: what it covers is back in collection now."""
    promise = await load_promise(uow.session, promise_id, lock=True)
    if promise is None:
        raise NotFound(f"promise {promise_id} does not exist", details={"id": promise_id})
    if promise.state != PromiseState.OPEN:
        raise Conflict(f"promise {promise_id} is {promise.state}", code="promise_closed")
    await close_promise(
        uow.session, promise, PromiseState.CANCELLED, actor=actor.email, at=now(), today=await _today(uow)
    )
    await refresh_enrollments_of(uow, [promise.customer_id], "promise to pay cancelled")
    _end_deadline_after_commit(uow, promise_id, f"cancelled by {actor.email}")
    return (await _out(uow, [promise]))[0]


async def keep_paid_promises(uow: UnitOfWork, customer_ids: Sequence[int]) -> int:
    """After a sync or a correction: an open promise now paid in full is kept and closed (the
    deadline's workflow ends early). Breaking waits for the deadline's own workflow."""
    if not customer_ids:
        return 0
    promises = await open_promises_of_customers(uow.session, customer_ids)
    if not promises:
        return 0
    covered = await covered_invoices(uow.session, [require_id(p) for p in promises])
    kept = 0
    at = now()
    for promise in promises:
        view = covered_view(covered[require_id(promise)])
        if rules.outcome(promise.amount, view, promise.deadline_at, at) != PromiseState.KEPT:
            continue
        await close_promise(
            uow.session, promise, PromiseState.KEPT, actor=ENGINE_ACTOR, at=at, today=await _today(uow)
        )
        _end_deadline_after_commit(uow, require_id(promise), "kept: paid in full")
        kept += 1
    if kept:
        await refresh_enrollments_of(uow, sorted({p.customer_id for p in promises}), "promise to pay kept")
    return kept
