"""Input and result of the promise deadline's activity: plain dataclasses, safe for workflows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.enums import PromiseState


@dataclass(kw_only=True)
class SettlePromiseInput:
    promise_id: int
    # The instant the workflow acts for (`workflow.now()`), never the activity's clock.
    as_of: datetime


@dataclass(kw_only=True)
class SettlePromiseResult:
    # The promise's state after the activity (it may have been closed before: then unchanged).
    state: PromiseState
    changed: bool
    # The customer's running enrollment, to be told to plan again now.
    enrollment_workflow_id: str | None = None
