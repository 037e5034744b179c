"""How the engine names a step for people: in plans, the workflow's details and the timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.enums import StepAction

LOCAL_FORMAT = "%a %d %b %Y %H:%M %Z"

ACTION_WORDS = {
    StepAction.CUSTOMER_EMAIL: "email",
    StepAction.STATEMENT_EMAIL: "statement",
    StepAction.INTERNAL_NOTIFICATION: "internal notification",
    StepAction.SMS: "SMS",
    StepAction.TASK: "task",
    StepAction.NOTE: "note",
    StepAction.SET_INVOICE_STATUS: "invoice status change",
    StepAction.ASSIGN_SPECIALIST: "specialist assignment",
    StepAction.NOTIFY_SPECIALIST: "specialist notification",
}


def step_label(position: int, action: str, invoice_number: str | None) -> str:
    """ "step 2 (email) for INV-7": positions count from one for people."""
    words = ACTION_WORDS.get(StepAction(action), action)
    target = f" for {invoice_number}" if invoice_number else ""
    return f"step {position + 1} ({words}){target}"


def workflow_off(definition_name: str) -> str:
    """What an enrollment of a switched-off workflow says while it waits."""
    return f"Workflow '{definition_name}' is off: nothing is sent until it is switched on again"


def local_time(instant: datetime, zone: str) -> str:
    """An instant as people read it in `zone`: "Tue 08 Dec 2026 14:30 JST"."""
    return instant.astimezone(ZoneInfo(zone)).strftime(LOCAL_FORMAT)


def local_times(instant: datetime, zone: str, org_zone: str) -> str:
    """An instant in the customer's zone, and in the organization's beside it when they differ:
    "Tue 08 Dec 2026 14:30 JST (Tue 08 Dec 2026 00:30 EST, organization time)"."""
    local = local_time(instant, zone)
    if zone == org_zone:
        return local
    return f"{local} ({local_time(instant, org_zone)}, organization time)"


def next_step_label(next_at: datetime | None, upcoming: Sequence[str], zone: str, org_zone: str) -> str:
    """What a wait for the next step says: its local time and the first of the steps that fall
    then (`step_label`s), "Mon 07 Dec 2026 14:30 EST: step 1 (email) for INV-7 and 1 more";
    empty when nothing comes."""
    if next_at is None or not upcoming:
        return ""
    more = f" and {len(upcoming) - 1} more" if len(upcoming) > 1 else ""
    return f"{local_times(next_at, zone, org_zone)}: {upcoming[0]}{more}"
