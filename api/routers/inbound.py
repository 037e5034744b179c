"""SendGrid Inbound Parse: customers' replies, posted to a secret path (no API key)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.deps import UnitOfWorkDep
from api.errors import ErrorOut
from api.limits import INBOUND_MAX_BODY, MiB
from services import replies as service
from services.schemas.replies import InboundReceipt

router = APIRouter(prefix="/webhooks/sendgrid/inbound", tags=["webhooks"])

# What Inbound Parse posts (parsed mode); read by hand (`services/webhooks/inbound_form.py`).
FORM: dict[str, Any] = {
    "type": "object",
    "required": ["from", "to"],
    "properties": {
        name: {"type": "string", "description": description}
        for name, description in (
            ("from", "The sender, e.g. `Jane <ap@globex.example>`"),
            ("to", "The addresses it was sent to"),
            ("cc", "Copied addresses"),
            ("subject", "The subject"),
            ("text", "The text part"),
            ("html", "The HTML part (stored as text)"),
            ("headers", "The raw header block: In-Reply-To and References carry the reply token"),
            ("envelope", "SMTP envelope (JSON)"),
            ("charsets", "The charset of each field (JSON)"),
        )
    },
}

RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Not a multipart/form-data body; nothing was stored"},
    401: {"model": ErrorOut, "description": "No secret, or not the organization's; nothing was stored"},
    413: {
        "model": ErrorOut,
        "description": f"The body is larger than {INBOUND_MAX_BODY // MiB} MiB; nothing was stored",
    },
}


@router.post(
    "/{secret}",
    summary="Receive a customer's reply (SendGrid Inbound Parse, at the organization's secret path)",
    description=(
        "SendGrid Inbound Parse posts each email received on the reply domain here as "
        "multipart/form-data (from, to, subject, text, html, headers, charsets…). The path's "
        "secret is the organization's (`GET /replies/inbound-address`). The reply is stored, tied "
        "to the delivery it answers (the token in its In-Reply-To / References) or to the customer "
        "whose contact wrote it, written to the history as `delivery_replied`, and pauses the "
        "customer's automatic messages until it is handled (setting `replies_pause`). "
        "See docs/WEBHOOKS.md."
    ),
    responses=RESPONSES,
    status_code=200,
    openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": FORM}}}},
)
async def receive_reply(secret: str, request: Request, uow: UnitOfWorkDep) -> InboundReceipt:
    await service.check_inbound_secret(uow, secret)
    body = await request.body()
    return await service.receive_reply(uow, request.headers.get("content-type", ""), body)


@router.post(
    "",
    summary="Refused: Inbound Parse must post to the organization's secret path",
    responses={401: {"model": ErrorOut, "description": "No secret in the path; nothing was stored"}},
)
async def receive_reply_without_secret() -> None:
    raise service.BadInboundSecret("The inbound address needs its secret path; nothing was stored")
