"""One error shape for every failure: `{"error": {"code", "message", "details"}}`, never a traceback.

Services raise the typed errors below; the handlers turn them, validation failures, database
refusals and anything unexpected into that shape with the right status.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

log = structlog.get_logger("arcadence.api")


class ApiError(Exception):
    """A domain error with its HTTP status and a machine-readable code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class Invalid(ApiError):
    status, code = 422, "invalid_input"


class Unavailable(ApiError):
    status, code = 503, "unavailable"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": jsonable_encoder(details)}}


def _respond(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


HTTP_CODES = {
    # FastAPI's answer to a body it cannot even decode (not UTF-8).
    400: "malformed_body",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _respond(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # The offending input is left out: it may be long, or personal data.
        details = [
            {"location": list(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return _respond(422, "invalid_input", "The request is not valid", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return _respond(exc.status_code, code, str(exc.detail), getattr(exc, "details", None))

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # A race the services' own checks could not see (two requests creating the same id).
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        return _respond(
            409, "conflict", "The change conflicts with existing data", {"constraint": constraint}
        )

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        log.warning("api.database_refused_value", error=str(exc.orig), path=request.url.path)
        return _respond(422, "invalid_input", "The database refused a value")

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        # Postgres unreachable, or the request ran past `statement_timeout`.
        log.error("api.database_unavailable", error=str(exc.orig), path=request.url.path)
        return _respond(503, "database_unavailable", "The database did not answer in time; retry later")

    @app.exception_handler(RPCError)
    async def _temporal(request: Request, exc: RPCError) -> JSONResponse:
        log.error("api.temporal_error", error=str(exc), status=str(exc.status), path=request.url.path)
        return _respond(503, "temporal_unavailable", "Temporal could not be reached; retry later")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("api.unexpected_error", path=request.url.path, method=request.method)
        return _respond(500, "internal_error", "Something went wrong on our side; it has been logged")
