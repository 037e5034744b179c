"""Queries shared by the activities and the API: rows loaded by id, and rows turned into the
pure `domain` types the rules work on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, func, literal
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import (
    AutopayAnchor,
    CatchUpPolicy,
    DefinitionKind,
    FrequencyPeriod,
    InvoiceStatus,
    StepAction,
)
from domain.recipients import ContactInfo, InternalUser
from domain.schedules import (
    EnrollmentContext,
    Frequency,
    InvoiceSpec,
    OrgCalendar,
    ScheduleSpec,
    StepSpec,
)
from domain.templates import OpenBalance
from models import (
    Contact,
    Customer,
    Delivery,
    Enrollment,
    Invoice,
    OrganizationSettings,
    User,
    WorkflowDefinition,
    WorkflowStep,
)

CLOSED_INVOICE_STATUSES = [InvoiceStatus.PAID, InvoiceStatus.VOID, InvoiceStatus.WRITTEN_OFF]

ACTION_WORDS = {
    StepAction.CUSTOMER_EMAIL: "email",
    StepAction.STATEMENT_EMAIL: "statement",
    StepAction.INTERNAL_NOTIFICATION: "internal notification",
    StepAction.SMS: "SMS",
    StepAction.TASK: "task",
    StepAction.NOTE: "note",
    StepAction.SET_INVOICE_STATUS: "invoice status change",
    StepAction.ASSIGN_SPECIALIST: "specialist assignment",
    StepAction.NOTIFY_SPECIALIST: "specialist notification",
}


class NotFound(LookupError):
    """A row that is needed does not exist."""


async def load_organization(session: AsyncSession) -> OrganizationSettings:
    org = (await session.exec(select(OrganizationSettings))).first()
    # An organization that never saved settings runs on the documented defaults.
    return org or OrganizationSettings(name="arcadence")


def calendar_of(org: OrganizationSettings) -> OrgCalendar:
    return OrgCalendar(
        time_zone=org.time_zone,
        send_time=org.send_time,
        business_days_only=org.business_days_only,
        holiday_country=org.holiday_country,
        send_window_minutes=org.send_window_minutes,
    )


async def load_enrollment(session: AsyncSession, enrollment_id: int, *, lock: bool = False) -> Enrollment:
    query = select(Enrollment).where(Enrollment.id == enrollment_id)
    if lock:
        query = query.with_for_update()
    enrollment = (await session.exec(query)).first()
    if enrollment is None:
        raise NotFound(f"enrollment {enrollment_id} does not exist")
    return enrollment


async def delivery_by_key(session: AsyncSession, key: str, *, lock: bool = False) -> Delivery:
    query = select(Delivery).where(Delivery.idempotency_key == key)
    if lock:
        query = query.with_for_update()
    row = (await session.exec(query)).first()
    if row is None:
        raise NotFound(f"delivery {key} does not exist")
    return row


async def load_customer(session: AsyncSession, customer_id: int, *, lock: bool = False) -> Customer:
    query = select(Customer).where(Customer.id == customer_id)
    if lock:
        query = query.with_for_update()
    customer = (await session.exec(query)).first()
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist")
    return customer


async def load_definition(
    session: AsyncSession, definition_id: int
) -> tuple[WorkflowDefinition, list[WorkflowStep]]:
    definition = await session.get(WorkflowDefinition, definition_id)
    if definition is None:
        raise NotFound(f"workflow definition {definition_id} does not exist")
    steps = list(
        (
            await session.exec(
                select(WorkflowStep)
                .where(WorkflowStep.definition_id == definition_id)
                .order_by(col(WorkflowStep.position))
            )
        ).all()
    )
    return definition, steps


def schedule_spec(definition: WorkflowDefinition, steps: Sequence[WorkflowStep]) -> ScheduleSpec:
    assert definition.id is not None
    frequency = None
    if definition.frequency:
        raw = definition.frequency
        frequency = Frequency(
            period=FrequencyPeriod(str(raw["period"])),
            weekday=int(raw["weekday"]),
            week_of_month=int(raw["week_of_month"]) if raw.get("week_of_month") is not None else None,
        )
    return ScheduleSpec(
        definition_id=definition.id,
        kind=DefinitionKind(definition.kind),
        steps=tuple(
            StepSpec(id=s.id, position=s.position, offset_days=s.offset_days, action=StepAction(s.action))
            for s in steps
            if s.id is not None
        ),
        frequency=frequency,
        catch_up=CatchUpPolicy(definition.catch_up),
        continue_with_id=definition.continue_with_id,
    )


async def open_invoices(session: AsyncSession, customer_id: int) -> list[Invoice]:
    """Invoices that may still be in a cadence (the domain rules make the final call)."""
    query = (
        select(Invoice)
        .where(Invoice.customer_id == customer_id)
        .where(col(Invoice.status).not_in(CLOSED_INVOICE_STATUSES))
        .where(col(Invoice.balance_due) > 0)
        .order_by(col(Invoice.due_date), col(Invoice.id))
    )
    return list((await session.exec(query)).all())


async def listed_invoices(session: AsyncSession, customer_id: int, limit: int) -> list[Invoice]:
    """The open, unpaused invoices a message lists: the `limit` oldest due."""
    query = (
        select(Invoice)
        .where(Invoice.customer_id == customer_id, col(Invoice.paused).is_(False))
        .where(col(Invoice.status).not_in(CLOSED_INVOICE_STATUSES))
        .where(col(Invoice.balance_due) > 0)
        .order_by(col(Invoice.due_date), col(Invoice.number))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def open_balance(session: AsyncSession, customer_id: int, currency: str, today: date) -> OpenBalance:
    """The customer's own open invoices in its home currency, summed in one statement."""
    is_open = and_(
        col(Invoice.customer_id) == customer_id,
        col(Invoice.status).not_in(CLOSED_INVOICE_STATUSES),
        col(Invoice.balance_due) > 0,
        col(Invoice.currency) == currency,
    )
    zero = literal(Decimal(0))
    query = sa_select(
        func.count(),
        func.coalesce(func.sum(Invoice.balance_due), zero),
        func.coalesce(func.sum(Invoice.balance_due).filter(col(Invoice.due_date) < today), zero),
        func.count().filter(col(Invoice.paused).is_(True)),
        func.coalesce(func.sum(Invoice.balance_due).filter(col(Invoice.paused).is_(True)), zero),
    ).where(is_open)
    count, outstanding, overdue, held_count, held = (await session.execute(query)).one()
    return OpenBalance(
        count=int(count),
        outstanding=Decimal(outstanding),
        overdue=Decimal(overdue),
        held_count=int(held_count),
        held=Decimal(held),
    )


