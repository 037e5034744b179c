"""Activities that write what an enrollment did: history, definition switches, its end."""

from __future__ import annotations

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import (
    FinishInput,
    NextStepInput,
    RecordInput,
    SwitchInput,
    SwitchReason,
    SwitchResult,
)
from activities.errors import missing_rows_are_final
from activities.liveness import not_live_reason, runs_elsewhere
from domain.enums import EnrollmentState, HistoryAction
from domain.history import CUSTOMER_SENDS, step_outcome_action, with_conditions
from models import Enrollment, WorkflowDefinition
from models.base import require_id
from models.db import SessionFactory, unit_of_work
from models.history import write_history
from models.repository import (
    NotFound,
    customer_calendar_of,
    load_customer,
    load_enrollment,
    load_organization,
)

log = structlog.get_logger("arcadence.record")

ENDED = {EnrollmentState.COMPLETED, EnrollmentState.CANCELLED}
SWITCHED = {
    SwitchReason.REASSIGN: HistoryAction.WORKFLOW_REASSIGNED,
    SwitchReason.CONTINUE_WITH: HistoryAction.WORKFLOW_CONTINUED,
}
FINISHED = {
    EnrollmentState.COMPLETED: HistoryAction.ENROLLMENT_COMPLETED,
    EnrollmentState.CANCELLED: HistoryAction.ENROLLMENT_CANCELLED,
}


