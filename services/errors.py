"""The errors a use case refuses with: each carries its HTTP status and a machine-readable code.

No web framework here: the API installs handlers that turn these into its one error shape
(`api/errors.py`); the CLI and the bulk activity read `message` and `code` directly.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refusal with its HTTP status and a machine-readable code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class Invalid(ServiceError):
    status, code = 422, "invalid_input"


class Unavailable(ServiceError):
    status, code = 503, "unavailable"


class AfterCommitFailed(Unavailable):
    """The change is committed, but a required after-commit action (starting a workflow) failed;
    retrying the whole operation is safe."""

    code = "temporal_unavailable"
