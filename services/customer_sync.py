"""The accounting sync: customers upserted by external id, parents before children, and the
defaults a newly created customer gets (its enrollment).

Idempotent: the same batch twice changes nothing and enrolls nobody the second time.
"""

from __future__ import annotations

from collections import Counter, deque
from enum import Enum
from typing import Any

import structlog

from models import Contact, Customer, OrganizationSettings, User, WorkflowDefinition
from models.base import require_id
from models.repository import (
    customers_by_external_id,
    existing_user_ids,
    live_enrollment,
    live_enrollments_of_customers,
    load_organization,
)
from services.common import now, refresh_after_commit
from services.enrollments import enroll_customer, reassign
from services.errors import Conflict, Invalid
from services.schemas.customers import ContactIn, CustomerCreate, SyncItem, SyncResult
from services.unit_of_work import UnitOfWork

log = structlog.get_logger("arcadence.api")
SYNCED_FIELDS = (
    "name",
    "currency",
    "locale",
    "bill_to_parent",
    "billing_level",
    "autopay",
    "autopay_anchor",
    "specialist_id",
)
# Copied only when the sync sends them: a zone set by a person survives a sync that has none.
LOCAL_TIME_FIELDS = frozenset({"time_zone", "holiday_country"})


async def check_parent(uow: UnitOfWork, customer: Customer, parent: Customer | None) -> None:
    """A parent must not be the customer itself or one of its descendants (422 otherwise)."""
    if parent is None:
        return
    seen = {customer.id}
    cursor: Customer | None = parent
    while cursor is not None:
        if cursor.id in seen:
            raise Invalid(
                f"{customer.external_id}: parent {parent.external_id} would make a cycle",
                code="hierarchy_cycle",
                details={"customer": customer.external_id, "parent": parent.external_id},
            )
        seen.add(cursor.id)
        cursor = await uow.session.get(Customer, cursor.parent_id) if cursor.parent_id else None


def check_bill_to_parent(customer: Customer) -> None:
    if customer.bill_to_parent and customer.parent_id is None:
        raise Invalid(
            f"{customer.external_id}: bill_to_parent needs a parent",
            code="bill_to_parent_without_parent",
        )


async def check_specialists(uow: UnitOfWork, ids: set[int]) -> None:
    if not ids:
        return
    found = await existing_user_ids(uow.session, ids)
    missing = sorted(ids - found)
    if missing:
        raise Invalid("unknown specialists", code="unknown_specialist", details=missing)


def _synced(item: CustomerCreate) -> set[str]:
    return set(SYNCED_FIELDS) | (LOCAL_TIME_FIELDS & item.model_fields_set)


def set_fields(customer: Customer, values: dict[str, Any]) -> bool:
    """Copy the given synced fields; returns whether anything changed."""
    changed = False
    for field, value in values.items():
        plain = value.value if isinstance(value, Enum) else value
        if getattr(customer, field) != plain:
            setattr(customer, field, plain)
            changed = True
    return changed


def contact_rows(customer_id: int, contacts: list[ContactIn]) -> list[Contact]:
    return [
        Contact(
            customer_id=customer_id,
            name=c.name,
            email=c.email,
            phone=c.phone,
            roles=[r.value for r in dict.fromkeys(c.roles)],
            time_zone=c.time_zone,
        )
        for c in contacts
    ]


async def refresh_enrollments_of(uow: UnitOfWork, customer_ids: list[int], reason: str) -> int:
    """Ask the running enrollments of these customers to plan again (after the commit)."""
    if not customer_ids:
        return 0
    running = await live_enrollments_of_customers(uow.session, customer_ids)
    for enrollment in running:
        refresh_after_commit(uow, enrollment, reason)
    return len(running)


def _parents_first(batch: list[CustomerCreate]) -> list[CustomerCreate]:
    """Order the batch so that a parent comes before its children (Kahn's algorithm)."""
    in_batch = {c.external_id for c in batch}
    children: dict[str, list[CustomerCreate]] = {}
    ready: deque[CustomerCreate] = deque()
    for item in batch:
        parent = item.parent_external_id
        if parent is not None and parent in in_batch:
            children.setdefault(parent, []).append(item)
        else:
            ready.append(item)
    ordered: list[CustomerCreate] = []
    while ready:
        item = ready.popleft()
        ordered.append(item)
        ready.extend(children.pop(item.external_id, []))
    if len(ordered) != len(batch):
        looping = sorted(c.external_id for group in children.values() for c in group)
        raise Invalid("the batch's parent references form a cycle", code="hierarchy_cycle", details=looping)
    return ordered


async def _default_definition(
    uow: UnitOfWork, org: OrganizationSettings, customer: Customer
) -> tuple[int | None, str | None]:
    """The workflow a new customer starts in, or why it starts in none.

    Auto-pay customers go to the auto-pay workflow (never a dunning one); a bill-to-parent child
    follows its parent's workflow; everyone else gets the organization's default."""
    if customer.autopay:
        if org.autopay_definition_id is None:
            return None, "auto-pay customer and no auto-pay workflow is set"
        definition_id: int | None = org.autopay_definition_id
    else:
        definition_id = org.default_definition_id
        if customer.bill_to_parent and customer.parent_id is not None:
            parent_enrollment = await live_enrollment(uow.session, customer.parent_id)
            if parent_enrollment is not None:
                definition_id = parent_enrollment.definition_id
        if definition_id is None:
            return None, "no default workflow is set"
    definition = await uow.session.get(WorkflowDefinition, definition_id)
    if definition is None or not definition.enabled:
        return None, f"workflow {definition_id} is disabled"
    return definition_id, None


