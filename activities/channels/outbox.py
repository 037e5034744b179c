"""The development and test channel: stores exactly what would be sent, and sends nothing."""

from __future__ import annotations

from activities.channels.base import EmailMessage, SendOutcome, SmsMessage
from models import OutboxMessage
from models.db import SessionFactory, unit_of_work


class OutboxChannel:
    """Both channels at once: one `outbox_message` row per message, in its own transaction."""

    name = "outbox"

    def __init__(self, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

    async def send_email(self, message: EmailMessage) -> SendOutcome:
        return await self._store(
            OutboxMessage(
                delivery_id=message.delivery_id,
                channel="email",
                to_addresses=[address.email for address in message.to],
                from_address=message.sender.email,
                subject=message.subject,
                html_body=message.html_body,
                text_body=message.text_body,
                custom_args=dict(message.custom_args),
            )
        )

    async def send_sms(self, message: SmsMessage) -> SendOutcome:
        return await self._store(
            OutboxMessage(
                delivery_id=message.delivery_id,
                channel="sms",
                to_addresses=list(message.to),
                text_body=message.body,
                custom_args=dict(message.custom_args),
            )
        )

    async def _store(self, row: OutboxMessage) -> SendOutcome:
        async with unit_of_work(self._sessions) as session:
            session.add(row)
            await session.flush()
            return SendOutcome(provider=self.name, message_id=f"outbox-{row.id}")
