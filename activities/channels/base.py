"""Messages, outcomes and the errors channels raise, sorted by what a retry could change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Address:
    email: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file for an email. Channels attach `content` only: the caller loads a PDF from `url`."""

    filename: str
    content_type: str
    # Keyword-only: a positional third argument would be ambiguous between a URL and bytes.
    _: KW_ONLY
    url: str | None = None
    content: bytes | None = None

    def __post_init__(self) -> None:
        if self.url is None and self.content is None:
            raise ValueError(f"attachment {self.filename!r} has neither content nor url")


@dataclass(frozen=True, slots=True)
class EmailMessage:
    delivery_id: int
    idempotency_key: str
    to: tuple[Address, ...]
    sender: Address
    reply_to: Address | None
    subject: str
    html_body: str | None
    text_body: str
    # The delivery's keys (delivery_id, enrollment_id, idempotency_key): the webhook's way back.
    custom_args: Mapping[str, str] = field(default_factory=dict)
    categories: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    # Extra headers, e.g. the Message-ID that carries the reply token (`domain.replies`).
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SmsMessage:
    delivery_id: int
    idempotency_key: str
    to: tuple[str, ...]
    body: str
    custom_args: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendOutcome:
    provider: str
    message_id: str | None


class ChannelError(Exception):
    """A send that did not go through; the subclass says whether trying again can help."""

    provider: str
    status: int | None
    detail: str

    def __init__(self, provider: str, detail: str, status: int | None = None) -> None:
        self.provider = provider
        self.detail = detail
        self.status = status
        code = f" {status}" if status is not None else ""
        super().__init__(f"{provider}{code}: {detail}")


class ProviderRejected(ChannelError):
    """A 4xx other than 429: this request can never succeed; not retried."""


class ProviderUnavailable(ChannelError):
    """429, 5xx, or no connection before the request left: try again later."""


class ProviderOutcomeUnknown(ChannelError):
    """The request left but no answer came back: it may or may not have been accepted."""


class EmailChannel(Protocol):
    name: str

    async def send_email(self, message: EmailMessage) -> SendOutcome: ...


class SmsChannel(Protocol):
    name: str

    async def send_sms(self, message: SmsMessage) -> SendOutcome: ...
