"""Hierarchy billing through the engine: a parent's statement lists the invoices of the children
billed to it, a child's reminders go to its bill-to customer's contacts (direct parent or root),
and a child billed to its parent gets no statement of its own."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
)
from tests.workflows.conftest import Engine

NY = ZoneInfo("America/New_York")


async def test_the_parents_statement_lists_the_invoices_of_children_billed_to_it_and_their_total(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    parent = await make_customer(session, name="Globex Holdings")
    billed = await make_customer(session, name="Globex US", parent_id=parent.id, bill_to_parent=True)
    own_books = await make_customer(session, name="Globex Ohio", parent_id=parent.id)
    await make_contact(session, parent, email="ap@globex-holdings.example")
    await make_invoice(
        session, parent, number="INV-P", due_date=today - timedelta(days=3), balance_due=Decimal("100")
    )
    await make_invoice(
        session, billed, number="INV-C", due_date=today - timedelta(days=9), balance_due=Decimal("250")
    )
    await make_invoice(
        session, own_books, number="INV-O", due_date=today - timedelta(days=9), balance_due=Decimal("4000")
    )
    definition = await make_definition(
        session,
        kind="customer",
        frequency={"period": "weekly", "weekday": (today + timedelta(days=1)).weekday()},
        steps=[{"offset_days": 0, "action": "statement_email"}],
    )
    enrollment = await make_enrollment(session, parent, definition, anchor_date=today)
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=2))

    (statement,) = await cadence.outbox(parent.id)
    assert statement.to_addresses == ["ap@globex-holdings.example"]
    assert "INV-P" in statement.text_body and "INV-C" in statement.text_body
    assert "INV-O" not in statement.text_body  # a child not billed to the parent keeps its own books
    assert "Total outstanding: $350.00" in statement.text_body


async def test_a_bill_to_parent_childs_invoice_reminder_goes_to_the_parents_contacts(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    parent = await make_customer(session, name="Globex Holdings")
    child = await make_customer(session, name="Globex US", parent_id=parent.id, bill_to_parent=True)
    await make_contact(session, parent, email="ap@globex-holdings.example")
    await make_contact(session, child, email="office@globex-us.example")
    await make_invoice(session, child, number="INV-C", due_date=today + timedelta(days=3))
    definition = await make_definition(session, steps=[{"offset_days": 0, "action": "customer_email"}])
    enrollment = await make_enrollment(session, child, definition, anchor_date=today)
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=4))

    (reminder,) = await cadence.outbox(child.id)
    assert reminder.to_addresses == ["ap@globex-holdings.example"]
    assert "INV-C" in reminder.text_body


async def test_top_billing_sends_a_grandchilds_reminder_to_the_root_of_the_hierarchy(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    root = await make_customer(session, name="Globex Holdings")
    middle = await make_customer(session, name="Globex US", parent_id=root.id, bill_to_parent=True)
    leaf = await make_customer(
        session, name="Globex Ohio", parent_id=middle.id, bill_to_parent=True, billing_level="top"
    )
    await make_contact(session, root, email="ap@globex-holdings.example")
    await make_contact(session, middle, email="ap@globex-us.example")
    await make_contact(session, leaf, email="office@globex-ohio.example")
    await make_invoice(session, leaf, number="INV-G", due_date=today + timedelta(days=3))
    definition = await make_definition(session, steps=[{"offset_days": 0, "action": "customer_email"}])
    enrollment = await make_enrollment(session, leaf, definition, anchor_date=today)
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=4))

    (reminder,) = await cadence.outbox(leaf.id)
    assert reminder.to_addresses == ["ap@globex-holdings.example"]


async def test_a_child_billed_to_its_parent_gets_no_statement_of_its_own(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    parent = await make_customer(session, name="Globex Holdings")
    child = await make_customer(session, name="Globex US", parent_id=parent.id, bill_to_parent=True)
    await make_contact(session, parent, email="ap@globex-holdings.example")
    await make_invoice(session, child, number="INV-C", due_date=today - timedelta(days=9))
    definition = await make_definition(
        session,
        kind="customer",
        frequency={"period": "weekly", "weekday": (today + timedelta(days=1)).weekday()},
        steps=[{"offset_days": 0, "action": "statement_email"}],
    )
    enrollment = await make_enrollment(session, child, definition, anchor_date=today)
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=2))

    assert await cadence.outbox(child.id) == []
    (skip,) = [h for h in await cadence.history(child.id) if h.action == "step_skipped"]
    assert "Globex US is billed to Globex Holdings: its invoices are in Globex Holdings's statement" in (
        skip.description
    )


async def test_the_roots_statement_covers_top_billed_grandchildren_but_not_those_billed_to_their_parent(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    root = await make_customer(session, name="Globex Holdings")
    middle = await make_customer(session, name="Globex US", parent_id=root.id)
    to_root = await make_customer(
        session, name="Globex Ohio", parent_id=middle.id, bill_to_parent=True, billing_level="top"
    )
    to_middle = await make_customer(session, name="Globex Texas", parent_id=middle.id, bill_to_parent=True)
    await make_contact(session, root, email="ap@globex-holdings.example")
    overdue = today - timedelta(days=5)
    await make_invoice(session, root, number="INV-R", due_date=overdue, balance_due=Decimal("10"))
    await make_invoice(session, middle, number="INV-M", due_date=overdue, balance_due=Decimal("20"))
    await make_invoice(session, to_root, number="INV-OH", due_date=overdue, balance_due=Decimal("30"))
    await make_invoice(session, to_middle, number="INV-TX", due_date=overdue, balance_due=Decimal("40"))
    definition = await make_definition(
        session,
        kind="customer",
        frequency={"period": "weekly", "weekday": (today + timedelta(days=1)).weekday()},
        steps=[{"offset_days": 0, "action": "statement_email"}],
    )
    enrollment = await make_enrollment(session, root, definition, anchor_date=today)
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=2))

    (statement,) = await cadence.outbox(root.id)
    listed = {n for n in ("INV-R", "INV-M", "INV-OH", "INV-TX") if n in statement.text_body}
    assert listed == {"INV-R", "INV-OH"}
    assert "Total outstanding: $40.00" in statement.text_body
