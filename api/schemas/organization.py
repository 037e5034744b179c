"""Organization settings."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from api.schemas.common import Email, Request, Response


class SettingsUpdate(Request):
    model_config = Request.model_config | {
        "json_schema_extra": {
            "examples": [
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
            ]
        }
    }

    name: str = Field(min_length=1, max_length=200)
    time_zone: str = Field(default="America/New_York", max_length=64)
    send_time: time = time(14, 30)
    business_days_only: bool = False
    holiday_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    send_window_minutes: int = Field(default=0, ge=0, le=720)
    default_definition_id: int | None = Field(default=None, ge=1)
    autopay_definition_id: int | None = Field(default=None, ge=1)
    sender_name: str = Field(default="Accounts Receivable", min_length=1, max_length=200)
    sender_email: Email = "ar@example.com"
    reply_to: Email | None = None

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown IANA time zone") from exc
        return value


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
    updated_at: datetime
    updated_by: str | None
