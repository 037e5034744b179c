"""Customers, contacts, the accounting sync, pause and history."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.common import Currency, Email, ExternalId, Name, Request, Response
from domain.enums import AutopayAnchor, ContactRole

MAX_SYNC_BATCH = 1000


class ContactIn(Request):
    name: str = Field(default="", max_length=200)
    email: Email | None = None
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{7,14}$")
    roles: list[ContactRole] = Field(default_factory=lambda: [ContactRole.COMMUNICATION], max_length=5)


class ContactCreate(ContactIn):
    model_config = ContactIn.model_config | {
        "json_schema_extra": {
            "examples": [
                {"name": "Jane Payables", "email": "ap@globex.example", "roles": ["communication", "billing"]}
            ]
        }
    }


class ContactOut(Response):
    id: int
    customer_id: int
    name: str
    email: str | None
    phone: str | None
    roles: list[str]
    suppressed_at: datetime | None


class CustomerFields(Request):
    name: Name
    currency: Currency = "USD"
    locale: str = Field(default="en_US", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    parent_external_id: ExternalId | None = None
    bill_to_parent: bool = False
    autopay: bool = False
    autopay_anchor: AutopayAnchor = AutopayAnchor.DUE_DATE
    specialist_id: int | None = Field(default=None, ge=1)


class CustomerCreate(CustomerFields):
    model_config = CustomerFields.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "external_id": "QB-1042",
                    "name": "Globex Corporation",
                    "currency": "USD",
                    "contacts": [{"name": "Jane Payables", "email": "ap@globex.example"}],
                }
            ]
        }
    }

    external_id: ExternalId
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)


class CustomerUpdate(Request):
    model_config = Request.model_config | {"json_schema_extra": {"examples": [{"specialist_id": 3}]}}

    name: Name | None = None
    currency: Currency | None = None
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    parent_external_id: ExternalId | None = None
    bill_to_parent: bool | None = None
    autopay: bool | None = None
    autopay_anchor: AutopayAnchor | None = None
    specialist_id: int | None = Field(default=None, ge=1)


class CustomerBatch(Request):
    model_config = Request.model_config | {
        "json_schema_extra": {
            "examples": [
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
            ]
        }
    }

    customers: list[CustomerCreate] = Field(min_length=1, max_length=MAX_SYNC_BATCH)


class CustomerOut(Response):
    id: int
    external_id: str
    name: str
    currency: str
    locale: str
    parent_id: int | None
    bill_to_parent: bool
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
    outcome: str
    enrolled_in: int | None = None


class SyncResult(Response):
    created: int
    updated: int
    unchanged: int
    items: list[SyncItem]


class PauseRequest(Request):
    model_config = Request.model_config | {
        "json_schema_extra": {
            "examples": [{"reason": "Promise to pay by Friday", "until": "2026-12-04T17:00:00Z"}]
        }
    }

    reason: str = Field(min_length=1, max_length=500)
    until: datetime | None = None


class HistoryOut(Response):
    id: int
    occurred_at: datetime
    action: str
    description: str
    actor: str
    invoice_id: int | None
    enrollment_id: int | None
    details: dict[str, object]
