"""Provider webhooks: no API key, each request proves itself with the provider's signature."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request

from api.deps import UnitOfWorkDep, app_state
from api.errors import ErrorOut
from services.common import now
from services.customer_sync import refresh_enrollments_of
from services.schemas.webhooks import SENDGRID_BATCH_EXAMPLE, WebhookReceipt
from services.webhooks.applying import apply_batch
from services.webhooks.signature import (
    SIGNATURE_HEADER,
    SIGNATURE_TOLERANCE_S,
    TIMESTAMP_HEADER,
    verify_signature,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


async def signed_sendgrid_body(
    request: Request,
    signature: Annotated[
        str | None,
        Header(alias=SIGNATURE_HEADER, description="Base64 ECDSA signature of timestamp + body"),
    ] = None,
    timestamp: Annotated[
        str | None, Header(alias=TIMESTAMP_HEADER, description="Unix time of the signature")
    ] = None,
) -> bytes:
    """The raw body, once SendGrid's signature over it is verified (before any parsing, and
    before a database session is opened)."""
    public_key = app_state(request).settings.sendgrid_webhook_public_key
    body = await request.body()
    verify_signature(public_key, signature, timestamp, body, now=time.time())
    return body


SignedSendGridBody = Annotated[bytes, Depends(signed_sendgrid_body)]

SENDGRID_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Signed, but not a JSON array of events; nothing was written"},
    401: {"model": ErrorOut, "description": "Missing, wrong or stale signature; nothing was written"},
    413: {"model": ErrorOut, "description": "The body is larger than 1 MiB"},
    503: {"model": ErrorOut, "description": "No webhook public key is configured; nothing is accepted"},
}


@router.post(
    "/sendgrid",
    summary="Receive a batch of SendGrid email events (signed by SendGrid)",
    description=(
        "SendGrid's Event Webhook. No API key: the request must carry SendGrid's ECDSA signature "
        f"(`{SIGNATURE_HEADER}`, `{TIMESTAMP_HEADER}`) over the raw body, made "
        f"within {SIGNATURE_TOLERANCE_S // 60} minutes. Each event is stored once; "
        "delivered, open, click, deferred, bounce, dropped, spam report and unsubscribe move the "
        "delivery forward (never back); a bounce, drop, spam report or unsubscribe also suppresses "
        "the address (whoever it belongs to), writes the customer history and gives the AR "
        "specialist a task. Replaying a batch changes nothing. See docs/WEBHOOKS.md."
    ),
    responses=SENDGRID_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": {"type": "object"}},
                    "example": SENDGRID_BATCH_EXAMPLE,
                }
            },
        }
    },
)
async def receive_sendgrid_events(body: SignedSendGridBody, uow: UnitOfWorkDep) -> WebhookReceipt:
    receipt = await apply_batch(uow.session, body, now=now())
    await refresh_enrollments_of(uow, sorted(receipt.customers_with_events), "delivery events")
    return WebhookReceipt.model_validate(receipt)
