"""The outbox channel stores what a provider would have received, and sends nothing."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from activities.channels.base import Address, EmailMessage, SmsMessage
from activities.channels.factory import build_channels
from activities.channels.outbox import OutboxChannel
from models import Delivery, OutboxMessage
from models.db import SessionFactory
from models.settings import Settings
from tests.builders import make_customer, uid


@pytest.fixture
def sessions(db_connection: AsyncConnection) -> SessionFactory:
    """Sessions on the test's rolled-back connection: the channel's commits become savepoints."""
    return async_sessionmaker(
        bind=db_connection,
        class_=AsyncSession,
        expire_on_commit=False,
        join_transaction_mode="create_savepoint",
    )


async def _delivery(session: AsyncSession, channel: str) -> Delivery:
    customer = await make_customer(session)
    key = f"7:12:40:2026-12-02:{channel}:{uid()}"
    delivery = Delivery(
        idempotency_key=key,
        occurrence_key=key,
        customer_id=customer.id,
        channel=channel,
        text_body="rendered",
    )
    session.add(delivery)
    await session.commit()
    return delivery


async def test_an_email_to_the_outbox_is_stored_as_rendered_and_sent_nowhere(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        delivery = await _delivery(session, "email")
    message = EmailMessage(
        delivery_id=delivery.id,
        idempotency_key=delivery.idempotency_key,
        to=(Address("ap@globex.example", "Jane Payables"), Address("cfo@globex.example")),
        sender=Address("ar@acme.example", "Acme AR"),
        reply_to=Address("collections@acme.example"),
        subject="Invoice INV-1042 is due today",
        html_body="<p>Due today</p>",
        text_body="Due today",
        custom_args={"delivery_id": str(delivery.id), "idempotency_key": delivery.idempotency_key},
    )

    outcome = await OutboxChannel(sessions).send_email(message)

    async with sessions() as session:
        (row,) = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.delivery_id == delivery.id))
        ).all()
    assert outcome.provider == "outbox"
    assert outcome.message_id == f"outbox-{row.id}"
    assert (row.channel, row.to_addresses, row.from_address) == (
        "email",
        ["ap@globex.example", "cfo@globex.example"],
        "ar@acme.example",
    )
    assert (row.subject, row.html_body, row.text_body) == (
        "Invoice INV-1042 is due today",
        "<p>Due today</p>",
        "Due today",
    )
    assert row.custom_args == {"delivery_id": str(delivery.id), "idempotency_key": delivery.idempotency_key}


async def test_an_sms_to_the_outbox_keeps_every_number_and_the_body(sessions: SessionFactory) -> None:
    async with sessions() as session:
        delivery = await _delivery(session, "sms")
    message = SmsMessage(
        delivery_id=delivery.id,
        idempotency_key=delivery.idempotency_key,
        to=("+14155550100", "+14155550101"),
        body="INV-1042 is due today",
        custom_args={"delivery_id": str(delivery.id)},
    )

    outcome = await OutboxChannel(sessions).send_sms(message)

    async with sessions() as session:
        row = await session.get(OutboxMessage, int(outcome.message_id.removeprefix("outbox-")))
    assert outcome.provider == "outbox"
    assert (row.delivery_id, row.channel, row.to_addresses) == (
        delivery.id,
        "sms",
        ["+14155550100", "+14155550101"],
    )
    assert (row.from_address, row.subject, row.html_body, row.text_body) == (
        None,
        None,
        None,
        "INV-1042 is due today",
    )
    assert row.custom_args == {"delivery_id": str(delivery.id)}


async def test_each_send_is_its_own_row(sessions: SessionFactory) -> None:
    async with sessions() as session:
        delivery = await _delivery(session, "sms")
    message = SmsMessage(
        delivery_id=delivery.id, idempotency_key="k", to=("+14155550100",), body="hi", custom_args={}
    )
    channel = OutboxChannel(sessions)

    first = await channel.send_sms(message)
    second = await channel.send_sms(message)

    assert first.message_id != second.message_id


def test_without_provider_settings_both_channels_are_the_outbox(sessions: SessionFactory) -> None:
    email, sms = build_channels(Settings(email_channel="outbox", sms_channel="outbox"), sessions)
    assert isinstance(email, OutboxChannel)
    assert sms is email
