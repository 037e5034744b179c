"""Inputs and results of the automation activities (standard library and `domain.enums` only,
so the workflow sandbox imports them cheaply)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from domain.enums import AutomationAction


@dataclass(kw_only=True)
class ReactInput:
    enrollment_id: int
    # The enrollment's plan cursor: time triggers after it (and up to `as_of`) are considered.
    cursor: datetime | None
    as_of: datetime


@dataclass(kw_only=True)
class CompletedInput:
    enrollment_id: int
    # The workflow whose cadence is done (the enrollment may continue with another).
    definition_id: int
    as_of: datetime


@dataclass(kw_only=True)
class ActionRef:
    index: int
    kind: AutomationAction
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class AutomationWork:
    """One automation to perform now, for one event or one time firing (its run is claimed)."""

    run_id: int
    automation_id: int
    automation_name: str
    trigger_key: str
    trigger: str  # in words: what fired it
    conditions: str  # in words, with their values
    at: datetime
    local_date: date
    invoice_id: int | None = None
    invoice_number: str | None = None
    actions: list[ActionRef] = field(default_factory=list)
    # Actions left out by the limits (per event, per day).
    limited: int = 0


@dataclass(kw_only=True)
class ReactResult:
    work: list[AutomationWork] = field(default_factory=list)
    # The next time trigger's instant, for the workflow's wait.
    next_at: datetime | None = None
    next_label: str = ""
    # Automations are attached: the enrollment re-plans at least daily, so an event whose signal
    # was lost is caught up within a day even with nothing scheduled.
    watching: bool = False


@dataclass(kw_only=True)
class ApplyInput:
    """A customer-level action performed in Postgres: pause or resume."""

    enrollment_id: int
    run_id: int
    action: ActionRef
    automation_name: str
    as_of: datetime


@dataclass(kw_only=True)
class ApplyResult:
    summary: str
    changed: bool = False


@dataclass(kw_only=True)
class WebhookInput:
    enrollment_id: int
    run_id: int
    action: ActionRef
    as_of: datetime


@dataclass(kw_only=True)
class WebhookResult:
    status_code: int
    summary: str


@dataclass(kw_only=True)
class CompleteInput:
    enrollment_id: int
    run_id: int
    description: str
    outcomes: list[str]
    as_of: datetime
