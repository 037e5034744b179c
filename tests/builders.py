"""Builders of valid rows for tests: each takes overrides and flushes the row."""

from __future__ import annotations

import uuid
from datetime import date, time
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import ContactRole, DefinitionKind
from models import (
    Contact,
    Customer,
    Enrollment,
    Invoice,
    OrganizationSettings,
    Template,
    User,
    WorkflowDefinition,
    WorkflowStep,
)


def uid() -> str:
    return uuid.uuid4().hex[:12]


async def add(session: AsyncSession, row: Any) -> Any:
    session.add(row)
    await session.flush()
    return row


async def make_org(session: AsyncSession, **overrides: Any) -> OrganizationSettings:
    values: dict[str, Any] = {
        "name": "Acme AR",
        "time_zone": "America/New_York",
        "send_time": time(14, 30),
        "sender_name": "Acme Accounts Receivable",
        "sender_email": "ar@acme.example",
        "reply_to": "collections@acme.example",
    }
    values.update(overrides)
    org: OrganizationSettings = await add(session, OrganizationSettings(**values))
    return org


async def make_user(session: AsyncSession, **overrides: Any) -> User:
    values: dict[str, Any] = {
        "name": "Sam Specialist",
        "email": f"sam-{uid()}@acme.example",
        "role": "ar_specialist",
    }
    values.update(overrides)
    user: User = await add(session, User(**values))
    return user


async def make_customer(session: AsyncSession, **overrides: Any) -> Customer:
    values: dict[str, Any] = {"external_id": f"C-{uid()}", "name": "Globex Corp", "currency": "USD"}
    values.update(overrides)
    customer: Customer = await add(session, Customer(**values))
    return customer


async def make_contact(session: AsyncSession, customer: Customer, **overrides: Any) -> Contact:
    values: dict[str, Any] = {
        "customer_id": customer.id,
        "name": "Jane Payables",
        "email": f"ap-{uid()}@globex.example",
        "roles": [ContactRole.COMMUNICATION.value],
    }
    values.update(overrides)
    contact: Contact = await add(session, Contact(**values))
    return contact


async def make_invoice(session: AsyncSession, customer: Customer, **overrides: Any) -> Invoice:
    values: dict[str, Any] = {
        "external_id": f"I-{uid()}",
        "customer_id": customer.id,
        "number": f"INV-{uid()[:6]}",
        "currency": "USD",
        "total": Decimal("1200.00"),
        "balance_due": Decimal("1200.00"),
        "issue_date": date(2026, 10, 1),
        "due_date": date(2026, 10, 31),
    }
    values.update(overrides)
    invoice: Invoice = await add(session, Invoice(**values))
    return invoice


async def make_template(session: AsyncSession, **overrides: Any) -> Template:
    values: dict[str, Any] = {
        "name": f"Reminder {uid()}",
        "channel": "email",
        "subject": "Invoice {{ invoice.number }} for {{ customer.name }}",
        "html_body": "<p>Dear {{ customer.name }}, invoice {{ invoice.number }} is due.</p>",
        "text_body": "Dear {{ customer.name }}, invoice {{ invoice.number }} is due.",
    }
    values.update(overrides)
    template: Template = await add(session, Template(**values))
    return template


async def make_definition(
    session: AsyncSession, steps: list[dict[str, Any]] | None = None, **overrides: Any
) -> WorkflowDefinition:
    values: dict[str, Any] = {
        "name": f"Net 30 reminders {uid()}",
        "kind": DefinitionKind.INVOICE.value,
    }
    values.update(overrides)
    definition: WorkflowDefinition = await add(session, WorkflowDefinition(**values))
    for position, step in enumerate(steps or []):
        await add(session, WorkflowStep(definition_id=definition.id, position=position, **step))
    return definition


async def make_enrollment(
    session: AsyncSession, customer: Customer, definition: WorkflowDefinition, **overrides: Any
) -> Enrollment:
    values: dict[str, Any] = {
        "customer_id": customer.id,
        "definition_id": definition.id,
        "definition_version": definition.version,
        "anchor_date": date(2026, 11, 23),
        "enrolled_by": "admin@acme.example",
        "workflow_id": "",
    }
    values.update(overrides)
    enrollment: Enrollment = await add(session, Enrollment(**values))
    if not enrollment.workflow_id:
        # Its own workflow, as the service names it once the row has its id.
        enrollment.workflow_id = f"enrollment-{enrollment.id}"
        await add(session, enrollment)
    return enrollment
