"""How activity failures reach the workflow: a missing row is final, not worth a retry."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from temporalio.exceptions import ApplicationError

from models.repository import NotFound

P = ParamSpec("P")
R = TypeVar("R")


def missing_rows_are_final(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except NotFound as err:
            raise ApplicationError(str(err), type="NonRetryable", non_retryable=True) from err

    return wrapper
