"""Email through SendGrid's v3 mail/send API, with the official `sendgrid` library.

The library is blocking, so each send runs in a worker thread. Temporal timers own the
schedule, so `send_at` is never set. The delivery's keys travel in `custom_args`, which
SendGrid echoes in every webhook event: that is how an unknown outcome gets settled.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
from typing import Any
from urllib.error import URLError

import structlog
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Attachment as SendGridAttachment,
)
from sendgrid.helpers.mail import (
    Category,
    Content,
    CustomArg,
    Disposition,
    FileContent,
    FileName,
    FileType,
    From,
    Header,
    Mail,
    MimeType,
    Personalization,
    ReplyTo,
    To,
)
from sendgrid.helpers.mail.exceptions import SendGridException

from activities.channels.base import (
    EmailMessage,
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
    SendOutcome,
)

log = structlog.get_logger("arcadence.sendgrid")

# Enough of SendGrid's error body to say why; the delivery's last_error keeps it.
MAX_DETAIL = 2000


def build_mail(message: EmailMessage) -> Mail:
    """The mail/send request for one delivery.

    All recipients share one personalization: they are the customer's own contacts, so they
    see each other in To and get one thread to reply to (and one X-Message-Id to track).
    Only attachments with `content` are attached; loading an invoice PDF from its URL is
    the caller's job, done before the send.
    """
    mail = Mail()
    personalization = Personalization()
    for address in message.to:
        personalization.add_to(To(address.email, address.name))
    mail.add_personalization(personalization)
    mail.from_email = From(message.sender.email, message.sender.name)
    if message.reply_to is not None:
        mail.reply_to = ReplyTo(message.reply_to.email, message.reply_to.name)
    mail.subject = message.subject
    # The helper keeps text/plain first, as the API requires.
    mail.add_content(Content(MimeType.text, message.text_body))
    if message.html_body is not None:
        mail.add_content(Content(MimeType.html, message.html_body))
    # The helper inserts each custom arg, category and attachment at the front of its list:
    # adding them in reverse keeps the message's order.
    for key, value in reversed(list(message.custom_args.items())):
        mail.add_custom_arg(CustomArg(key, value))
    for name, value in message.headers.items():
        mail.add_header(Header(name, value))
    for category in reversed(message.categories):
        mail.add_category(Category(category))
    for attachment in reversed(message.attachments):
        if attachment.content is None:
            log.warning(
                "sendgrid.attachment_not_loaded",
                delivery_id=message.delivery_id,
                filename=attachment.filename,
            )
            continue
        mail.add_attachment(
            SendGridAttachment(
                FileContent(base64.b64encode(attachment.content).decode("ascii")),
                FileName(attachment.filename),
                FileType(attachment.content_type),
                Disposition("attachment"),
            )
        )
    return mail


def _error_body(err: HTTPError) -> str:
    body = err.body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    return text[:MAX_DETAIL]


class SendGridEmailChannel:
    name = "sendgrid"

    def __init__(self, api_key: str, base_url: str = "https://api.sendgrid.com", timeout: float = 10) -> None:
        # python_http_client appends "/v3/..." to the host: a trailing slash would double it.
        self._client = SendGridAPIClient(api_key=api_key, host=base_url.rstrip("/"))
        self._timeout = timeout

    async def send_email(self, message: EmailMessage) -> SendOutcome:
        return await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> SendOutcome:
        if not message.to:
            raise ProviderRejected(self.name, "the message has no recipient")
        try:
            body: dict[str, Any] = build_mail(message).get()
        except SendGridException as err:
            # e.g. the helper refuses content that looks like an API key: no retry changes that.
            raise ProviderRejected(self.name, f"the message could not be built: {err!r}") from err
        try:
            response = self._client.client.mail.send.post(request_body=body, timeout=self._timeout)
        except HTTPError as err:
            status = int(err.status_code)
            if status == 429 or status >= 500:
                raise ProviderUnavailable(self.name, _error_body(err), status) from err
            raise ProviderRejected(self.name, _error_body(err), status) from err
        except URLError as err:
            # urllib wraps what fails while connecting or writing the request: it never
            # arrived whole, so SendGrid cannot have queued it.
            raise ProviderUnavailable(self.name, f"could not connect: {err.reason}") from err
        except (TimeoutError, ConnectionError, http.client.HTTPException) as err:
            # The request left; SendGrid may have queued it. Only the webhook can tell.
            raise ProviderOutcomeUnknown(self.name, f"no answer after the request was sent: {err!r}") from err
        message_id = response.headers.get("X-Message-Id") if response.headers is not None else None
        log.info(
            "sendgrid.sent",
            delivery_id=message.delivery_id,
            status=response.status_code,
            message_id=message_id,
        )
        return SendOutcome(provider=self.name, message_id=message_id)
