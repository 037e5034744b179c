"""Customers' replies as the API shows them, and what the inbound webhook answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from services.schemas.common import Request, Response, with_example


class ReplyOut(Response):
    id: int
    customer_id: int | None
    delivery_id: int | None
    matched_by: str = Field(description="token (the delivery's reply token), sender (the address) or none")
    from_address: str
    from_field: str
    to_field: str
    subject: str
    text_body: str
    html_text: str = Field(description="The HTML part as plain text (never rendered)")
    received_at: datetime
    holds_pause: bool = Field(description="Whether this reply holds the customer's pause")
    handled_at: datetime | None
    handled_by: str | None


class ReplyHandle(Request):
    model_config = with_example({"note": "Called Jane: the payment leaves on Friday"})

    note: str = Field(default="", max_length=2000, description="What was done about it (in the history)")


class ReplyHandled(Response):
    reply: ReplyOut
    resumed: bool = Field(description="Whether the customer's automatic messages resumed")


class InboundReceipt(Response):
    id: int
    matched_by: str
    customer_id: int | None
    delivery_id: int | None
    paused: bool


class InboundAddress(Response):
    path: str = Field(description="The secret path to configure as SendGrid's Inbound Parse URL")
