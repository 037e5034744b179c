"""A customer with its contacts and invoices survives the trip to Postgres and back intact."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Contact, Customer, Invoice, OrganizationSettings
from tests.builders import make_contact, make_customer, make_invoice


async def test_customer_with_contacts_and_invoices_round_trips(db_session: AsyncSession) -> None:
    paused_until = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)
    customer = await make_customer(
        db_session, name="Globex GmbH", currency="EUR", paused=True, paused_until=paused_until
    )
    await make_contact(db_session, customer, email="ap@globex.example", roles=["communication", "billing"])
    await make_contact(db_session, customer, email=None, phone="+4930123456", roles=["primary"])
    await make_invoice(
        db_session,
        customer,
        number="INV-1042",
        currency="EUR",
        total=Decimal("2340.50"),
        balance_due=Decimal("2340.50"),
        due_date=date(2026, 12, 2),
    )
    await make_invoice(
        db_session, customer, number="INV-1043", total=Decimal("10.005"), balance_due=Decimal("0")
    )
    await db_session.commit()
    db_session.expunge_all()

    loaded = (await db_session.exec(select(Customer).where(Customer.id == customer.id))).one()
    assert loaded.name == "Globex GmbH"
    assert loaded.paused_until == paused_until
    assert loaded.paused_until is not None and loaded.paused_until.tzinfo is not None

    contacts = (await db_session.exec(select(Contact).where(Contact.customer_id == customer.id))).all()
    assert sorted(c.roles for c in contacts) == [["communication", "billing"], ["primary"]]

    invoices = {
        i.number: i
        for i in (await db_session.exec(select(Invoice).where(Invoice.customer_id == customer.id))).all()
    }
    assert invoices["INV-1042"].total == Decimal("2340.50")
    assert isinstance(invoices["INV-1042"].total, Decimal)
    assert invoices["INV-1042"].due_date == date(2026, 12, 2)
    # NUMERIC(18,2): a third decimal is rounded by the database, never kept as a float.
    assert invoices["INV-1043"].total == Decimal("10.01")


async def test_organization_settings_default_to_new_york_at_half_past_two(
    db_session: AsyncSession,
) -> None:
    db_session.add(OrganizationSettings(name="Acme AR"))
    await db_session.commit()
    db_session.expunge_all()
    org = (await db_session.exec(select(OrganizationSettings))).one()
    assert org.time_zone == "America/New_York"
    assert org.send_time == time(14, 30)
    assert org.business_days_only is False
