"""A cap on request bodies, checked before anything reads them: 413 `body_too_large`.

The declared `Content-Length` is refused up front when it is over the cap; the bytes actually
received are counted too, so a body that lies about its length, or has none (chunked), is cut
off at the cap as well. FastAPI reads a body before it runs a route's dependencies, so an
oversized request never opens a transaction: nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body

MiB = 1024 * 1024
DEFAULT_MAX_BODY = 1 * MiB
# SendGrid Inbound Parse posts a reply with its attachments inside the form, and SendGrid takes
# messages of up to 30 MB: a cap at 32 MiB refuses none of those (a 413 is not retried by
# SendGrid, so the reply would be lost). Only the text fields are kept (services/webhooks/).
INBOUND_MAX_BODY = 32 * MiB


@dataclass(frozen=True, slots=True)
class BodyLimit:
    """Bodies of requests to paths matching `path` (a regular expression) may be this large."""

    path: str
    max_bytes: int


# The bulk endpoints' documented maxima (1,000 customers with their contacts, 1,000 invoices,
# 10,000 customers with an address each) and templates of 100,000 characters (JSON escapes a
# character in up to 12 bytes) need more than the default.
LARGER_BODIES = (
    BodyLimit(r"^/customers/batch$", 8 * MiB),
    BodyLimit(r"^/invoices/batch$", 4 * MiB),
    BodyLimit(r"^/enrollments/bulk$", 4 * MiB),
    BodyLimit(r"^/templates(/[^/]+)?$", 4 * MiB),
    BodyLimit(r"^/webhooks/sendgrid/inbound(/[^/]*)?$", INBOUND_MAX_BODY),
)


class BodyTooLarge(HTTPException):
    """Raised from `receive` once the cap is passed; FastAPI's body reader lets it through, and
    the error handlers render it like any other error."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit:,} bytes")
        self.details = {"limit_bytes": limit}


def too_large_response(limit: int) -> JSONResponse:
    message = f"The request body is larger than {limit:,} bytes"
    return JSONResponse(
        error_body("body_too_large", message, {"limit_bytes": limit}),
        status_code=413,
        headers={"Connection": "close"},
    )


class BodySizeLimit:
    """ASGI middleware refusing request bodies over a per-path cap."""

    def __init__(
        self, app: ASGIApp, default: int = DEFAULT_MAX_BODY, larger: Sequence[BodyLimit] = LARGER_BODIES
    ) -> None:
        self.app = app
        self.default = default
        self.larger = [(re.compile(rule.path), rule.max_bytes) for rule in larger]

    def limit_for(self, path: str) -> int:
        return next((limit for pattern, limit in self.larger if pattern.match(path)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await too_large_response(limit)(scope, receive, send)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # Read by something that does not turn it into a response itself.
            if started:
                raise
            await too_large_response(limit)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length; the bytes are counted anyway
    return None
