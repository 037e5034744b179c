"""Message templates and their preview."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from domain.enums import Channel
from services.schemas.common import Id, Request, Response, with_example


class TemplateIn(Request):
    model_config = Request.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Friendly reminder",
                    "channel": "email",
                    "subject": "Invoice {{ invoice.number }} is due {{ invoice.due_date_text }}",
                    "html_body": "<p>Dear {{ customer.name }}, {{ invoice.balance_due_text }} is due.</p>",
                    "text_body": "Dear {{ customer.name }}, {{ invoice.balance_due_text }} is due.",
                }
            ]
        }
    }

    name: str = Field(min_length=1, max_length=200)
    channel: Channel = Channel.EMAIL
    subject: str | None = Field(default=None, max_length=998)
    html_body: str | None = Field(default=None, max_length=100_000)
    text_body: str = Field(min_length=1, max_length=100_000)


class TemplateOut(Response):
    id: int
    name: str
    channel: str
    subject: str | None
    html_body: str | None
    text_body: str
    updated_at: datetime


class PreviewIn(Request):
    model_config = with_example({"customer_id": 1, "invoice_id": 7})

    customer_id: Id
    invoice_id: Id | None = Field(default=None, description="The invoice of an invoice reminder")


class PreviewOut(Response):
    subject: str | None
    html_body: str | None
    text_body: str
