"""Customers: the accounting sync, hierarchy, contacts, defaults on sync, pause and history."""

from __future__ import annotations

from sqlmodel import col, func, select

from api.deps import UnitOfWork
from api.errors import Conflict, Invalid, NotFound
from api.schemas.customers import (
    ContactIn,
    CustomerCreate,
    CustomerUpdate,
    PauseRequest,
    SyncItem,
    SyncResult,
)
from api.services.common import get_or_404, live_enrollment, now, signal_after_commit
from api.services.enrollments import enroll_customer
from models import Contact, Customer, HistoryEntry, User
from models.history import write_history
from models.repository import load_organization
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import PauseSignal, ResumeSignal

SYNCED_FIELDS = ("name", "currency", "locale", "bill_to_parent", "autopay", "autopay_anchor", "specialist_id")


async def _by_external_id(uow: UnitOfWork, external_ids: list[str]) -> dict[str, Customer]:
    if not external_ids:
        return {}
    rows = (await uow.session.exec(select(Customer).where(col(Customer.external_id).in_(external_ids)))).all()
    return {c.external_id: c for c in rows}


async def _check_parent(uow: UnitOfWork, customer: Customer, parent: Customer | None) -> None:
    """A parent must exist and must not be the customer itself or one of its descendants."""
    if parent is None:
        return
    seen = {customer.id}
    cursor: Customer | None = parent
    while cursor is not None:
        if cursor.id in seen:
            raise Invalid(
                f"{customer.external_id}: parent {parent.external_id} would make a cycle",
                code="hierarchy_cycle",
            )
        seen.add(cursor.id)
        cursor = await uow.session.get(Customer, cursor.parent_id) if cursor.parent_id else None


async def _apply(
    uow: UnitOfWork, customer: Customer, data: CustomerCreate | CustomerUpdate, parents: dict[str, Customer]
) -> bool:
    changed = False
    values = data.model_dump(exclude_unset=isinstance(data, CustomerUpdate))
    for field in SYNCED_FIELDS:
        if field in values and values[field] is not None:
            value = values[field].value if hasattr(values[field], "value") else values[field]
            if getattr(customer, field) != value:
                setattr(customer, field, value)
                changed = True
    if customer.specialist_id is not None and await uow.session.get(User, customer.specialist_id) is None:
        raise Invalid(f"specialist {customer.specialist_id} does not exist")
    if "parent_external_id" in values:
        ref = values["parent_external_id"]
        parent = None
        if ref is not None:
            parent = parents.get(ref) or (await _by_external_id(uow, [ref])).get(ref)
            if parent is None:
                raise Invalid(f"{customer.external_id}: parent {ref} does not exist", code="unknown_parent")
        await _check_parent(uow, customer, parent)
        parent_id = parent.id if parent else None
        if customer.parent_id != parent_id:
            customer.parent_id = parent_id
            changed = True
    if customer.bill_to_parent and customer.parent_id is None:
        raise Invalid(
            f"{customer.external_id}: bill_to_parent needs a parent", code="bill_to_parent_without_parent"
        )
    if changed:
        customer.updated_at = now()
        uow.session.add(customer)
    return changed


async def _add_contacts(uow: UnitOfWork, customer: Customer, contacts: list[ContactIn]) -> None:
    for contact in contacts:
        if contact.email is None and contact.phone is None:
            raise Invalid("a contact needs an email or a phone number")
        uow.session.add(
            Contact(
                customer_id=customer.id or 0,
                name=contact.name,
                email=contact.email,
                phone=contact.phone,
                roles=[r.value for r in contact.roles],
            )
        )


async def _enroll_new(uow: UnitOfWork, customer: Customer, actor: str) -> int | None:
    """Defaults on sync: the parent's workflow for a bill-to-parent child, else the default one."""
    org = await load_organization(uow.session)
    definition_id = org.autopay_definition_id if customer.autopay else org.default_definition_id
    individually = True
    if customer.bill_to_parent and customer.parent_id is not None:
        parent_enrollment = await live_enrollment(uow.session, customer.parent_id)
        if parent_enrollment is not None:
            definition_id, individually = parent_enrollment.definition_id, False
    if definition_id is None:
        return None
    await enroll_customer(uow, customer, definition_id, actor, individually=individually)
    return definition_id


async def sync_customers(uow: UnitOfWork, batch: list[CustomerCreate], actor: User) -> SyncResult:
    """Upsert by external id, parents before children; the same batch twice changes nothing."""
    ids = [c.external_id for c in batch]
    duplicates = sorted({x for x in ids if ids.count(x) > 1})
    if duplicates:
        raise Conflict(
            "duplicate external ids in the request", code="duplicate_external_id", details=duplicates
        )
    existing = await _by_external_id(uow, ids)
    known = dict(existing)
    pending = list(batch)
    ordered: list[CustomerCreate] = []
    # Parents first, so that a child can name a parent created in the same batch.
    while pending:
        ready = [
            c
            for c in pending
            if c.parent_external_id is None
            or c.parent_external_id not in ids
            or c.parent_external_id in {o.external_id for o in ordered}
        ]
        if not ready:
            raise Invalid("the batch's parent references form a cycle", code="hierarchy_cycle")
        ordered.extend(ready)
        pending = [c for c in pending if c not in ready]
    result = SyncResult(created=0, updated=0, unchanged=0, items=[])
    created: list[Customer] = []
    for item in ordered:
        customer = known.get(item.external_id)
        if customer is None:
            customer = Customer(external_id=item.external_id, name=item.name)
            uow.session.add(customer)
            await uow.session.flush()
            await _apply(uow, customer, item, known)
            await _add_contacts(uow, customer, item.contacts)
            known[item.external_id] = customer
            created.append(customer)
            outcome = "created"
            result.created += 1
        elif await _apply(uow, customer, item, known):
            outcome = "updated"
            result.updated += 1
        else:
            outcome = "unchanged"
            result.unchanged += 1
        result.items.append(SyncItem(external_id=item.external_id, id=customer.id or 0, outcome=outcome))
    await uow.session.flush()
    enrolled = {}
    for customer in created:  # after the whole batch, so children see their parents' enrollments
        enrolled[customer.id] = await _enroll_new(uow, customer, actor.email)
    for sync_item in result.items:
        sync_item.enrolled_in = enrolled.get(sync_item.id)
    return result


