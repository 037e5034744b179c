"""The one error the repository raises: a row that is needed does not exist."""

from __future__ import annotations


class NotFound(LookupError):
    """A row that is needed does not exist."""