def invoice_spec(invoice: Invoice) -> InvoiceSpec:
    assert invoice.id is not None
    return InvoiceSpec(
        id=invoice.id,
        number=invoice.number,
        status=InvoiceStatus(invoice.status),
        balance_due=invoice.balance_due,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        discount_end_date=invoice.discount_end_date,
        scheduled_payment_date=invoice.scheduled_payment_date,
        paused=invoice.paused,
    )


def enrollment_context(
    enrollment: Enrollment, customer: Customer, invoices: Sequence[Invoice]
) -> EnrollmentContext:
    assert enrollment.id is not None
    return EnrollmentContext(
        enrollment_id=enrollment.id,
        anchor_date=enrollment.anchor_date,
        invoices=tuple(invoice_spec(i) for i in invoices),
        autopay_anchor=AutopayAnchor(customer.autopay_anchor),
    )


def pause_in_force(customer: Customer, as_of: datetime) -> bool:
    return customer.paused and (customer.paused_until is None or customer.paused_until > as_of)


def step_label(position: int, action: str, invoice_number: str | None) -> str:
    words = ACTION_WORDS.get(StepAction(action), action)
    target = f" for {invoice_number}" if invoice_number else ""
    return f"step {position + 1} ({words}){target}"


async def contact_infos(session: AsyncSession, customer_id: int) -> list[ContactInfo]:
    """A customer's contacts as the recipient rules see them (suppressed ones flagged)."""
    rows = (
        await session.exec(
            select(Contact).where(Contact.customer_id == customer_id).order_by(col(Contact.id))
        )
    ).all()
    return [
        ContactInfo(
            id=c.id or 0,
            name=c.name,
            email=c.email,
            phone=c.phone,
            roles=tuple(c.roles),
            suppressed=c.suppressed_at is not None,
        )
        for c in rows
    ]


async def active_internal_users(session: AsyncSession, ids: list[int]) -> dict[int, InternalUser]:
    """The active users among `ids`, as internal recipients."""
    if not ids:
        return {}
    query = select(User).where(col(User.id).in_(ids)).where(col(User.active).is_(True))
    return {
        u.id: InternalUser(id=u.id, name=u.name, email=u.email)
        for u in (await session.exec(query)).all()
        if u.id is not None
    }