async def create_customer(uow: UnitOfWork, request: CustomerCreate, actor: User) -> Customer:
    if await _by_external_id(uow, [request.external_id]):
        raise Conflict(f"customer {request.external_id} exists", code="duplicate_external_id")
    result = await sync_customers(uow, [request], actor)
    return await get_or_404(uow.session, Customer, result.items[0].id, "customer")


async def update_customer(uow: UnitOfWork, customer_id: int, change: CustomerUpdate) -> Customer:
    customer = await get_or_404(uow.session, Customer, customer_id, "customer")
    await _apply(uow, customer, change, {})
    return customer


async def list_customers(
    uow: UnitOfWork, limit: int, offset: int, search: str | None
) -> tuple[list[Customer], int]:
    query = select(Customer)
    if search:
        like = f"%{search.replace('%', '').replace('_', '')}%"
        query = query.where(col(Customer.name).ilike(like) | col(Customer.external_id).ilike(like))
    total = (await uow.session.exec(select(func.count()).select_from(query.subquery()))).one()
    rows = (await uow.session.exec(query.order_by(col(Customer.id)).limit(limit).offset(offset))).all()
    return list(rows), int(total)


async def add_contact(uow: UnitOfWork, customer_id: int, contact: ContactIn) -> Contact:
    customer = await get_or_404(uow.session, Customer, customer_id, "customer")
    await _add_contacts(uow, customer, [contact])
    await uow.session.flush()
    rows = (
        await uow.session.exec(
            select(Contact).where(Contact.customer_id == customer_id).order_by(col(Contact.id).desc())
        )
    ).first()
    assert rows is not None
    return rows


async def list_contacts(uow: UnitOfWork, customer_id: int) -> list[Contact]:
    await get_or_404(uow.session, Customer, customer_id, "customer")
    return list(
        (
            await uow.session.exec(
                select(Contact).where(Contact.customer_id == customer_id).order_by(col(Contact.id))
            )
        ).all()
    )


async def delete_contact(uow: UnitOfWork, customer_id: int, contact_id: int) -> None:
    contact = await uow.session.get(Contact, contact_id)
    if contact is None or contact.customer_id != customer_id:
        raise NotFound(f"contact {contact_id} of customer {customer_id} does not exist")
    await uow.session.delete(contact)


async def pause_customer(uow: UnitOfWork, customer_id: int, request: PauseRequest, actor: User) -> Customer:
    customer = await get_or_404(uow.session, Customer, customer_id, "customer")
    if request.until is not None and request.until <= now():
        raise Invalid("until must be in the future")
    customer.paused, customer.paused_until = True, request.until
    customer.pause_reason, customer.paused_by = request.reason, actor.email
    uow.session.add(customer)
    until = f" until {request.until.isoformat()}" if request.until else ""
    await write_history(
        uow.session,
        customer_id=customer_id,
        action="customer_paused",
        description=f"Paused{until}: {request.reason}",
        actor=actor.email,
        occurred_at=now(),
    )
    enrollment = await live_enrollment(uow.session, customer_id)
    if enrollment is not None:
        enrollment.state = "paused"
        uow.session.add(enrollment)
        signal = PauseSignal(actor=actor.email, reason=request.reason, until=request.until)
        signal_after_commit(uow, enrollment.workflow_id, EnrollmentWorkflow.pause, signal)
    return customer


async def resume_customer(uow: UnitOfWork, customer_id: int, actor: User) -> Customer:
    customer = await get_or_404(uow.session, Customer, customer_id, "customer")
    if not customer.paused:
        return customer
    customer.paused, customer.paused_until, customer.pause_reason, customer.paused_by = (
        False,
        None,
        None,
        None,
    )
    uow.session.add(customer)
    await write_history(
        uow.session,
        customer_id=customer_id,
        action="customer_resumed",
        description="Resumed",
        actor=actor.email,
        occurred_at=now(),
    )
    enrollment = await live_enrollment(uow.session, customer_id)
    if enrollment is not None:
        enrollment.state = "active"
        uow.session.add(enrollment)
        signal_after_commit(
            uow, enrollment.workflow_id, EnrollmentWorkflow.resume, ResumeSignal(actor=actor.email)
        )
    return customer


async def history(
    uow: UnitOfWork, customer_id: int, limit: int, offset: int
) -> tuple[list[HistoryEntry], int]:
    await get_or_404(uow.session, Customer, customer_id, "customer")
    query = select(HistoryEntry).where(HistoryEntry.customer_id == customer_id)
    total = (await uow.session.exec(select(func.count()).select_from(query.subquery()))).one()
    rows = (
        await uow.session.exec(
            query.order_by(col(HistoryEntry.occurred_at).desc(), col(HistoryEntry.id).desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return list(rows), int(total)