async def sync_customers(uow: UnitOfWork, batch: list[CustomerCreate], actor: User) -> SyncResult:
    """Upsert by external id; a new customer is enrolled by the defaults, an existing one is not
    touched beyond its synced fields (contacts are only added on creation)."""
    counts = Counter(c.external_id for c in batch)
    duplicates = sorted(x for x, n in counts.items() if n > 1)
    if duplicates:
        raise Conflict(
            "duplicate external ids in the request", code="duplicate_external_id", details=duplicates
        )
    ordered = _parents_first(batch)
    await check_specialists(uow, {c.specialist_id for c in batch if c.specialist_id is not None})
    referenced = {c.parent_external_id for c in batch if c.parent_external_id is not None}
    known = await customers_by_external_id(uow.session, sorted(referenced | set(counts)))
    missing = sorted(ref for ref in referenced if ref not in known and ref not in counts)
    if missing:
        raise Invalid("unknown parent customers", code="unknown_parent", details=missing)

    # New rows first, in one flush, so that every parent has an id before children point at it.
    created: dict[str, Customer] = {}
    for item in ordered:
        if item.external_id not in known:
            created[item.external_id] = customer = Customer(external_id=item.external_id, name=item.name)
            # bill_to_parent waits for the parent (a CHECK wants a parent first).
            set_fields(customer, item.model_dump(include=_synced(item) - {"bill_to_parent"}))
    uow.session.add_all(list(created.values()))
    await uow.session.flush()
    known.update(created)

    was_autopay = {x: c.autopay for x, c in known.items() if x not in created}
    result = SyncResult(created=0, updated=0, unchanged=0, items=[])
    for item in ordered:
        customer = known[item.external_id]
        changed = set_fields(customer, item.model_dump(include=_synced(item)))
        parent = known[item.parent_external_id] if item.parent_external_id is not None else None
        if customer.parent_id != (parent.id if parent else None):
            await check_parent(uow, customer, parent)
            customer.parent_id = parent.id if parent else None
            changed = True
        check_bill_to_parent(customer)
        if item.external_id in created:
            uow.session.add_all(contact_rows(require_id(customer), item.contacts))
            outcome = "created"
            result.created += 1
        elif changed:
            customer.updated_at = now()
            outcome = "updated"
            result.updated += 1
        else:
            outcome = "unchanged"
            result.unchanged += 1
        uow.session.add(customer)
        result.items.append(SyncItem(external_id=item.external_id, id=require_id(customer), outcome=outcome))
    await uow.session.flush()

    await refresh_enrollments_of(
        uow, [i.id for i in result.items if i.outcome == "updated"], "customer data synced"
    )
    for sync_item in result.items:
        if sync_item.external_id in was_autopay:
            moved = known[sync_item.external_id]
            note = await follow_autopay_switch(uow, moved, was_autopay[sync_item.external_id], actor)
            sync_item.enrollment_note = note or sync_item.enrollment_note

    # Enrolled after the whole batch is written, parents first: a child sees its parent's enrollment.
    org = await load_organization(uow.session)
    by_external_id = {i.external_id: i for i in result.items}
    for item in ordered:
        new = created.get(item.external_id)
        if new is None:
            continue
        definition_id, note = await _default_definition(uow, org, new)
        sync_item = by_external_id[item.external_id]
        if definition_id is None:
            sync_item.enrollment_note = note
            continue
        await enroll_customer(uow, new, definition_id, actor.email, individually=False, new_customer=True)
        sync_item.enrolled_in = definition_id
    log.info("customers.synced", created=result.created, updated=result.updated, unchanged=result.unchanged)
    return result


async def follow_autopay_switch(
    uow: UnitOfWork, customer: Customer, was_autopay: bool, actor: User
) -> str | None:
    """A customer switched to auto-pay moves to the organization's auto-pay workflow, one switched
    off it back to the default workflow (recorded as a reassign saying why). Returns why it did
    not move, if it has a live enrollment that stays where it is."""
    if customer.autopay == was_autopay:
        return None
    enrollment = await live_enrollment(uow.session, require_id(customer))
    if enrollment is None:
        return None
    org = await load_organization(uow.session)
    target = org.autopay_definition_id if customer.autopay else org.default_definition_id
    why = "auto-pay switched on" if customer.autopay else "auto-pay switched off"
    if target is None or target == enrollment.definition_id:
        return None if target is not None else f"{why}, and no workflow is set for it"
    definition = await uow.session.get(WorkflowDefinition, target)
    if definition is None or not definition.enabled:
        return f"{why}, but workflow {target} is disabled"
    await reassign(uow, require_id(enrollment), target, actor, because=why)
    return None