class RecordingActivities:
    def __init__(self, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

    @activity.defn(name="record")
    @missing_rows_are_final
    async def record(self, request: RecordInput) -> bool:
        async with unit_of_work(self._sessions) as session:
            enrollment = await load_enrollment(session, request.enrollment_id)
            if runs_elsewhere(enrollment) is not None:
                return False  # an old run's words do not belong to this enrollment's history
            occurrence = request.occurrence
            details = dict(request.details)
            if occurrence is not None:
                details.setdefault("occurrence", occurrence.key)
                details.setdefault("step_position", occurrence.step_position + 1)
                details.setdefault("scheduled_for", occurrence.at.isoformat())
            # The workflow names a step's outcome as a customer message's; what the step was
            # (its action) decides here, so no workflow command changes (replay-safe).
            action = step_outcome_action(request.action, occurrence.action if occurrence else None)
            description = request.description
            if request.action in CUSTOMER_SENDS:
                description = with_conditions(description, str(details.get("conditions") or ""))
            inserted = await write_history(
                session,
                customer_id=enrollment.customer_id,
                enrollment_id=enrollment.id,
                invoice_id=occurrence.invoice_id if occurrence else None,
                action=action,
                description=description,
                actor=request.actor,
                occurred_at=request.as_of,
                details=details,
                key=request.key,
                # Whether it is the customer's last action is the domain's rule (write_history);
                # an ended enrollment's last words are kept, but never speak for the customer.
                last_action=not_live_reason(enrollment) is None,
            )
        log.info(
            "history.recorded",
            enrollment_id=request.enrollment_id,
            action=action,
            new=inserted,
        )
        return inserted

    @activity.defn(name="switch_definition")
    @missing_rows_are_final
    async def switch_definition(self, request: SwitchInput) -> SwitchResult:
        async with unit_of_work(self._sessions) as session:
            enrollment = await load_enrollment(session, request.enrollment_id, lock=True)
            stopped = not_live_reason(enrollment)
            if stopped is not None:
                # Nothing to switch: the next plan ends this workflow.
                log.info("enrollment.switch_refused", enrollment_id=enrollment.id, reason=stopped)
                current = await session.get(WorkflowDefinition, enrollment.definition_id)
                return SwitchResult(
                    definition_id=enrollment.definition_id,
                    definition_name=current.name if current else "",
                    anchor_date=enrollment.anchor_date,
                )
            moved_on = _moved_on(enrollment.definition_id, request)
            if moved_on is not None:
                # Postgres is the truth: a later decision than the one this switch carries (a
                # stale reassign signal, or a person's reassign while the engine switched).
                log.info("enrollment.switch_superseded", enrollment_id=enrollment.id, reason=moved_on)
                current = await session.get(WorkflowDefinition, enrollment.definition_id)
                return SwitchResult(
                    definition_id=enrollment.definition_id,
                    definition_name=current.name if current else "",
                    anchor_date=enrollment.anchor_date,
                )
            target = await session.get(WorkflowDefinition, request.definition_id)
            if target is None:
                raise ApplicationError(
                    f"workflow definition {request.definition_id} does not exist",
                    type="NonRetryable",
                    non_retryable=True,
                )
            previous = await session.get(WorkflowDefinition, enrollment.definition_id)
            org = await load_organization(session)
            customer = await load_customer(session, enrollment.customer_id)
            today = (await customer_calendar_of(session, org, customer)).local_date_of(request.as_of)
            already = enrollment.definition_id == target.id and enrollment.anchor_date == today
            enrollment.definition_id = require_id(target)
            enrollment.definition_version = target.version
            enrollment.anchor_date = today
            enrollment.continue_with_id = None
            session.add(enrollment)
            if not already:
                verb = "Reassigned" if request.reason == SwitchReason.REASSIGN else "Continued"
                await write_history(
                    session,
                    customer_id=enrollment.customer_id,
                    enrollment_id=enrollment.id,
                    action=SWITCHED[request.reason],
                    description=(
                        f"{verb} from '{previous.name if previous else '?'}' to '{target.name}', "
                        f"anchored on {today.isoformat()}"
                    ),
                    actor=request.actor,
                    occurred_at=request.as_of,
                    details={"from": previous.id if previous else None, "to": target.id},
                    key=f"switch:{enrollment.id}:{target.id}:{request.as_of.isoformat()}",
                )
            return SwitchResult(
                definition_id=require_id(target), definition_name=target.name, anchor_date=today
            )

    @activity.defn(name="finish")
    @missing_rows_are_final
    async def finish(self, request: FinishInput) -> None:
        async with unit_of_work(self._sessions) as session:
            enrollment = await load_enrollment(session, request.enrollment_id, lock=True)
            if enrollment.state in ENDED or runs_elsewhere(enrollment) is not None:
                return
            enrollment.state = request.state
            enrollment.ended_at = request.as_of
            enrollment.next_step_at = None
            session.add(enrollment)
            await write_history(
                session,
                customer_id=enrollment.customer_id,
                enrollment_id=enrollment.id,
                action=FINISHED[request.state],
                description=f"Enrollment {request.state}: {request.reason}",
                actor=request.actor,
                occurred_at=request.as_of,
                key=f"finish:{enrollment.id}",
            )

    @activity.defn(name="save_next_step")
    @missing_rows_are_final
    async def save_next_step(self, request: NextStepInput) -> None:
        async with unit_of_work(self._sessions) as session:
            try:
                enrollment: Enrollment = await load_enrollment(session, request.enrollment_id)
            except NotFound:
                return
            if enrollment.state in ENDED or runs_elsewhere(enrollment) is not None:
                return
            # Only the schedule: active/paused is written by whoever changes the pause (the API,
            # or `plan` when a pause ends by itself), never overwritten from a stale view.
            enrollment.next_step_at = request.next_step_at
            session.add(enrollment)


def _moved_on(in_postgres: int, request: SwitchInput) -> str | None:
    """Why Postgres' definition wins over the requested switch, if it does. A person's reassign
    is written to Postgres before its signal, so a signal naming another definition than
    Postgres holds is stale; an engine switch (continue-with, an automation's move) from a
    definition Postgres no longer holds would undo a person's later reassign."""
    if request.signalled and in_postgres != request.definition_id:
        return f"signal for {request.definition_id}, but Postgres holds {in_postgres}"
    engine_switch = not request.signalled and request.from_definition_id is not None
    if engine_switch and in_postgres not in (request.from_definition_id, request.definition_id):
        return f"switch from {request.from_definition_id}, but Postgres holds {in_postgres}"
    return None
