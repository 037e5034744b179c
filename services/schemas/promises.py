"""Promises to pay and disputes: what a person records, and what the API shows of them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from domain.enums import DisputeReason
from services.schemas.common import BusinessDate, Id, Request, Response, with_example

# Signed on purpose: a zero or negative amount is refused by the domain rule with its own code.
PromisedAmount = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]
Note = Annotated[str, Field(max_length=2000)]
MAX_PROMISED_INVOICES = 100


class PromiseCreate(Request):
    """Either the invoices it covers, or the whole balance (every open invoice now)."""

    model_config = with_example(
        {"invoice_ids": [1042], "amount": "2340.50", "promised_date": "2026-12-11", "note": "Wire on Friday"}
    )

    invoice_ids: list[Id] = Field(default_factory=list, max_length=MAX_PROMISED_INVOICES)
    whole_balance: bool = Field(default=False, strict=True)
    amount: PromisedAmount | None = Field(
        default=None, description="What the customer promised; the covered balance when left out"
    )
    promised_date: BusinessDate
    note: Note = ""

    @model_validator(mode="after")
    def _one_cover(self) -> Self:
        if self.whole_balance == bool(self.invoice_ids):
            raise ValueError("give either invoice_ids or whole_balance: true")
        if len(set(self.invoice_ids)) != len(self.invoice_ids):
            raise ValueError("invoice_ids lists an invoice twice")
        return self


class PromisedInvoiceOut(Response):
    invoice_id: int
    number: str
    balance_at_promise: Decimal
    balance_due: Decimal
    status: str
    collection_status: str


class PromiseOut(Response):
    id: int
    customer_id: int
    state: str
    whole_balance: bool
    amount: Decimal
    currency: str
    paid_so_far: Decimal = Field(
        description="Paid toward the amount since the promise (at its close once closed)"
    )
    payment: str = Field(
        description="In words: nothing paid, partly paid (paid so far of amount), paid in full"
    )
    promised_date: date
    grace_days: int
    deadline_at: datetime = Field(description="When it is judged: kept if paid in full by then, else broken")
    note: str
    recorded_by: str
    recorded_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    invoices: list[PromisedInvoiceOut]


class DisputeCreate(Request):
    model_config = with_example({"reason": "wrong_amount", "note": "Billed 12 hours, agreed 10"})

    reason: DisputeReason
    note: Note = ""


class DisputeResolve(Request):
    model_config = with_example({"resolution": "rejected", "note": "Timesheets confirm 12 hours"})

    resolution: Literal["upheld", "rejected"]
    note: Note = ""


class DisputeOut(Response):
    id: int
    invoice_id: int
    customer_id: int
    state: str
    reason: str
    note: str
    opened_by: str
    opened_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None
    resolution_note: str | None


class OpenPromiseNote(Response):
    """An open promise on the customer's timeline, and what happens when it breaks."""

    promise_id: int
    promised_date: date
    deadline_at: datetime
    amount: Decimal
    currency: str
    payment: str
    invoices: list[str]
    if_broken: str


class OpenDisputeNote(Response):
    dispute_id: int
    invoice_id: int
    invoice_number: str
    reason: str
    note: str
    opened_by: str
    opened_at: datetime
