"""Every action kind a step can take, performed by the engine: what was sent to whom, or the
rows written, and the history entry that says so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Customer, HistoryEntry, Invoice, OutboxMessage, Task, User
from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
    make_user,
)
from tests.workflows.conftest import Engine

NY = ZoneInfo("America/New_York")


@dataclass
class Performed:
    customer: Customer
    invoice: Invoice
    specialist: User
    internal: User
    outbox: list[OutboxMessage]
    history: list[HistoryEntry]

    def entries(self, action: str) -> list[HistoryEntry]:
        return [h for h in self.history if h.action == action]


async def _perform_one_step(
    session: AsyncSession, cadence: Engine, action: str, parameters: dict[str, Any] | None = None
) -> Performed:
    """An assignment cadence of one step, tomorrow, for a customer with an AR specialist, an
    email and phone contact and an overdue invoice; the workflow names one internal user."""
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    specialist = await make_user(session, name="Sam Specialist", email="sam@acme.example")
    internal = await make_user(session, name="Mia Manager", email="mia@acme.example", role="admin")
    customer = await make_customer(session, name="Globex Corp", specialist_id=specialist.id)
    await make_contact(session, customer, email="ap@globex.example", phone="+14155550100")
    invoice = await make_invoice(
        session,
        customer,
        number="INV-5001",
        due_date=today - timedelta(days=20),
        balance_due=Decimal("750.00"),
        total=Decimal("750.00"),
    )
    definition = await make_definition(
        session,
        kind="assignment",
        internal_recipients=[internal.id],
        steps=[{"offset_days": 0, "action": action, "parameters": parameters or {}}],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)
    await cadence.advance(handle, timedelta(days=2))
    assert customer.id is not None
    return Performed(
        customer=customer,
        invoice=invoice,
        specialist=specialist,
        internal=internal,
        outbox=await cadence.outbox(customer.id),
        history=await cadence.history(customer.id),
    )


async def test_a_customer_email_step_emails_the_communication_contacts(
    session: AsyncSession, cadence: Engine
) -> None:
    done = await _perform_one_step(session, cadence, "customer_email", {"template": "customer_statement"})
    assert [(m.channel, m.to_addresses) for m in done.outbox] == [("email", ["ap@globex.example"])]
    assert "INV-5001" in done.outbox[0].text_body
    (sent,) = done.entries("message_sent")
    assert "ap@globex.example" in sent.description


async def test_a_statement_email_step_sends_the_statement_to_the_communication_contacts(
    session: AsyncSession, cadence: Engine
) -> None:
    done = await _perform_one_step(session, cadence, "statement_email")
    assert [(m.channel, m.to_addresses) for m in done.outbox] == [("email", ["ap@globex.example"])]
    assert "INV-5001" in done.outbox[0].text_body
    assert len(done.entries("message_sent")) == 1


async def test_an_sms_step_texts_the_communication_contacts_phone(
    session: AsyncSession, cadence: Engine
) -> None:
    done = await _perform_one_step(session, cadence, "sms")
    assert [(m.channel, m.to_addresses) for m in done.outbox] == [("sms", ["+14155550100"])]
    assert done.outbox[0].subject is None
    (sent,) = done.entries("message_sent")
    assert "+14155550100" in sent.description


async def test_an_internal_notification_goes_to_the_specialist_and_the_workflows_internal_users(
    session: AsyncSession, cadence: Engine
) -> None:
    done = await _perform_one_step(session, cadence, "internal_notification")
    assert [(m.channel, m.to_addresses) for m in done.outbox] == [
        ("email", ["sam@acme.example", "mia@acme.example"])
    ]
    assert "ap@globex.example" not in done.outbox[0].to_addresses
    # A message to the team is told apart from one to the customer in the history.
    assert len(done.entries("internal_notification_sent")) == 1
    assert done.entries("message_sent") == []


async def test_notify_specialist_writes_to_the_assigned_ar_specialist_only(
    session: AsyncSession, cadence: Engine
) -> None:
    done = await _perform_one_step(session, cadence, "notify_specialist")
    assert [(m.channel, m.to_addresses) for m in done.outbox] == [("email", ["sam@acme.example"])]
    (sent,) = done.entries("internal_notification_sent")
    assert "mia@acme.example" not in sent.description


async def test_an_assign_specialist_step_sets_the_customers_ar_specialist(
    session: AsyncSession, cadence: Engine
) -> None:
    other = await make_user(session, name="Olga Other", email="olga@acme.example")
    await session.commit()
    done = await _perform_one_step(session, cadence, "assign_specialist", {"user_id": other.id})
    assert done.outbox == []
    (row,) = await cadence.rows(Customer, Customer.id == done.customer.id)
    assert row.specialist_id == other.id
    (performed,) = done.entries("step_performed")
    assert performed.description == "AR specialist set to Olga Other"


async def test_a_task_step_creates_a_task_for_the_ar_specialist(
    session: AsyncSession, cadence: Engine
) -> None:
    done = await _perform_one_step(session, cadence, "task", {"title": "Call accounts payable"})
    assert done.outbox == []
    tasks = await cadence.rows(Task, Task.customer_id == done.customer.id)
    assert [(t.title, t.assignee_id, t.status) for t in tasks] == [
        ("Call accounts payable", done.specialist.id, "open")
    ]
    (performed,) = done.entries("step_performed")
    assert performed.description == "Task 'Call accounts payable' created for Sam Specialist"


async def test_a_note_step_writes_its_note_in_the_history(session: AsyncSession, cadence: Engine) -> None:
    done = await _perform_one_step(session, cadence, "note", {"text": "Escalated to the controller"})
    assert done.outbox == []
    (performed,) = done.entries("step_performed")
    assert performed.description == "Note: Escalated to the controller"


async def test_a_set_invoice_status_step_is_performed_and_recorded(
    session: AsyncSession, cadence: Engine
) -> None:
    done = await _perform_one_step(session, cadence, "set_invoice_status", {"status": "on_hold"})
    assert done.outbox == []
    (performed,) = done.entries("step_performed")
    assert performed.description == "Collection status set to on hold: INV-5001"
    (row,) = await cadence.rows(Invoice, Invoice.id == done.invoice.id)
    assert row.collection_status == "on_hold"
    assert row.status == "open"  # the accounting sync's status is left alone
