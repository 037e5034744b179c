"""Automations as the enrollment workflow performs them: ask which fire now (from the events in
Postgres and the time triggers), perform each action — step actions through the same prepare /
send / record path as steps — and record the firing. Moving or cancelling is the caller's."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio import exceptions, workflow
from temporalio.common import RetryPolicy

from workflows import policies, steps, wording
from workflows.approvals import ApprovalGate

with workflow.unsafe.imports_passed_through():
    from activities.automation_contracts import (
        ActionRef,
        ApplyInput,
        ApplyResult,
        AutomationWork,
        CompletedInput,
        CompleteInput,
        ReactInput,
        ReactResult,
        WebhookInput,
        WebhookResult,
    )
    from activities.automations import AutomationActivities
    from activities.contracts import OccurrenceRef, PlanResult
    from domain.automations import STEP_ACTIONS
    from domain.enums import AutomationAction, StepAction
    from workflows.enrollment_types import CarriedState

# The organization's endpoint may be down for a while: retried for up to a day, then recorded.
WEBHOOK_WINDOW = timedelta(hours=24)
WEBHOOK_ATTEMPT = timedelta(seconds=30)
WEBHOOK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=30),
    non_retryable_error_types=["NonRetryable"],
)


@dataclass(kw_only=True)
class Control:
    """What an automation asks of the enrollment itself."""

    move_to: int | None = None
    cancel: bool = False
    paused_or_resumed: bool = False
    reason: str = ""


def sooner(plan: PlanResult, reaction: ReactResult, now: datetime) -> PlanResult:
    """The plan, waking for the next time trigger when it comes before the next step, and at
    least daily while automations watch for events (a lost signal is caught up then)."""
    next_at, label = plan.next_at, plan.next_label
    if reaction.next_at is not None and (next_at is None or reaction.next_at < next_at):
        next_at, label = reaction.next_at, reaction.next_label
    if reaction.watching and (next_at is None or next_at > now + policies.IDLE_REPLAN):
        next_at = now + policies.IDLE_REPLAN
        label = f"{label} (re-reading events daily)" if label else "re-reading events daily"
    if next_at == plan.next_at:
        return plan
    return dataclasses.replace(plan, next_at=next_at, next_label=label)


async def react(enrollment_id: int, cursor: datetime | None, as_of: datetime) -> ReactResult:
    return await policies.in_postgres(
        AutomationActivities.react,
        ReactInput(enrollment_id=enrollment_id, cursor=cursor, as_of=as_of),
        "Which automations fire now",
    )


async def completed(enrollment_id: int, definition_id: int, as_of: datetime) -> None:
    await policies.in_postgres(
        AutomationActivities.workflow_completed,
        CompletedInput(enrollment_id=enrollment_id, definition_id=definition_id, as_of=as_of),
        "The workflow has run its last step",
    )


async def perform(
    enrollment_id: int,
    work: AutomationWork,
    as_of: datetime,
    carried: CarriedState | None = None,
    gate: ApprovalGate | None = None,
) -> Control:
    control = Control()
    outcomes: list[str] = []
    for action in work.actions:
        number = action.index + 1
        outcome = await _perform_action(enrollment_id, work, action, as_of, control, carried, gate)
        outcomes.append(f"{number}. {action.kind.value}: {outcome}")
    summary = f"Automation '{work.automation_name}' fired on {work.trigger}"
    if work.conditions:
        summary += f"; conditions met: {work.conditions}"
    summary += ". " + "; ".join(outcomes)
    if work.limited:
        summary += f" ({work.limited} more action(s) not performed: the per-event or daily limit)"
    await policies.in_postgres(
        AutomationActivities.complete,
        CompleteInput(
            enrollment_id=enrollment_id,
            run_id=work.run_id,
            description=summary,
            outcomes=outcomes,
            as_of=as_of,
        ),
        f"Record automation '{work.automation_name}'",
    )
    return control


async def _perform_action(
    enrollment_id: int,
    work: AutomationWork,
    action: ActionRef,
    as_of: datetime,
    control: Control,
    carried: CarriedState | None = None,
    gate: ApprovalGate | None = None,
) -> str:
    who = f"automation '{work.automation_name}'"
    if action.kind in STEP_ACTIONS:
        occurrence = OccurrenceRef(
            key=f"{work.trigger_key}:auto:{work.automation_id}:{action.index}",
            at=work.at,
            local_date=work.local_date,
            step_id=0,
            step_position=0,
            action=StepAction(action.kind.value),
            invoice_id=work.invoice_id,
            invoice_number=work.invoice_number,
            label=f"Automation '{work.automation_name}' action {action.index + 1} ({action.kind.value})",
            automation_id=work.automation_id,
            action_index=action.index,
        )
        not_sent = await steps.perform(enrollment_id, occurrence, as_of, gate=gate, carried=carried)
        return "done" if not_sent is None else f"not done: {not_sent}"
    if action.kind in (AutomationAction.PAUSE_CUSTOMER, AutomationAction.RESUME_CUSTOMER):
        applied: ApplyResult = await policies.in_postgres(
            AutomationActivities.apply,
            ApplyInput(
                enrollment_id=enrollment_id,
                run_id=work.run_id,
                action=action,
                automation_name=work.automation_name,
                as_of=as_of,
            ),
            f"{action.kind.value} by {who}",
        )
        control.paused_or_resumed = control.paused_or_resumed or applied.changed
        return applied.summary
    if action.kind == AutomationAction.CALL_WEBHOOK:
        try:
            result: WebhookResult = await workflow.execute_activity_method(
                AutomationActivities.call_webhook,
                WebhookInput(enrollment_id=enrollment_id, run_id=work.run_id, action=action, as_of=as_of),
                schedule_to_close_timeout=WEBHOOK_WINDOW,
                start_to_close_timeout=WEBHOOK_ATTEMPT,
                retry_policy=WEBHOOK_RETRY,
                summary=f"Webhook of {who}",
            )
        except exceptions.ActivityError as err:
            return f"webhook failed: {wording.failure_message(err)}"
        return result.summary
    if action.kind == AutomationAction.MOVE_TO_WORKFLOW:
        control.move_to = int(action.params["definition_id"])
        control.reason = f"moved by {who}"
        return f"moving to workflow {control.move_to}"
    if action.kind == AutomationAction.CANCEL_ENROLLMENT:
        control.cancel = True
        control.reason = f"cancelled by {who}"
        return "cancelling the enrollment"
    return f"unsupported action {action.kind.value}"
