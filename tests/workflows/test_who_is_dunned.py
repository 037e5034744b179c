"""Who is dunned, through the engine: nothing owed nothing sent, held invoices leave the cadence,
a collection status a step sets takes effect and stays, preview equals the send, other currencies
said plainly."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Customer, Delivery, Invoice
from models.base import require_id
from services import templates as template_service
from services.invoices import sync_invoices
from services.schemas.invoices import InvoiceIn
from services.schemas.templates import PreviewIn
from services.timeline import upcoming
from services.unit_of_work import AppState, UnitOfWork
from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
    make_template,
)
from tests.workflows.conftest import Engine

NY = ZoneInfo("America/New_York")


def _uow(session: AsyncSession) -> UnitOfWork:
    # The services used here read and write rows only; nothing is signalled after commit.
    return UnitOfWork(session=session, state=cast(AppState, None))


async def test_nothing_owed_nothing_sent(session: AsyncSession, cadence: Engine) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer, email="ap@globex.example", phone="+14155550100")
    await make_invoice(session, customer, number="INV-PAID", status="paid", balance_due=Decimal(0))
    definition = await make_definition(
        session,
        kind="assignment",
        steps=[
            {"offset_days": 0, "action": "customer_email", "parameters": {"template": "overdue_1"}},
            {"offset_days": 1, "action": "sms"},
            {"offset_days": 2, "action": "statement_email"},
            {
                "offset_days": 3,
                "action": "customer_email",
                "parameters": {"template": "customer_statement", "send_when_nothing_owed": True},
            },
            {"offset_days": 4, "action": "internal_notification"},
        ],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=7))

    outbox = await cadence.outbox(customer.id)
    # Only the step that opted in reaches the customer (the internal one has no internal recipient).
    assert [m.to_addresses for m in outbox] == [["ap@globex.example"]]
    assert "You have no open invoices with us" in outbox[0].text_body
    skipped = [h for h in await cadence.history(customer.id) if h.action == "step_skipped"]
    nothing_owed = [h.description for h in skipped if "nothing is owed" in h.description]
    assert len(nothing_owed) == 3, [h.description for h in skipped]
    assert all("balance $0.00" in d and "send_when_nothing_owed" in d for d in nothing_owed)
    # Internal notifications are not customer-facing: never skipped for "nothing is owed".
    assert not any("internal" in d.lower() for d in nothing_owed)


async def _open_and_held_invoices(session: AsyncSession, customer: Customer, due: date) -> None:
    await make_invoice(session, customer, number="INV-OPEN", due_date=due, balance_due=Decimal("100"))
    await make_invoice(
        session,
        customer,
        number="INV-SYNC-DISPUTED",
        due_date=due,
        balance_due=Decimal("20"),
        status="disputed",
    )
    for number, held, amount in (("INV-ON-HOLD", "on_hold", "30"), ("INV-DISPUTED", "disputed", "40")):
        await make_invoice(
            session,
            customer,
            number=number,
            due_date=due,
            balance_due=Decimal(amount),
            collection_status=held,
        )


async def test_disputed_and_on_hold_invoices_leave_the_cadence(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    reminded = await make_customer(session)
    await make_contact(session, reminded, email="ap@globex.example")
    await _open_and_held_invoices(session, reminded, today - timedelta(days=3))
    reminders = await make_definition(session, steps=[{"offset_days": 5, "action": "customer_email"}])
    stated = await make_customer(session)
    await make_contact(session, stated, email="ap@initech.example")
    await _open_and_held_invoices(session, stated, today - timedelta(days=3))
    statement = await make_definition(
        session, kind="assignment", steps=[{"offset_days": 0, "action": "statement_email"}]
    )
    first = await make_enrollment(session, reminded, reminders, anchor_date=today)
    second = await make_enrollment(session, stated, statement, anchor_date=today + timedelta(days=1))
    await session.commit()
    reminding = await cadence.start(first, reminders)
    stating = await cadence.start(second, statement)

    await cadence.advance(reminding, timedelta(days=4))  # one clock: the statement's day passes too
    await cadence.settle(stating)

    outbox = await cadence.outbox(reminded.id)
    subjects = [m.subject or "" for m in outbox]
    assert len(outbox) == 1 and "INV-OPEN" in subjects[0], subjects
    body = outbox[0].text_body
    assert "INV-OPEN" in body
    for held in ("INV-SYNC-DISPUTED", "INV-ON-HOLD", "INV-DISPUTED"):
        assert held not in body
    # Held invoices leave the plan like paused ones (no step wakes for them); the timeline says
    # which invoices are set aside and why.
    history = [h.description for h in await cadence.history(reminded.id)]
    assert not any("INV-ON-HOLD" in d or "INV-DISPUTED" in d for d in history), history
    shown = await upcoming(_uow(session), require_id(first), limit=10, after=await cadence.now())
    assert shown.items == []  # INV-OPEN's one reminder went out; nothing is planned for the held
    assert any("INV-ON-HOLD is on hold (its collection status)" in r for r in shown.set_aside), shown
    assert any("INV-DISPUTED is disputed (its collection status)" in r for r in shown.set_aside), shown
    assert any("INV-SYNC-DISPUTED is disputed in the accounting system" in r for r in shown.set_aside)

    # A statement lists the invoice in collection and counts the held ones in its total.
    (sent,) = await cadence.outbox(stated.id)
    text = sent.text_body
    assert "INV-OPEN" in text and "INV-ON-HOLD" not in text and "INV-DISPUTED" not in text
    assert "INV-SYNC-DISPUTED" not in text
    assert "3 invoices paused, on hold or in dispute, not listed (included in the total): $90.00" in text
    assert "Total outstanding: $190.00" in text


async def test_set_invoice_status_takes_effect_and_stays(session: AsyncSession, cadence: Engine) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer, email="ap@globex.example")
    disputed = await make_invoice(session, customer, number="INV-1", due_date=today - timedelta(days=9))
    paused = await make_invoice(
        session, customer, number="INV-2", due_date=today - timedelta(days=9), paused=True
    )
    definition = await make_definition(
        session,
        kind="assignment",
        steps=[
            {"offset_days": 0, "action": "set_invoice_status", "parameters": {"status": "disputed"}},
            {"offset_days": 2, "action": "customer_email", "parameters": {"template": "overdue_1"}},
        ],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=2))
    (row,) = await cadence.rows(Invoice, Invoice.id == disputed.id)
    (untouched,) = await cadence.rows(Invoice, Invoice.id == paused.id)
    assert (row.status, row.collection_status) == ("open", "disputed")
    assert untouched.collection_status == "in_collection"
    performed = [h.description for h in await cadence.history(customer.id) if h.action == "step_performed"]
    assert any(
        "Collection status set to disputed: INV-1; paused invoices left as they were: INV-2" in d
        for d in performed
    ), performed

    # The accounting sync sends the invoice again, unchanged and open: the collection status stays.
    await sync_invoices(
        _uow(session),
        [
            InvoiceIn(
                external_id=disputed.external_id,
                customer_external_id=customer.external_id,
                number="INV-1",
                total=disputed.total,
                balance_due=disputed.balance_due,
                issue_date=disputed.issue_date,
                due_date=disputed.due_date,
                status="open",  # type: ignore[arg-type]  # pydantic converts it
                pdf_url=None,
            )
        ],
    )
    await session.commit()
    (row,) = await cadence.rows(Invoice, Invoice.id == disputed.id)
    assert row.collection_status == "disputed"

    # ... and it changes what the cadence does: every open invoice is held or paused now.
    await cadence.advance(handle, timedelta(days=3))
    assert await cadence.outbox(customer.id) == []
    skipped = [h.description for h in await cadence.history(customer.id) if h.action == "step_skipped"]
    assert any("nothing is owed in collection" in d for d in skipped), skipped


async def test_preview_shows_exactly_what_would_be_sent(
    session: AsyncSession, cadence: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer, email="ap@globex.example")
    for n in range(105):
        await make_invoice(
            session,
            customer,
            number=f"INV-{n:04d}",
            due_date=today - timedelta(days=200 - n),
            balance_due=Decimal("10"),
        )
    await make_invoice(
        session, customer, number="INV-PAUSED", due_date=today - timedelta(days=300), paused=True
    )
    await make_invoice(
        session,
        customer,
        number="INV-HELD",
        due_date=today - timedelta(days=300),
        collection_status="disputed",
    )
    await make_invoice(
        session, customer, number="INV-EUR", due_date=today - timedelta(days=5), currency="EUR"
    )
    template = await make_template(
        session,
        subject="Statement for {{ customer.name }}: {{ totals.outstanding_text }}",
        html_body=(
            "<ul>{% for i in invoices %}<li>{{ i.number }} {{ i.balance_due_text }}</li>{% endfor %}</ul>"
            "<p>{{ totals.more_count }} more, {{ totals.unlisted_count }} unlisted "
            "({{ totals.unlisted_text }}), "
            "{{ totals.other_currency_count }} in {{ totals.other_currencies_text }}</p>"
        ),
        text_body=(
            "{% for i in invoices %}{{ i.number }} {{ i.balance_due_text }} {{ i.days_overdue }}\n"
            "{% endfor %}"
            "{{ totals.more_count }} more ({{ totals.more_text }}); {{ totals.unlisted_count }} unlisted "
            "({{ totals.unlisted_text }}); total {{ totals.outstanding_text }}; as of {{ as_of_text }}; "
            "{{ totals.other_currency_count }} in {{ totals.other_currencies_text }}"
        ),
    )
    definition = await make_definition(
        session,
        kind="assignment",
        steps=[{"offset_days": 0, "action": "statement_email", "template_id": template.id}],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)
    await cadence.advance(handle, timedelta(days=2))
    (sent,) = await cadence.outbox(customer.id)
    (delivery,) = await cadence.rows(Delivery, Delivery.customer_id == customer.id)

    # The preview, on the day the engine rendered it (the test server's clock, not the wall's).
    rendered_at: datetime = delivery.created_at

    def engine_now() -> datetime:
        return rendered_at

    monkeypatch.setattr(template_service, "now", engine_now)
    preview = await template_service.preview(
        _uow(session), require_id(template), PreviewIn(customer_id=customer.id)
    )

    assert (preview.subject, preview.text_body, preview.html_body) == (
        sent.subject,
        sent.text_body,
        sent.html_body,
    )
    listed = [line.split()[0] for line in sent.text_body.splitlines()[:-1]]
    # The 100 oldest due of those in collection (the EUR one is due last, so it is not among them).
    assert listed == [f"INV-{n:04d}" for n in range(100)]
    last = sent.text_body.splitlines()[-1]
    assert last.startswith("5 more ($50.00); 2 unlisted ($2,400.00); total $3,450.00;")
    assert last.endswith("1 in EUR")


async def test_money_in_other_currencies_is_not_silently_ignored(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer, email="ap@globex.example")
    await make_invoice(
        session, customer, number="INV-USD", due_date=today - timedelta(days=5), balance_due=Decimal("50")
    )
    await make_invoice(
        session,
        customer,
        number="INV-EUR",
        due_date=today - timedelta(days=5),
        balance_due=Decimal("5000"),
        currency="EUR",
    )
    definition = await make_definition(
        session,
        kind="assignment",
        conditions=[{"metric": "outstanding", "operator": "gte", "value": "100"}],
        steps=[{"offset_days": 0, "action": "statement_email"}],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=2))

    assert await cadence.outbox(customer.id) == []
    skipped = [h.description for h in await cadence.history(customer.id) if h.action == "step_skipped"]
    assert any(
        "Outstanding >= 100.00 USD (was 50.00 USD) (1 open invoice in EUR left out: amounts are compared "
        "in USD, the customer's home currency, and other currencies are not converted)" in d
        for d in skipped
    ), skipped
