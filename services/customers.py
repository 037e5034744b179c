"""Customers: create, read, change (hierarchy included), contacts, pause and resume, history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog

from domain.history import HISTORY_KINDS, HistoryKind
from models import Contact, Customer, HistoryEntry, User
from models.base import require_id
from models.repository import (
    children_of,
    contacts_of,
    customer_ids_matching,
    customers_by_external_id,
    customers_by_id,
    customers_page,
    history_page,
    live_enrollment,
    load_organization,
)
from models.repository.pauses import pause_and_record, resume_and_record
from services.common import get_or_404, now, signal_after_commit
from services.customer_sync import (
    LOCAL_TIME_FIELDS,
    SYNCED_FIELDS,
    check_bill_to_parent,
    check_parent,
    check_specialists,
    contact_rows,
    follow_autopay_switch,
    refresh_enrollments_of,
    set_fields,
    sync_customers,
)
from services.errors import Conflict, Invalid, NotFound
from services.schemas.customers import ContactIn, CustomerCreate, CustomerUpdate, PauseRequest
from services.unit_of_work import UnitOfWork
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import PauseSignal, ResumeSignal

log = structlog.get_logger("arcadence.api")
MAX_PAUSE = timedelta(days=3653)
# A PATCH sets the same plain fields a sync does.
PLAIN_FIELDS = (*SYNCED_FIELDS, *sorted(LOCAL_TIME_FIELDS))


async def create_customer(uow: UnitOfWork, request: CustomerCreate, actor: User) -> Customer:
    """One customer, with the same rules (and defaults) as the sync; 409 if the id is taken."""
    if await customers_by_external_id(uow.session, [request.external_id]):
        raise Conflict(
            f"customer {request.external_id} exists",
            code="duplicate_external_id",
            details=[request.external_id],
        )
    result = await sync_customers(uow, [request], actor)
    return await get_or_404(uow.session, Customer, result.items[0].id, "customer")


async def update_customer(uow: UnitOfWork, customer_id: int, change: CustomerUpdate, actor: User) -> Customer:
    """A partial change; a running enrollment re-plans on it (parent, currency…), and moves
    workflow when auto-pay is switched on or off."""
    customer = await get_or_404(uow.session, Customer, customer_id, "customer")
    was_autopay = customer.autopay
    sent = change.model_dump(exclude_unset=True)
    if sent.get("specialist_id") is not None:
        await check_specialists(uow, {sent["specialist_id"]})
    moves = "parent_id" in sent or "parent_external_id" in sent
    # The parent is looked up before any field changes: the lookup flushes the session, and a
    # customer made bill-to-parent in the same change must not be flushed without its parent.
    parent = await _parent(uow, sent.get("parent_id"), sent.get("parent_external_id")) if moves else None
    changed = set_fields(customer, {k: v for k, v in sent.items() if k in PLAIN_FIELDS})
    if moves and customer.parent_id != (parent.id if parent else None):
        await check_parent(uow, customer, parent)
        customer.parent_id = parent.id if parent else None
        changed = True
    check_bill_to_parent(customer)
    if changed:
        customer.updated_at = now()
        uow.session.add(customer)
        await refresh_enrollments_of(uow, [customer_id], "customer changed")
        await follow_autopay_switch(uow, customer, was_autopay, actor)
    return customer


async def _parent(uow: UnitOfWork, parent_id: int | None, external_id: str | None) -> Customer | None:
    if parent_id is not None:
        parent = await uow.session.get(Customer, parent_id)
    elif external_id is not None:
        parent = (await customers_by_external_id(uow.session, [external_id])).get(external_id)
    else:
        return None
    if parent is None:
        raise Invalid(
            f"parent {parent_id or external_id} does not exist",
            code="unknown_parent",
            details=[parent_id or external_id],
        )
    return parent


async def list_customers(
    uow: UnitOfWork,
    limit: int,
    offset: int,
    search: str | None,
    paused: bool | None,
    definition_id: int | None = None,
    enrollment: str | None = None,
) -> tuple[list[Customer], int]:
    """`enrollment`: the live enrollment's state (active, paused) or `none` (not enrolled)."""
    return await customers_page(uow.session, limit, offset, search, paused, definition_id, enrollment)


async def matching_ids(
    uow: UnitOfWork,
    limit: int,
    search: str | None,
    paused: bool | None,
    definition_id: int | None = None,
    enrollment: str | None = None,
) -> list[int]:
    """The ids `list_customers` pages through (the first `limit`), e.g. for a bulk enrollment."""
    return await customer_ids_matching(uow.session, limit, search, paused, definition_id, enrollment)


async def names_of(uow: UnitOfWork, customer_ids: list[int]) -> dict[int, str]:
    return {i: c.name for i, c in (await customers_by_id(uow.session, customer_ids)).items()}


