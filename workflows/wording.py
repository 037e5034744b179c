"""What the enrollment workflow says: history descriptions and the details the UI shows.

Plain functions of workflow state, so the workflow's loop reads as steps, not sentences.
"""

from __future__ import annotations

from temporalio import exceptions, workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import OccurrenceRef, PlanResult, PrepareResult, SendResult, missed_in_all
    from domain import wording as domain_wording
    from domain.enums import DeliveryStatus, EnrollmentState, HistoryAction
    from workflows.enrollment_types import FirstWake, PauseState

# The sends that reached the provider (or further); anything else is a problem to report.
REACHED = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED)
# The missed occurrences a history entry lists by name; the rest are counted.
LISTED_MISSED = 10


def failure_message(err: exceptions.ActivityError | exceptions.ApplicationError) -> str:
    """Why an activity failed, in words (a local activity's failure arrives unwrapped)."""
    cause = err.cause if isinstance(err, exceptions.ActivityError) else err
    if isinstance(cause, exceptions.ApplicationError):
        return cause.message
    if isinstance(cause, exceptions.TimeoutError):
        return "gave up: the provider did not accept it in time"
    return str(cause or err)


def sends_outcome(
    occurrence: OccurrenceRef, prepared: PrepareResult, results: list[SendResult]
) -> tuple[HistoryAction, str]:
    """The history action and description of a step's sends, all of them or some or none."""
    sent = [r for r in results if r.status in REACHED]
    problems = "; ".join(f"{r.status}: {r.note}" for r in results if r not in sent)
    if sent and not problems:
        return HistoryAction.MESSAGE_SENT, prepared.reason
    if sent:
        return HistoryAction.MESSAGE_PARTLY_SENT, f"{prepared.reason}; {problems}"
    return HistoryAction.MESSAGE_NOT_SENT, f"{occurrence.label} not sent: {problems}"


def missed(plan: PlanResult) -> str:
    labels = ", ".join(o.label for o in plan.missed[:LISTED_MISSED])
    extra = missed_in_all(plan) - LISTED_MISSED
    more = f" and {extra} more" if extra > 0 else ""
    policy = "the most recent one is sent now" if plan.due else "none is sent late"
    return f"Missed while paused or unavailable: {labels}{more} ({policy}, catch-up policy)"


def paused_until(plan: PlanResult, pause: PauseState) -> str:
    return f" until {plan.paused_until_label}" if pause.until else ""


def running(plan: PlanResult) -> str:
    """Which workflow, and which version of it, the enrollment runs now."""
    return f"Running '{plan.definition_name}' version {plan.definition_version}."


def paused_details(plan: PlanResult, pause: PauseState) -> str:
    until = paused_until(plan, pause)
    return f"Paused by {pause.actor}{until}: {pause.reason}. Nothing is sent while paused. {running(plan)}"


def off_details(plan: PlanResult) -> str:
    # "Waiting" first: what every settled enrollment's details begin with.
    return f"Waiting: {domain_wording.workflow_off(plan.definition_name)}. {running(plan)}"


def waiting_details(plan: PlanResult, last_skip_reason: str | None) -> str:
    return _waiting(plan.next_label if plan.next_at else None, last_skip_reason, running(plan))


def first_waiting_details(first: FirstWake) -> str:
    """The wait a bulk-enrolled enrollment starts with (planned when it was enrolled)."""
    version = f"Running '{first.definition_name}' version {first.definition_version}."
    return _waiting(first.label if first.wake_at else None, None, version)


def _waiting(next_label: str | None, last_skip_reason: str | None, version: str) -> str:
    if next_label is None:
        return f"Waiting for new invoices or a change of workflow: nothing is scheduled. {version}"
    details = f"Waiting until {next_label}"
    if last_skip_reason:
        details += f". Last step not sent: {last_skip_reason}"
    return f"{details}. {version}"


def waiting_summary(plan: PlanResult) -> str:
    return summary_of_wait(plan.next_label if plan.next_at else None)


def summary_of_wait(next_label: str | None) -> str:
    return f"Wait until {next_label}" if next_label is not None else "Idle"


def finished_details(state: EnrollmentState, reason: str) -> str:
    return f"{state.capitalize()}: {reason}"
