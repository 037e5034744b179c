"""Fixtures for the data-model tests: small builders of valid rows."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import ContactRole, DefinitionKind
from models import Contact, Customer, Invoice, WorkflowDefinition


def uid() -> str:
    return uuid.uuid4().hex[:12]


async def add(session: AsyncSession, row: Any) -> Any:
    session.add(row)
    await session.flush()
    return row


async def make_customer(session: AsyncSession, **overrides: Any) -> Customer:
    values: dict[str, Any] = {"external_id": f"C-{uid()}", "name": "Acme Corp", "currency": "USD"}
    values.update(overrides)
    customer: Customer = await add(session, Customer(**values))
    return customer


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


async def make_contact(session: AsyncSession, customer: Customer, **overrides: Any) -> Contact:
    values: dict[str, Any] = {
        "customer_id": customer.id,
        "name": "Jane Payables",
        "email": f"ap-{uid()}@acme.example",
        "roles": [ContactRole.COMMUNICATION.value],
    }
    values.update(overrides)
    contact: Contact = await add(session, Contact(**values))
    return contact


async def make_definition(session: AsyncSession, **overrides: Any) -> WorkflowDefinition:
    values: dict[str, Any] = {
        "name": f"Net 30 reminders {uid()}",
        "kind": DefinitionKind.INVOICE.value,
    }
    values.update(overrides)
    definition: WorkflowDefinition = await add(session, WorkflowDefinition(**values))
    return definition


ViolationCheck = Callable[[str, Callable[[], Awaitable[Any]]], Awaitable[None]]


@pytest.fixture
def rejects(db_session: AsyncSession) -> ViolationCheck:
    """Assert that a write is refused by the named constraint, leaving the session usable."""

    async def check(constraint: str, write: Callable[[], Awaitable[Any]]) -> None:
        savepoint = await db_session.begin_nested()
        with pytest.raises((IntegrityError, DBAPIError)) as caught:
            await write()
            await db_session.flush()
        await savepoint.rollback()
        db_session.expunge_all()
        diag = getattr(caught.value.orig, "diag", None)
        name = getattr(diag, "constraint_name", None)
        assert name == constraint, f"expected {constraint}, got {name}: {caught.value.orig}"

    return check