@dataclass(frozen=True)
class Hierarchy:
    parent: Customer | None
    children: list[Customer]


async def hierarchy(uow: UnitOfWork, customer: Customer) -> Hierarchy:
    """A customer's parent and direct children."""
    parent = await uow.session.get(Customer, customer.parent_id) if customer.parent_id else None
    return Hierarchy(parent=parent, children=await children_of(uow.session, require_id(customer)))


async def add_contact(uow: UnitOfWork, customer_id: int, contact: ContactIn) -> Contact:
    await get_or_404(uow.session, Customer, customer_id, "customer")
    [row] = contact_rows(customer_id, [contact])
    uow.session.add(row)
    await uow.session.flush()
    return row


async def list_contacts(uow: UnitOfWork, customer_id: int) -> list[Contact]:
    await get_or_404(uow.session, Customer, customer_id, "customer")
    return await contacts_of(uow.session, customer_id)


async def delete_contact(uow: UnitOfWork, customer_id: int, contact_id: int) -> None:
    contact = await uow.session.get(Contact, contact_id)
    if contact is None or contact.customer_id != customer_id:
        raise NotFound(f"contact {contact_id} of customer {customer_id} does not exist")
    await uow.session.delete(contact)


async def pause_customer(uow: UnitOfWork, customer_id: int, request: PauseRequest, actor: User) -> Customer:
    """Postgres first (the truth the workflow re-reads), then a `pause` nudge after the commit."""
    customer = await get_or_404(uow.session, Customer, customer_id, "customer")
    if request.until is not None and request.until <= now():
        raise Invalid("until must be in the future", code="until_in_the_past")
    if request.until is not None and request.until > now() + MAX_PAUSE:
        raise Invalid("a pause with an end lasts at most ten years; pause without one instead")
    enrollment = await live_enrollment(uow.session, customer_id, lock=True)
    await pause_and_record(
        uow.session,
        customer,
        until=request.until,
        reason=request.reason,
        actor=actor.email,
        occurred_at=now(),
        enrollment=enrollment,
    )
    log.info("customer.paused", customer_id=customer_id, actor=actor.email, until=request.until)
    if enrollment is not None:
        signal = PauseSignal(actor=actor.email, reason=request.reason, until=request.until)
        signal_after_commit(uow, enrollment.workflow_id, EnrollmentWorkflow.pause, signal)
    return customer


async def resume_customer(uow: UnitOfWork, customer_id: int, actor: User) -> Customer:
    """Resuming a customer that is not paused changes nothing."""
    customer = await get_or_404(uow.session, Customer, customer_id, "customer")
    if not customer.paused:
        return customer
    enrollment = await live_enrollment(uow.session, customer_id, lock=True)
    await resume_and_record(
        uow.session,
        customer,
        description=f"Resumed by {actor.email}",
        actor=actor.email,
        occurred_at=now(),
        enrollment=enrollment,
    )
    log.info("customer.resumed", customer_id=customer_id, actor=actor.email)
    if enrollment is not None:
        signal_after_commit(
            uow, enrollment.workflow_id, EnrollmentWorkflow.resume, ResumeSignal(actor=actor.email)
        )
    return customer


@dataclass(frozen=True)
class HistoryFilter:
    """Which entries of a customer history to read: one kind of action (`domain.history`), and the
    days from `since` to `until` (both included), as days in the organization's time zone."""

    kind: HistoryKind | None = None
    since: date | None = None
    until: date | None = None

    @property
    def any(self) -> bool:
        return self.kind is not None or self.since is not None or self.until is not None


def _start_of(day: date, zone: ZoneInfo) -> datetime | None:
    """The instant `day` starts in `zone`; none past what Python's datetime holds (no bound)."""
    try:
        return datetime.combine(day, time(0), zone).astimezone(UTC)
    except OverflowError:
        return None


async def history(
    uow: UnitOfWork,
    customer_id: int,
    limit: int,
    offset: int,
    filters: HistoryFilter | None = None,
) -> tuple[list[HistoryEntry], int]:
    """Newest first, narrowed by `filters`; a range that ends before it starts is refused."""
    await get_or_404(uow.session, Customer, customer_id, "customer")
    chosen = filters or HistoryFilter()
    if chosen.since and chosen.until and chosen.since > chosen.until:
        raise Invalid(
            "the history range ends before it starts",
            code="invalid_date_range",
            details={"since": chosen.since.isoformat(), "until": chosen.until.isoformat()},
        )
    zone = ZoneInfo((await load_organization(uow.session)).time_zone)
    start = _start_of(chosen.since, zone) if chosen.since else None
    end = None
    if chosen.until and chosen.until < date.max:
        end = _start_of(chosen.until + timedelta(days=1), zone)
    actions = HISTORY_KINDS[chosen.kind] if chosen.kind else None
    return await history_page(uow.session, customer_id, limit, offset, actions=actions, start=start, end=end)
