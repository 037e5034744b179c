"""One error shape for every failure: `{"error": {"code", "message", "details"}}`, never a traceback.

Services raise the typed errors of `services.errors` (each knows its status and code); the
handlers installed here turn them, validation failures, database refusals and anything
unexpected into that shape with the right status.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

from api.redact import loggable_path
from services.errors import ServiceError

log = structlog.get_logger("arcadence.api")


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["customer 42 does not exist"])
    details: Any = None


class ErrorOut(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "A body that cannot be read (not UTF-8); nothing was written"},
    401: {"model": ErrorOut, "description": "No key, or an unknown or revoked key"},
    403: {"model": ErrorOut, "description": "The key's role may not do this"},
    404: {"model": ErrorOut, "description": "An unknown id"},
    409: {"model": ErrorOut, "description": "A conflict (duplicate external id, disabled workflow, …)"},
    413: {"model": ErrorOut, "description": "The body is larger than this operation accepts"},
    422: {"model": ErrorOut, "description": "Invalid input; nothing was written"},
}


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
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
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
        log.warning("api.database_refused_value", error=str(exc.orig), path=loggable_path(request.url.path))
        return _respond(422, "invalid_input", "The database refused a value")

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        # Postgres unreachable, or the request ran past `statement_timeout`.
        log.error("api.database_unavailable", error=str(exc.orig), path=loggable_path(request.url.path))
        return _respond(503, "database_unavailable", "The database did not answer in time; retry later")

    @app.exception_handler(RPCError)
    async def _temporal(request: Request, exc: RPCError) -> JSONResponse:
        log.error(
            "api.temporal_error", error=str(exc), status=str(exc.status), path=loggable_path(request.url.path)
        )
        return _respond(503, "temporal_unavailable", "Temporal could not be reached; retry later")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("api.unexpected_error", path=loggable_path(request.url.path), method=request.method)
        return _respond(500, "internal_error", "Something went wrong on our side; it has been logged")
