"""What the webhook answers: how many events of the batch did what."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict

from services.schemas.common import Response

SENDGRID_BATCH_EXAMPLE: list[dict[str, Any]] = [
    {
        "email": "ap@globex.example",
        "timestamp": 1767225600,
        "event": "bounce",
        "sg_event_id": "ZHJvcC0xMjM0NTY3OA",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "reason": "550 5.1.1 The email account that you tried to reach does not exist",
        "type": "bounce",
        "delivery_id": "42",
        "enrollment_id": "7",
        "idempotency_key": "enr7:step3:inv12:2026-01-01:email",
    }
]


class WebhookReceipt(Response):
    """received = applied + duplicates + unmatched + ignored."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [{"received": 3, "applied": 1, "duplicates": 1, "unmatched": 1, "ignored": 0}]
        },
    )

    received: int
    applied: int
    duplicates: int
    unmatched: int
    ignored: int
