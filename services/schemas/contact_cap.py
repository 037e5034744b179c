"""The contact-frequency cap of one customer: its own (overriding the organization's) and the
one in force."""

from __future__ import annotations

from pydantic import Field

from domain.contact_cap import MAX_CAP_COUNT, MAX_CAP_DAYS
from services.schemas.common import Request, Response, with_example

CapCount = Field(default=None, ge=1, le=MAX_CAP_COUNT, strict=True, description="Messages per period")
CapDays = Field(default=None, ge=1, le=MAX_CAP_DAYS, strict=True, description="The period, in days")


class CustomerCapUpdate(Request):
    """The customer's own cap (PUT): both null to follow the organization's again."""

    model_config = with_example({"count": 2, "days": 14})

    count: int | None = CapCount
    days: int | None = CapDays


class CustomerCapOut(Response):
    customer_id: int
    count: int | None = Field(description="The customer's own count (null: the organization's)")
    days: int | None = Field(description="The customer's own period (null: the organization's)")
    in_force: str | None = Field(description="The cap that applies, in words (null: no cap)")
