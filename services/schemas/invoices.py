"""Invoices and their sync."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self

from pydantic import Field, model_validator

from domain.enums import CollectionStatus, InvoiceStatus
from services.schemas.common import BusinessDate, Currency, ExternalId, Money, Request, Response, with_example

MAX_SYNC_BATCH = 1000


EXAMPLE: dict[str, Any] = {
    "external_id": "QB-INV-1042",
    "number": "INV-1042",
    "currency": "USD",
    "total": "2340.50",
    "balance_due": "2340.50",
    "issue_date": "2026-11-02",
    "due_date": "2026-12-02",
}


class InvoiceFields(Request):
    external_id: ExternalId
    number: str = Field(min_length=1, max_length=64)
    currency: Currency = "USD"
    total: Money
    balance_due: Money
    issue_date: BusinessDate
    due_date: BusinessDate
    discount_end_date: BusinessDate | None = None
    scheduled_payment_date: BusinessDate | None = None
    status: InvoiceStatus = InvoiceStatus.OPEN
    pdf_url: str | None = Field(default=None, max_length=2000, pattern=r"^https://")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.balance_due > self.total:
            raise ValueError("balance_due cannot exceed total")
        if self.due_date < self.issue_date:
            raise ValueError("due_date cannot be before issue_date")
        return self


class InvoiceCreate(InvoiceFields):
    """One invoice of the customer in the path."""

    model_config = with_example(EXAMPLE)


class InvoiceIn(InvoiceFields):
    """One invoice of a sync batch; its customer is named by external id."""

    model_config = with_example({**EXAMPLE, "customer_external_id": "QB-1042"})

    customer_external_id: ExternalId


class InvoiceBatch(Request):
    model_config = with_example({"invoices": [{**EXAMPLE, "customer_external_id": "QB-1042"}]})

    invoices: list[InvoiceIn] = Field(min_length=1, max_length=MAX_SYNC_BATCH)


class InvoiceUpdate(Request):
    model_config = with_example({"status": "paid", "balance_due": "0"})

    balance_due: Money | None = None
    due_date: BusinessDate | None = None
    status: InvoiceStatus | None = None
    scheduled_payment_date: BusinessDate | None = None
    discount_end_date: BusinessDate | None = None

    @model_validator(mode="after")
    def _nulls(self) -> Self:
        for name in ("balance_due", "due_date", "status"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class InvoiceOut(Response):
    id: int
    external_id: str
    customer_id: int
    number: str
    currency: str
    total: Decimal
    balance_due: Decimal
    issue_date: date
    due_date: date
    discount_end_date: date | None
    scheduled_payment_date: date | None
    status: str = Field(description="The accounting system's status (owned by the sync)")
    collection_status: str = Field(
        description="arcadence's own: in_collection, on_hold, disputed or promised (never set by a sync)"
    )
    paused: bool
    pdf_url: str | None
    updated_at: datetime


class CollectionStatusIn(Request):
    """arcadence's collection status of an invoice; on hold, disputed and promised leave the cadence."""

    model_config = with_example({"status": "disputed", "reason": "Customer disputes the freight charge"})

    status: CollectionStatus
    reason: str = Field(min_length=1, max_length=500)


class InvoiceSyncItem(Response):
    external_id: str
    id: int
    outcome: str = Field(description="created, updated or unchanged")


class InvoiceSyncResult(Response):
    created: int
    updated: int
    unchanged: int
    refreshed_enrollments: int = Field(description="Running enrollments asked to plan again")
    items: list[InvoiceSyncItem]
