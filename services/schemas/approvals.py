"""Approval gates: the queue's items, a decision's optional note, an edit's new message."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import Field, model_validator

from services.schemas.common import Request, Response, with_example

Note = Annotated[str, Field(max_length=2000)]


class DecisionIn(Request):
    model_config = with_example({"note": "Checked with the account owner"})

    note: Note = ""


class EditIn(Request):
    model_config = with_example(
        {
            "subject": "Invoice INV-1042: a gentle reminder",
            "text": "Dear Jane, a gentle reminder that invoice INV-1042 is due on Friday.",
            "note": "Softer tone for a key account",
        }
    )

    subject: str | None = Field(default=None, min_length=1, max_length=998, pattern=r"^[^\r\n]*$")
    text: str | None = Field(default=None, min_length=1, max_length=100_000)
    html: str | None = Field(default=None, min_length=1, max_length=200_000)
    note: Note = ""

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.subject is None and self.text is None and self.html is None:
            raise ValueError("an edit needs a new subject, text or html")
        return self


class ApprovalOut(Response):
    id: int
    state: str
    customer_id: int
    customer_name: str = ""
    enrollment_id: int | None
    step_id: int | None
    step_label: str
    role: str
    requested_at: datetime
    deadline: datetime
    on_expiry: str
    subject: str | None
    text_body: str
    html_body: str | None
    delivery_ids: list[int]
    decided_by: str | None
    decided_at: datetime | None
    changes: dict[str, object]
    note: str


class DecisionOut(Response):
    """The approval after the decision, and what the workflow did with it."""

    approval: ApprovalOut
    will_send: bool
    held_for_pause: bool
    summary: str
