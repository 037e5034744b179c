"""One step of a cadence, as the enrollment workflow performs it: prepare, send each delivery,
record what happened. Every failure ends as a history entry; none stops the cadence."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from temporalio import exceptions, workflow

from workflows import deferrals, policies, wording
from workflows.approvals import ApprovalGate

with workflow.unsafe.imports_passed_through():
    from activities.contracts import (
        CloseDeliveryInput,
        OccurrenceRef,
        PlanResult,
        PrepareInput,
        PrepareResult,
        RecordInput,
        SendInput,
        SendResult,
        missed_in_all,
    )
    from activities.preparation import PreparationActivities
    from activities.recording import RecordingActivities
    from activities.sending import SendingActivities
    from domain.enums import DeliveryStatus, HistoryAction
    from workflows.enrollment_types import CarriedState

ENGINE = "arcadence"  # the actor of what the engine does by itself


async def perform(
    enrollment_id: int,
    occurrence: OccurrenceRef,
    as_of: datetime,
    *,
    gate: ApprovalGate | None = None,
    carried: CarriedState | None = None,
    prepared: PrepareResult | None = None,
) -> str | None:
    """Perform one occurrence; returns why it was not sent, if it was meant to be and was not.
    A step with an approval gate waits at `gate` before its deliveries are sent; one the contact
    cap holds back is kept in `carried` for its allowed time. `prepared`: the plan prepared it
    already (`PlanResult.prepared`), so `prepare` is not asked."""
    if prepared is None:
        try:
            prepared = await policies.in_postgres(
                PreparationActivities.prepare,
                PrepareInput(enrollment_id=enrollment_id, occurrence=occurrence, as_of=as_of),
                f"Prepare {occurrence.label}",
                attempt=policies.PREPARE_ATTEMPT,
            )
        except (exceptions.ActivityError, exceptions.ApplicationError) as err:
            reason = wording.failure_message(err)
            workflow.logger.warning("%s failed: %s", occurrence.label, reason)
            description = f"{occurrence.label} failed: {reason}"
            await record(enrollment_id, HistoryAction.STEP_FAILED, description, occurrence, {"error": reason})
            return reason

    if prepared.outcome == "deferred":
        if carried is not None and deferrals.keep(carried, occurrence, prepared):
            await deferrals.record_deferral(enrollment_id, occurrence, prepared, record)
            return prepared.reason
        prepared = dataclasses.replace(prepared, outcome="skipped")
    if prepared.outcome == "skipped":
        description = f"{occurrence.label} not sent: {prepared.reason}"
        details = {"conditions": prepared.conditions, **prepared.details}
        await record(enrollment_id, HistoryAction.STEP_SKIPPED, description, occurrence, details)
        return prepared.reason
    if prepared.outcome == "performed":
        await record(
            enrollment_id, HistoryAction.STEP_PERFORMED, prepared.reason, occurrence, prepared.details
        )
        return None
    approval: dict[str, object] = {}
    if prepared.approval is not None and gate is not None and workflow.patched(policies.PATCH_APPROVAL_GATES):
        settled = await gate.hold(enrollment_id, occurrence, prepared)
        if not settled.send:
            return settled.summary  # the gate's own history entry says who decided
        approval = {"approval": settled.details}
    results = [await send(delivery_id) for delivery_id in prepared.delivery_ids]
    action, summary = wording.sends_outcome(occurrence, prepared, results)
    deliveries = [
        {"id": r.delivery_id, "status": r.status, "provider_message_id": r.provider_message_id}
        for r in results
    ]
    details = {"conditions": prepared.conditions, "deliveries": deliveries, **prepared.details, **approval}
    await record(enrollment_id, action, summary, occurrence, details)
    return summary if action == HistoryAction.MESSAGE_NOT_SENT else None


async def send(delivery_id: int) -> SendResult:
    """One delivery; one the provider refused, or that could not get through in time, is closed."""
    try:
        return await workflow.execute_activity_method(
            SendingActivities.send,
            SendInput(delivery_id=delivery_id, as_of=workflow.now()),
            schedule_to_close_timeout=policies.SEND_WINDOW,
            start_to_close_timeout=policies.SEND_ATTEMPT,
            retry_policy=policies.SEND_RETRY,
            summary=f"Send delivery {delivery_id}",
        )
    except exceptions.ActivityError as err:
        expired = isinstance(err.cause, exceptions.TimeoutError)
        status = DeliveryStatus.EXPIRED if expired else DeliveryStatus.FAILED
        message = wording.failure_message(err)
        await policies.in_postgres(
            SendingActivities.close_delivery,
            CloseDeliveryInput(delivery_id=delivery_id, status=status, error=message, as_of=workflow.now()),
            f"Mark delivery {delivery_id} {status}",
        )
        return SendResult(delivery_id=delivery_id, status=status, note=message)


async def record(
    enrollment_id: int,
    action: HistoryAction,
    description: str,
    occurrence: OccurrenceRef | None,
    details: dict[str, object],
    *,
    key: str | None = None,
    last_action: bool = True,
) -> None:
    """One history entry, once per key (by default the occurrence's key and the action)."""
    if key is None and occurrence is not None:
        key = f"{occurrence.key}:{action}"
    await policies.in_postgres(
        RecordingActivities.record,
        RecordInput(
            enrollment_id=enrollment_id,
            action=action,
            description=description,
            as_of=workflow.now(),
            occurrence=occurrence,
            actor=ENGINE,
            details=dict(details),
            key=key,
            last_action=last_action,
        ),
        f"Record: {action}",
    )


async def record_missed(enrollment_id: int, plan: PlanResult) -> None:
    """What the catch-up policy left out, in one entry (not the customer's last action)."""
    await record(
        enrollment_id,
        HistoryAction.STEPS_MISSED,
        wording.missed(plan),
        None,
        {"missed": [o.key for o in plan.missed]}
        if not plan.missed_count
        else {"missed": [o.key for o in plan.missed], "missed_count": plan.missed_count},
        key=f"{plan.missed[0].key}:missed:{missed_in_all(plan)}",
        last_action=False,
    )
