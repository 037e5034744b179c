"""Email through SendGrid's v3 API with the official `sendgrid` library.

The library is blocking, so each send runs in a thread. Temporal timers own the schedule:
`send_at` is never used. The delivery's business key travels in `custom_args` so that the
event webhook can settle a delivery whose outcome was unknown.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any
from urllib.error import URLError

import structlog
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from activities.channels.base import (
    EmailMessage,
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
    SendOutcome,
)

log = structlog.get_logger("arcadence.sendgrid")


def _address(email: str, name: str | None) -> dict[str, str]:
    return {"email": email, "name": name} if name else {"email": email}


def sendgrid_payload(message: EmailMessage) -> dict[str, Any]:
    """The v3 /mail/send body. All recipients share one personalization (one thread)."""
    content = [{"type": "text/plain", "value": message.text_body}]
    if message.html_body is not None:
        content.append({"type": "text/html", "value": message.html_body})
    payload: dict[str, Any] = {
        "personalizations": [{"to": [_address(a.email, a.name) for a in message.to]}],
        "from": _address(message.sender.email, message.sender.name),
        "subject": message.subject,
        "content": content,
        "custom_args": dict(message.custom_args),
    }
    if message.reply_to is not None:
        payload["reply_to"] = _address(message.reply_to.email, message.reply_to.name)
    if message.categories:
        payload["categories"] = list(message.categories)
    if message.attachments:
        payload["attachments"] = [
            {
                "content": base64.b64encode(a.content).decode("ascii"),
                "filename": a.filename,
                "type": a.content_type,
                "disposition": "attachment",
            }
            for a in message.attachments
        ]
    return payload


class SendGridEmailChannel:
    name = "sendgrid"

    def __init__(
        self, api_key: str, base_url: str = "https://api.sendgrid.com", timeout: float = 10.0
    ) -> None:
        self._client = SendGridAPIClient(api_key=api_key, host=base_url.rstrip("/"))
        self._timeout = timeout

    async def send_email(self, message: EmailMessage) -> SendOutcome:
        return await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> SendOutcome:
        payload = sendgrid_payload(message)
        try:
            response = self._client.client.mail.send.post(request_body=payload, timeout=self._timeout)
        except HTTPError as err:
            status = int(err.status_code)
            body = err.body.decode("utf-8", "replace") if isinstance(err.body, bytes) else str(err.body)
            if status == 429 or status >= 500:
                raise ProviderUnavailable(self.name, body[:2000], status) from err
            raise ProviderRejected(self.name, body[:2000], status) from err
        except TimeoutError as err:
            # The request left; SendGrid may have queued it. Only the webhook can tell.
            raise ProviderOutcomeUnknown(self.name, f"no answer within {self._timeout}s") from err
        except URLError as err:
            raise ProviderUnavailable(self.name, f"could not connect: {err.reason}") from err
        except ConnectionError as err:
            raise ProviderOutcomeUnknown(self.name, f"connection lost: {err}") from err
        message_id = response.headers.get("X-Message-Id") if response.headers is not None else None
        log.info("sendgrid.accepted", delivery_id=message.delivery_id, message_id=message_id)
        return SendOutcome(provider=self.name, message_id=message_id)
