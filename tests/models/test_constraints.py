"""The schema refuses dishonest data: every constraint is shown to bite."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    Contact,
    Customer,
    Delivery,
    DeliveryEvent,
    Enrollment,
    HistoryEntry,
    OrganizationSettings,
    Task,
    Template,
    User,
    WorkflowDefinitionVersion,
    WorkflowStep,
)
from tests.builders import (
    add,
    make_contact,
    make_customer,
    make_definition,
    make_invoice,
    uid,
)
from tests.models.conftest import ViolationCheck


async def _sql(session: AsyncSession, statement: str, **params: object) -> None:
    await session.exec(text(statement), params=params)


# (constraint, table, column, bad value): CHECK constraints on enum and range columns.
CHECK_CASES = [
    ("ck_invoice_status", "invoice", "status", "lost"),
    ("ck_invoice_total_non_negative", "invoice", "total", Decimal("-0.01")),
    ("ck_invoice_balance_due_non_negative", "invoice", "balance_due", Decimal("-5")),
    ("ck_invoice_currency_code", "invoice", "currency", "usd"),
    ("ck_customer_currency_code", "customer", "currency", "U$D"),
    ("ck_customer_autopay_anchor", "customer", "autopay_anchor", "whenever"),
    ("ck_customer_bill_to_parent_needs_parent", "customer", "bill_to_parent", True),
    ("ck_workflow_definition_kind", "workflow_definition", "kind", "random"),
    ("ck_workflow_definition_catch_up", "workflow_definition", "catch_up", "burst"),
    ("ck_workflow_definition_version_positive", "workflow_definition", "version", 0),
]


@pytest.mark.parametrize(("constraint", "table", "column", "bad"), CHECK_CASES)
async def test_check_constraint_refuses_bad_value(
    db_session: AsyncSession,
    rejects: ViolationCheck,
    constraint: str,
    table: str,
    column: str,
    bad: object,
) -> None:
    customer = await make_customer(db_session)
    invoice = await make_invoice(db_session, customer)
    definition = await make_definition(db_session)
    row_id = {"invoice": invoice.id, "customer": customer.id, "workflow_definition": definition.id}[table]
    await rejects(
        constraint,
        lambda: _sql(db_session, f"UPDATE {table} SET {column} = :bad WHERE id = :id", bad=bad, id=row_id),
    )


async def test_external_ids_are_unique(db_session: AsyncSession, rejects: ViolationCheck) -> None:
    customer = await make_customer(db_session, external_id="QB-1")
    await rejects("uq_customer_external_id", lambda: make_customer(db_session, external_id="QB-1"))
    await make_invoice(db_session, customer, external_id="QB-INV-1")
    await rejects(
        "uq_invoice_external_id", lambda: make_invoice(db_session, customer, external_id="QB-INV-1")
    )


async def test_a_customer_has_at_most_one_live_enrollment(
    db_session: AsyncSession, rejects: ViolationCheck
) -> None:
    customer = await make_customer(db_session)
    definition = await make_definition(db_session)

    def enrollment(state: str) -> Enrollment:
        return Enrollment(
            customer_id=customer.id,
            definition_id=definition.id,
            state=state,
            anchor_date=date(2026, 11, 23),
            enrolled_by="ops@acme.example",
            workflow_id=f"enrollment-{customer.id}",
        )

    await add(db_session, enrollment("completed"))
    await add(db_session, enrollment("cancelled"))
    await add(db_session, enrollment("active"))
    await rejects("uq_enrollment_live_customer", lambda: add(db_session, enrollment("paused")))
    await rejects("ck_enrollment_state", lambda: add(db_session, enrollment("sleeping")))


async def test_delivery_idempotency_key_is_unique(db_session: AsyncSession, rejects: ViolationCheck) -> None:
    customer = await make_customer(db_session)

    def delivery(key: str, **extra: object) -> Delivery:
        values: dict[str, object] = {
            "idempotency_key": key,
            "occurrence_key": key,
            "customer_id": customer.id,
            "channel": "email",
            "text_body": "Your invoice is due.",
        }
        values.update(extra)
        return Delivery(**values)

    await add(db_session, delivery("7:12:40:2026-12-02:email"))
    await rejects(
        "uq_delivery_idempotency_key", lambda: add(db_session, delivery("7:12:40:2026-12-02:email"))
    )
    await rejects("ck_delivery_status", lambda: add(db_session, delivery(uid(), status="teleported")))
    await rejects("ck_delivery_channel", lambda: add(db_session, delivery(uid(), channel="pigeon")))
    await rejects("ck_delivery_attempts_non_negative", lambda: add(db_session, delivery(uid(), attempts=-1)))


async def test_provider_events_are_deduplicated(db_session: AsyncSession, rejects: ViolationCheck) -> None:
    at = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)
    await add(db_session, DeliveryEvent(provider_message_id="sg-1", event="delivered", event_at=at))
    await add(db_session, DeliveryEvent(provider_message_id="sg-1", event="open", event_at=at))
    await rejects(
        "uq_delivery_event_dedupe",
        lambda: add(db_session, DeliveryEvent(provider_message_id="sg-1", event="delivered", event_at=at)),
    )


async def test_history_entries_and_tasks_written_once_per_key(
    db_session: AsyncSession, rejects: ViolationCheck
) -> None:
    customer = await make_customer(db_session)
    entry = {
        "customer_id": customer.id,
        "action": "email_sent",
        "actor": "arcadence",
        "description": "Sent",
    }
    await add(db_session, HistoryEntry(idempotency_key="occ-1:record", **entry))
    await add(db_session, HistoryEntry(idempotency_key=None, **entry))
    await add(db_session, HistoryEntry(idempotency_key=None, **entry))
    await rejects(
        "uq_history_entry_idempotency_key",
        lambda: add(db_session, HistoryEntry(idempotency_key="occ-1:record", **entry)),
    )
    await add(db_session, Task(customer_id=customer.id, title="Call AP", idempotency_key="occ-2:task"))
    await rejects(
        "uq_task_idempotency_key",
        lambda: add(db_session, Task(customer_id=customer.id, title="Call AP", idempotency_key="occ-2:task")),
    )
    await rejects(
        "ck_task_status",
        lambda: add(db_session, Task(customer_id=customer.id, title="x", status="maybe")),
    )


async def test_deleting_a_customer_with_invoices_is_refused(
    db_session: AsyncSession, rejects: ViolationCheck
) -> None:
    customer = await make_customer(db_session)
    await make_invoice(db_session, customer)
    await rejects(
        "fk_invoice_customer_id_customer",
        lambda: _sql(db_session, "DELETE FROM customer WHERE id = :id", id=customer.id),
    )


async def test_deleting_a_parent_customer_is_refused(
    db_session: AsyncSession, rejects: ViolationCheck
) -> None:
    parent = await make_customer(db_session)
    await make_customer(db_session, parent_id=parent.id, bill_to_parent=True)
    await rejects(
        "fk_customer_parent_id_customer",
        lambda: _sql(db_session, "DELETE FROM customer WHERE id = :id", id=parent.id),
    )
    await rejects(
        "ck_customer_not_own_parent",
        lambda: _sql(db_session, "UPDATE customer SET parent_id = id WHERE id = :id", id=parent.id),
    )


async def test_deleting_a_customer_removes_its_contacts(db_session: AsyncSession) -> None:
    customer = await make_customer(db_session)
    await make_contact(db_session, customer)
    await _sql(db_session, "DELETE FROM customer WHERE id = :id", id=customer.id)
    db_session.expunge_all()
    assert (await db_session.exec(select(Contact).where(Contact.customer_id == customer.id))).all() == []


async def test_deleting_a_specialist_unassigns_their_customers(db_session: AsyncSession) -> None:
    specialist = await add(
        db_session, User(name="Sam", email=f"sam-{uid()}@acme.example", role="ar_specialist")
    )
    customer = await make_customer(db_session, specialist_id=specialist.id)
    await _sql(db_session, "DELETE FROM app_user WHERE id = :id", id=specialist.id)
    db_session.expunge_all()
    reloaded = (await db_session.exec(select(Customer).where(Customer.id == customer.id))).one()
    assert reloaded.specialist_id is None


async def test_users_have_a_known_role_and_a_unique_lowercase_email(
    db_session: AsyncSession, rejects: ViolationCheck
) -> None:
    await add(db_session, User(name="Ann", email="ann@acme.example", role="admin"))
    await rejects(
        "uq_app_user_email",
        lambda: add(db_session, User(name="A", email="ann@acme.example", role="viewer")),
    )
    await rejects(
        "ck_app_user_email_lower",
        lambda: add(db_session, User(name="A", email="Bob@acme.example", role="viewer")),
    )
    await rejects(
        "ck_app_user_role",
        lambda: add(db_session, User(name="A", email="c@acme.example", role="superuser")),
    )


async def test_a_contact_must_be_reachable(db_session: AsyncSession, rejects: ViolationCheck) -> None:
    customer = await make_customer(db_session)
    await rejects(
        "ck_contact_reachable",
        lambda: add(db_session, Contact(customer_id=customer.id, name="Nobody", email=None, phone=None)),
    )


async def test_steps_are_bounded_ordered_and_keep_their_templates(
    db_session: AsyncSession, rejects: ViolationCheck
) -> None:
    definition = await make_definition(db_session)
    template = await add(db_session, Template(name=f"Reminder {uid()}", subject="Due", text_body="Hi"))

    def step(position: int, offset: int = 0, action: str = "customer_email") -> WorkflowStep:
        return WorkflowStep(
            definition_id=definition.id,
            position=position,
            offset_days=offset,
            action=action,
            template_id=template.id,
        )

    await add(db_session, step(0, -3))
    await rejects("uq_workflow_step_position", lambda: add(db_session, step(0, 7)))
    await rejects("ck_workflow_step_position_range", lambda: add(db_session, step(100)))
    await rejects("ck_workflow_step_offset_range", lambda: add(db_session, step(1, 4000)))
    await rejects("ck_workflow_step_action", lambda: add(db_session, step(2, 0, "fax")))
    await rejects(
        "fk_workflow_step_template_id_template",
        lambda: _sql(db_session, "DELETE FROM template WHERE id = :id", id=template.id),
    )
    await rejects(
        "ck_template_channel",
        lambda: add(db_session, Template(name=f"T {uid()}", channel="fax", text_body="x")),
    )


async def test_definitions_are_well_formed(db_session: AsyncSession, rejects: ViolationCheck) -> None:
    await rejects(
        "ck_workflow_definition_customer_needs_frequency",
        lambda: make_definition(db_session, kind="customer", frequency=None),
    )
    weekly = await make_definition(db_session, kind="customer", frequency={"period": "weekly", "weekday": 1})
    await rejects(
        "ck_workflow_definition_not_own_successor",
        lambda: _sql(
            db_session,
            "UPDATE workflow_definition SET continue_with_id = id WHERE id = :id",
            id=weekly.id,
        ),
    )
    await add(db_session, WorkflowDefinitionVersion(definition_id=weekly.id, version=1))
    await rejects(
        "uq_definition_version",
        lambda: add(db_session, WorkflowDefinitionVersion(definition_id=weekly.id, version=1)),
    )


async def test_organization_settings_is_a_single_valid_row(
    db_session: AsyncSession, rejects: ViolationCheck
) -> None:
    await rejects(
        "ck_organization_settings_singleton",
        lambda: add(db_session, OrganizationSettings(id=2, name="B")),
    )
    await rejects(
        "ck_organization_settings_country",
        lambda: add(db_session, OrganizationSettings(name="A", holiday_country="us")),
    )
    await rejects(
        "ck_organization_settings_send_window_range",
        lambda: add(db_session, OrganizationSettings(name="A", send_window_minutes=-1)),
    )
