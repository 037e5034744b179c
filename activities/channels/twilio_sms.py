"""SMS through Twilio's Messages API, with the official `twilio` library (blocking: a thread).

Twilio takes one recipient per request, so a delivery to several numbers is several
requests. Once any of them was accepted, a failure of another is not retried: the retry
would text the accepted numbers twice, and a duplicate cannot be unsent.
"""

from __future__ import annotations

import asyncio

import requests
import structlog
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import MaxRetryError, NewConnectionError

from activities.channels.base import (
    ChannelError,
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
    SendOutcome,
    SmsMessage,
)

log = structlog.get_logger("arcadence.twilio")

# Delivery.provider_message_id is VARCHAR(255): room for seven SIDs of 34 characters.
MAX_MESSAGE_ID = 255


def _never_connected(err: requests.ConnectionError) -> bool:
    """True when the connection failed before any byte of the request was sent."""
    if isinstance(err, requests.ConnectTimeout):
        return True
    reason = err.args[0] if err.args else None
    return isinstance(reason, MaxRetryError) and isinstance(reason.reason, NewConnectionError)


def _joined(sids: list[str]) -> str | None:
    joined = ",".join(sids)
    if len(joined) <= MAX_MESSAGE_ID:
        return joined or None
    kept: list[str] = []
    for sid in sids:
        more = f",+{len(sids) - len(kept) - 1} more"
        if len(",".join([*kept, sid])) + len(more) > MAX_MESSAGE_ID:
            break
        kept.append(sid)
    return ",".join(kept) + f",+{len(sids) - len(kept)} more"


class TwilioSmsChannel:
    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str | None = None,
        *,
        timeout: float = 10,
    ) -> None:
        self._client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        # Client() falls back to TWILIO_EDGE / TWILIO_REGION from the environment, which would
        # rewrite the host; arcadence reads its configuration from Settings only.
        self._client.edge = None
        self._client.region = None
        if base_url:
            # The Api domain builds every Messages URL from its base_url (tests, proxies).
            self._client.api.base_url = base_url.rstrip("/")
        self._from = from_number

    async def send_sms(self, message: SmsMessage) -> SendOutcome:
        return await asyncio.to_thread(self._send, message)

    def _send(self, message: SmsMessage) -> SendOutcome:
        if not message.to:
            raise ProviderRejected(self.name, "the message has no recipient")
        sids: list[str] = []
        failures: list[tuple[str, ChannelError]] = []
        for number in message.to:
            try:
                sids.append(self._send_one(number, message.body))
            except ChannelError as err:
                failures.append((number, err))
        if not failures:
            log.info("twilio.sent", delivery_id=message.delivery_id, sids=sids)
            return SendOutcome(provider=self.name, message_id=_joined(sids))
        unknown = [err for _, err in failures if isinstance(err, ProviderOutcomeUnknown)]
        if sids or unknown:
            failed = "; ".join(f"{number}: {err}" for number, err in failures)
            log.warning("twilio.partly_sent", delivery_id=message.delivery_id, sids=sids, failed=failed)
            raise ProviderOutcomeUnknown(
                self.name, f"sent or possibly sent: {','.join(sids) or 'none confirmed'}; failed: {failed}"
            )
        # Nothing left Twilio's door: a retry duplicates nothing, so let it happen if it can help.
        retryable = next((err for _, err in failures if isinstance(err, ProviderUnavailable)), None)
        raise retryable or failures[0][1]

    def _send_one(self, number: str, body: str) -> str:
        try:
            created = self._client.messages.create(to=number, from_=self._from, body=body)
        except TwilioRestException as err:
            status = int(err.status)
            detail = f"{err.msg} (code {err.code})" if err.code else str(err.msg)
            if status == 429 or status >= 500:
                raise ProviderUnavailable(self.name, detail, status) from err
            raise ProviderRejected(self.name, detail, status) from err
        except requests.ConnectionError as err:
            if _never_connected(err):
                raise ProviderUnavailable(self.name, f"could not connect: {err}") from err
            raise ProviderOutcomeUnknown(self.name, f"connection lost after sending: {err}") from err
        except requests.Timeout as err:
            raise ProviderOutcomeUnknown(self.name, f"no answer after the request was sent: {err}") from err
        return str(created.sid)
