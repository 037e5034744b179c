"""Customers, contacts, the accounting sync, pause and history."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import Field, model_validator

from domain.enums import AutopayAnchor, BillingLevel, ContactRole
from services.schemas.common import (
    Currency,
    Email,
    ExternalId,
    Flag,
    HolidayCountry,
    Id,
    Name,
    Request,
    Response,
    TimeZoneName,
    with_example,
)

MAX_SYNC_BATCH = 1000
LOCALE_PATTERN = r"^[a-z]{2,3}(_[A-Z]{2})?$"


class ContactIn(Request):
    model_config = with_example(
        {"name": "Jane Payables", "email": "ap@globex.example", "roles": ["communication", "billing"]}
    )

    name: str = Field(default="", max_length=200)
    email: Email | None = None
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{7,14}$", description="E.164")
    roles: list[ContactRole] = Field(default_factory=lambda: [ContactRole.COMMUNICATION], max_length=5)
    time_zone: TimeZoneName | None = Field(
        default=None, description="The contact's zone; a primary contact's is the customer's default"
    )

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if self.email is None and self.phone is None:
            raise ValueError("a contact needs an email or a phone number")
        return self


class ContactOut(Response):
    id: int
    customer_id: int
    name: str
    email: str | None
    phone: str | None
    roles: list[str]
    time_zone: str | None
    suppressed_at: datetime | None


class CustomerCreate(Request):
    model_config = with_example(
        {
            "external_id": "QB-1042",
            "name": "Globex Corporation",
            "currency": "USD",
            "contacts": [{"name": "Jane Payables", "email": "ap@globex.example"}],
        }
    )

    external_id: ExternalId
    name: Name
    currency: Currency = "USD"
    locale: str = Field(default="en_US", pattern=LOCALE_PATTERN)
    time_zone: TimeZoneName | None = Field(
        default=None, description="Messages go at the organization's send time in this zone"
    )
    holiday_country: HolidayCountry | None = Field(
        default=None, description="With business-days-only: this country's holidays, not the organization's"
    )
    parent_external_id: ExternalId | None = Field(
        default=None, description="The parent customer, by external id (may be in the same batch)"
    )
    bill_to_parent: Flag = False
    billing_level: BillingLevel = Field(
        default=BillingLevel.IMMEDIATE,
        description="With bill_to_parent: billed to the direct parent (immediate) or the root (top)",
    )
    autopay: Flag = False
    autopay_anchor: AutopayAnchor = AutopayAnchor.DUE_DATE
    specialist_id: Id | None = None
    contacts: list[ContactIn] = Field(
        default_factory=list,
        max_length=50,
        description="Added when the customer is created; later, manage them under /contacts",
    )


class CustomerUpdate(Request):
    """A partial change; only the fields sent are changed (`null` clears parent and specialist)."""

    model_config = with_example({"specialist_id": 3, "parent_id": 12, "bill_to_parent": True})

    name: Name | None = None
    currency: Currency | None = None
    locale: str | None = Field(default=None, pattern=LOCALE_PATTERN)
    time_zone: TimeZoneName | None = Field(
        default=None,
        description="None: the primary contact's or the organization's zone. Messages go at the organization's send time in this zone",
    )
    holiday_country: HolidayCountry | None = Field(
        default=None, description="With business-days-only: this country's holidays, not the organization's"
    )
    parent_id: Id | None = None
    parent_external_id: ExternalId | None = None
    bill_to_parent: Flag | None = None
    billing_level: BillingLevel | None = None
    autopay: Flag | None = None
    autopay_anchor: AutopayAnchor | None = None
    specialist_id: Id | None = None

    @model_validator(mode="after")
    def _nulls(self) -> Self:
        sent = self.model_fields_set
        for name in (
            "name",
            "currency",
            "locale",
            "bill_to_parent",
            "billing_level",
            "autopay",
            "autopay_anchor",
        ):
            if name in sent and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        if {"parent_id", "parent_external_id"} <= sent:
            raise ValueError("send parent_id or parent_external_id, not both")
        return self


class CustomerBatch(Request):
    model_config = with_example(
        {
            "customers": [
                {"external_id": "QB-1", "name": "Globex Holdings"},
                {
                    "external_id": "QB-2",
                    "name": "Globex US",
                    "parent_external_id": "QB-1",
                    "bill_to_parent": True,
                },
            ]
        }
    )

    customers: list[CustomerCreate] = Field(min_length=1, max_length=MAX_SYNC_BATCH)


class CustomerOut(Response):
    id: int
    external_id: str
    name: str
    currency: str
    locale: str
    time_zone: str | None
    holiday_country: str | None
    parent_id: int | None
    bill_to_parent: bool
    billing_level: BillingLevel
    autopay: bool
    autopay_anchor: str
    specialist_id: int | None
    paused: bool
    paused_until: datetime | None
    pause_reason: str | None
    paused_by: str | None
    last_action: str | None
    last_action_by: str | None
    last_action_at: datetime | None
    created_at: datetime


class SyncItem(Response):
    external_id: str
    id: int
    outcome: str = Field(description="created, updated or unchanged")
    enrolled_in: int | None = Field(default=None, description="The workflow a new customer was enrolled in")
    enrollment_note: str | None = Field(default=None, description="Why a new customer was not enrolled")


class SyncResult(Response):
    created: int
    updated: int
    unchanged: int
    items: list[SyncItem]


class PauseRequest(Request):
    model_config = with_example({"reason": "Promise to pay by Friday", "until": "2026-12-04T17:00:00Z"})

    reason: str = Field(min_length=1, max_length=500)
    until: datetime | None = Field(default=None, description="Resume by itself then (with a time zone)")

    @model_validator(mode="after")
    def _aware(self) -> Self:
        if self.until is not None and self.until.tzinfo is None:
            raise ValueError("until needs a time zone (e.g. 2026-12-04T17:00:00Z)")
        return self


class HistoryOut(Response):
    id: int
    occurred_at: datetime
    action: str
    description: str
    actor: str
    invoice_id: int | None
    enrollment_id: int | None
    details: dict[str, object]
