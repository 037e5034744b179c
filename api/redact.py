"""Paths as arcadence logs them: the secret of the inbound address
(`/webhooks/sendgrid/inbound/<secret>`) is a credential, so it never reaches a log line. Used by
the error handlers, and by a filter on uvicorn's access log (which logs every request's path)."""

from __future__ import annotations

import logging
import re

REDACTED = "<redacted>"
_INBOUND_SECRET = re.compile(r"^(/webhooks/sendgrid/inbound/)[^/?#]+")


def loggable_path(path: str) -> str:
    """The path with the inbound address's secret replaced (any other path as it is)."""
    return _INBOUND_SECRET.sub(rf"\g<1>{REDACTED}", path)


class AccessLogRedaction(logging.Filter):
    """Rewrites the path of uvicorn's access-log record (`client, method, path, version,
    status`) before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], loggable_path(args[2]), *args[3:])
        return True


def redact_access_log() -> None:
    """Install the filter on uvicorn's access logger, once (uvicorn's own logging setup keeps a
    logger's filters)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLogRedaction) for f in access.filters):
        access.addFilter(AccessLogRedaction())
