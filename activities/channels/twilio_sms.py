"""SMS through Twilio's Messages API with the official `twilio` library (blocking: a thread)."""

from __future__ import annotations

import asyncio

import structlog
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from activities.channels.base import (
    ProviderRejected,
    ProviderUnavailable,
    SendOutcome,
    SmsMessage,
)

log = structlog.get_logger("arcadence.twilio")


class TwilioSmsChannel:
    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if base_url:
            # Tests (and proxies) point the real client at another host.
            self._client.api.base_url = base_url.rstrip("/")
        self._from = from_number

    async def send_sms(self, message: SmsMessage) -> SendOutcome:
        return await asyncio.to_thread(self._send, message)

    def _send(self, message: SmsMessage) -> SendOutcome:
        sids: list[str] = []
        for number in message.to:
            try:
                created = self._client.messages.create(to=number, from_=self._from, body=message.body)
            except TwilioRestException as err:
                if err.status == 429 or err.status >= 500:
                    raise ProviderUnavailable(self.name, str(err.msg), err.status) from err
                raise ProviderRejected(self.name, str(err.msg), err.status) from err
            sids.append(str(created.sid))
        log.info("twilio.accepted", delivery_id=message.delivery_id, sids=sids)
        return SendOutcome(provider=self.name, message_id=",".join(sids) or None)
