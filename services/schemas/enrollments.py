"""Enrollments: enrolling, switching, cancelling; their status and timeline; bulk jobs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from services.schemas.common import Email, Id, Request, Response, with_example
from services.schemas.promises import OpenDisputeNote, OpenPromiseNote

MAX_BULK_CUSTOMERS = 10_000
# JSON object keys are strings: "3" names customer 3, so the key is not strict like `Id`.
IdKey = Annotated[int, Field(ge=1, le=2_147_483_647)]


class EnrollIn(Request):
    model_config = with_example({"definition_id": 1})

    definition_id: Id


class DefinitionRef(Request):
    model_config = with_example({"definition_id": 2})

    definition_id: Id


class BulkEnrollIn(Request):
    model_config = Request.model_config | {
        "json_schema_extra": {
            "examples": [
                {"definition_id": 1, "customer_ids": [1, 2, 3], "emails": {"3": "ap@initech.example"}}
            ]
        }
    }

    definition_id: Id
    customer_ids: list[Id] = Field(min_length=1, max_length=MAX_BULK_CUSTOMERS)
    emails: dict[IdKey, Email] = Field(
        default_factory=dict,
        max_length=MAX_BULK_CUSTOMERS,
        description="Saved for customers without an address",
    )


class BulkJobOut(Response):
    job_id: str
    workflow_id: str
    total: int


class OutcomeOut(Response):
    customer_id: int
    outcome: str
    reason: str


class BulkProgressOut(Response):
    job_id: str
    definition_id: int
    total: int
    done: int
    counts: dict[str, int]
    finished: bool
    outcomes: list[OutcomeOut]


class CancelIn(Request):
    model_config = with_example({"reason": "Customer closed"})

    reason: str = Field(default="cancelled", min_length=1, max_length=500)


class EnrollmentOut(Response):
    id: int
    customer_id: int
    definition_id: int
    definition_version: int
    state: str
    anchor_date: date
    enrolled_at: datetime
    enrolled_by: str
    workflow_id: str
    next_step_at: datetime | None
    continue_with_id: int | None
    ended_at: datetime | None


class LiveStatus(Response):
    definition_name: str
    definition_version: int = Field(description="The version of the workflow its last plan ran")
    state: str
    paused: bool
    pause_reason: str | None
    paused_until: datetime | None
    next_step_at: datetime | None
    next_step: str
    steps_done: int
    continue_with_id: int | None
    last_skip_reason: str | None
    details: str


class EnrollmentStatusOut(Response):
    enrollment: EnrollmentOut
    workflow: LiveStatus | None
    workflow_error: str | None = None


class TimelineItem(Response):
    at: datetime = Field(description="When it fires (the send time on that date in the customer's zone)")
    local_date: date = Field(description="The date in the customer's zone")
    local_time: str = Field(
        default="",
        description="When it fires, in the customer's zone (and the organization's when they differ)",
    )
    step_id: int | None = Field(description="None for an automation")
    step_position: int | None = Field(description="1 for the first step; None for an automation")
    action: str
    invoice_id: int | None
    invoice_number: str | None
    recipients: list[str] = Field(description="Who would receive it if it were sent today")
    recipients_note: str | None = Field(description="Why nobody, or who was cut")
    conditions_hold_today: bool
    conditions: str = Field(description="The conditions with today's values")
    merged: str | None = Field(
        default=None, description="Earlier reminders the business-day shift merged into this one"
    )
    automation_id: int | None = Field(default=None, description="A time-triggered automation's firing")
    automation_name: str | None = None


class TimelineOut(Response):
    enrollment_id: int
    definition_id: int
    definition_name: str
    time_zone: str = Field(description="The customer's zone, in which its messages are sent")
    organization_time_zone: str = Field(default="", description="The organization's zone")
    paused: bool = Field(description="The customer is paused: nothing is sent until resumed")
    workflow_off: str | None = Field(
        default=None, description="Set when the workflow is switched off: nothing is sent until it is on"
    )
    set_aside: list[str] = Field(
        default_factory=list,
        description="Open invoices not reminded for now, each with why (paused, disputed, on hold, promised)",
    )
    items: list[TimelineItem]
    open_promises: list[OpenPromiseNote] = Field(
        default_factory=list, description="Open promises to pay, each with what happens if it breaks"
    )
    open_disputes: list[OpenDisputeNote] = Field(
        default_factory=list, description="Open disputes, each on its invoice"
    )
