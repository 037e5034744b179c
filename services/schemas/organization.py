"""Organization settings."""

from __future__ import annotations

from datetime import datetime, time

from pydantic import Field, field_serializer

from domain.contact_cap import DEFAULT_CAP_DAYS, MAX_CAP_COUNT, MAX_CAP_DAYS
from services.schemas.common import (
    Email,
    Flag,
    HolidayCountry,
    Id,
    Request,
    Response,
    TimeZoneName,
    with_example,
)

SEND_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class SettingsUpdate(Request):
    """The whole settings row (PUT): a field left out goes back to its default."""

    model_config = with_example(
        {
            "name": "Acme Industries",
            "time_zone": "America/New_York",
            "send_time": "14:30",
            "business_days_only": True,
            "holiday_country": "US",
            "sender_name": "Acme Accounts Receivable",
            "sender_email": "ar@acme.example",
            "reply_to": "collections@acme.example",
        }
    )

    name: str = Field(min_length=1, max_length=200)
    time_zone: TimeZoneName = "America/New_York"
    send_time: str = Field(default="14:30", pattern=SEND_TIME_PATTERN, description="HH:MM, local time")
    business_days_only: Flag = False
    holiday_country: HolidayCountry | None = None
    send_window_minutes: int = Field(default=0, ge=0, le=720, strict=True)
    default_definition_id: Id | None = None
    autopay_definition_id: Id | None = None
    sender_name: str = Field(default="Accounts Receivable", min_length=1, max_length=200)
    sender_email: Email = "ar@example.com"
    reply_to: Email | None = None
    promise_grace_days: int = Field(
        default=2, ge=0, le=30, strict=True, description="Days after a promised date before it is broken"
    )
    replies_pause: Flag = Field(
        default=True, description="A customer's reply pauses its automatic messages until handled"
    )
    contact_cap_count: int | None = Field(
        default=None,
        ge=1,
        le=MAX_CAP_COUNT,
        strict=True,
        description="At most this many customer-facing messages per customer per period (null: no cap)",
    )
    contact_cap_days: int = Field(
        default=DEFAULT_CAP_DAYS, ge=1, le=MAX_CAP_DAYS, strict=True, description="The cap's period, in days"
    )

    @property
    def send_time_value(self) -> time:
        hours, minutes = self.send_time.split(":")
        return time(int(hours), int(minutes))


class SettingsOut(Response):
    name: str
    time_zone: str
    send_time: time
    business_days_only: bool
    holiday_country: str | None
    send_window_minutes: int
    default_definition_id: int | None
    autopay_definition_id: int | None
    sender_name: str
    sender_email: str
    reply_to: str | None
    promise_grace_days: int
    replies_pause: bool = True
    contact_cap_count: int | None = None
    contact_cap_days: int = DEFAULT_CAP_DAYS
    updated_at: datetime
    updated_by: str | None

    @field_serializer("send_time")
    def _hhmm(self, value: time) -> str:
        return value.strftime("%H:%M")
