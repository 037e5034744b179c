"""Suppressed addresses, as the API lists them, and a person's lift."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from services.schemas.common import Request, Response, with_example


class SuppressionOut(Response):
    id: int
    address: str
    source: str
    reason: str
    delivery_id: int | None
    since: datetime
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str | None
    active: bool


class SuppressionLift(Request):
    model_config = with_example({"reason": "The customer fixed their mailbox and asked to hear from us"})

    reason: str = Field(min_length=1, max_length=500)


class SuppressionLifted(SuppressionOut):
    # The customers whose history records the lift (those with a contact at the address); none
    # for an address of no contact: the suppression row itself is the record.
    recorded_for_customers: list[int]
