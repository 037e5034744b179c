"""Input and signal of the promise-to-pay workflow: their own module, passed through the sandbox,
so every instance decodes into the same classes (and one type adapter serves them all)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


def promise_workflow_id(promise_id: int) -> str:
    return f"promise-{promise_id}"


@dataclass(kw_only=True)
class PromiseInput:
    promise_id: int
    customer_id: int
    deadline_at: datetime


@dataclass(kw_only=True)
class PromiseClosedSignal:
    reason: str = "closed"
