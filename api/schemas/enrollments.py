"""Enrollments, their status and timeline; tasks; deliveries."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from api.schemas.common import Email, Request, Response


class EnrollIn(Request):
    model_config = Request.model_config | {"json_schema_extra": {"examples": [{"definition_id": 1}]}}

    definition_id: int = Field(ge=1)


class DefinitionRef(Request):
    model_config = Request.model_config | {"json_schema_extra": {"examples": [{"definition_id": 2}]}}

    definition_id: int = Field(ge=1)


class BulkEnrollIn(Request):
    model_config = Request.model_config | {
        "json_schema_extra": {
            "examples": [
                {"definition_id": 1, "customer_ids": [1, 2, 3], "emails": {"3": "ap@initech.example"}}
            ]
        }
    }

    definition_id: int = Field(ge=1)
    customer_ids: list[int] = Field(min_length=1, max_length=10_000)
    emails: dict[int, Email] = Field(
        default_factory=dict, max_length=10_000, description="Saved for customers without an address"
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
    model_config = Request.model_config | {"json_schema_extra": {"examples": [{"reason": "Customer closed"}]}}

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
    at: datetime
    local_date: date
    step_position: int
    action: str
    invoice_id: int | None
    invoice_number: str | None
    recipients: list[str]
    recipients_note: str | None
    conditions_hold_today: bool
    conditions: str


class TimelineOut(Response):
    enrollment_id: int
    time_zone: str
    items: list[TimelineItem]


class TaskOut(Response):
    id: int
    customer_id: int
    invoice_id: int | None
    assignee_id: int | None
    title: str
    description: str
    due_date: date | None
    status: str
    created_at: datetime
    completed_at: datetime | None
    completed_by: str | None


class DeliveryOut(Response):
    id: int
    customer_id: int
    enrollment_id: int | None
    invoice_id: int | None
    channel: str
    recipients: list[dict[str, object]]
    subject: str | None
    status: str
    provider: str | None
    provider_message_id: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
