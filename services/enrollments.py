"""Enrolling customers, switching and ending enrollments, and their live status.

Every change is written to Postgres first; the workflow is started or signalled after the
commit (see `services.unit_of_work`). A bill-to-parent child enrolled by the defaults (not individually)
follows its parent: when the parent moves to another workflow, so does the child.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import structlog
from temporalio.service import RPCError, RPCStatusCode

from domain.continuation import cannot_continue
from domain.enums import DefinitionKind, EnrollmentState, EventKind, HistoryAction
from models import Contact, Customer, Enrollment, User, WorkflowDefinition
from models.base import require_id
from models.history import write_history, write_history_many
from models.repository import (
    LIVE,
    bill_to_parent_children_of,
    customer_calendars,
    customers_by_id,
    enrollments_of,
    insert_new_enrollments,
    live_enrollment,
    live_enrollments_of_customers,
    load_organization,
    reserve_enrollment_ids,
    with_an_email,
    with_bill_to_parent_children,
)
from models.repository.automations import mark_events_processed_many
from services.common import customer_today, get_or_404, now, signal_after_commit
from services.errors import Conflict, Invalid
from services.events import record_event, record_events_many
from services.first_plans import first_wakes
from services.schemas.enrollments import EnrollmentOut, EnrollmentStatusOut, LiveStatus
from services.unit_of_work import UnitOfWork
from workflows.client import enroll as start_or_signal
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import (
    CancelSignal,
    ContinueWithSignal,
    EnrollmentInput,
    FirstWake,
    ReassignSignal,
    enrollment_workflow_id,
)

log = structlog.get_logger("arcadence.api")


async def enabled_definition(uow: UnitOfWork, definition_id: int) -> WorkflowDefinition:
    """The definition to enroll in: 404 if unknown, 409 if disabled."""
    definition = await get_or_404(uow.session, WorkflowDefinition, definition_id, "workflow definition")
    if not definition.enabled:
        raise Conflict(
            f"workflow '{definition.name}' is disabled",
            code="definition_disabled",
            details={"definition_id": definition_id},
        )
    return definition


async def enroll_customer(
    uow: UnitOfWork,
    customer: Customer,
    definition_id: int,
    actor: str,
    *,
    individually: bool = True,
    refuse_autopay: bool = False,
    new_customer: bool = False,
) -> Enrollment:
    """Write the enrollment (a live one is kept and reassigned), then signal-with-start its
    workflow after the commit. `refuse_autopay` is for bulk enrolment: an auto-pay customer
    is never swept into a dunning workflow (409)."""
    assert customer.id is not None
    definition = await enabled_definition(uow, definition_id)
    refusal = autopay_refusal(customer, definition) if refuse_autopay else None
    if refusal is not None:
        raise refusal
    today = await customer_today(uow.session, customer)
    live = None if new_customer else await live_enrollment(uow.session, customer.id, lock=True)
    reassign = True
    if live is None:
        enrollment = Enrollment(
            customer_id=customer.id,
            definition_id=definition_id,
            definition_version=definition.version,
            anchor_date=today,
            enrolled_by=actor,
            enrolled_at=now(),
            workflow_id="",  # its own id, known after the flush
            individually_enrolled=individually,
        )
        uow.session.add(enrollment)
        await uow.session.flush()
        enrollment.workflow_id = enrollment_workflow_id(require_id(enrollment))
        action, text = HistoryAction.ENROLLED, f"Enrolled in '{definition.name}' by {actor}"
    elif live.definition_id == definition_id:
        enrollment, reassign = live, False
        enrollment.individually_enrolled = individually or enrollment.individually_enrolled
        uow.session.add(enrollment)
        action, text = (
            HistoryAction.ENROLLMENT_CONFIRMED,
            f"Enrollment in '{definition.name}' confirmed by {actor}",
        )
    else:
        enrollment = live
        _point_at(enrollment, definition, today)
        enrollment.individually_enrolled = individually or enrollment.individually_enrolled
        uow.session.add(enrollment)
        action, text = HistoryAction.WORKFLOW_REASSIGNED, f"Reassigned to '{definition.name}' by {actor}"
    await write_history(
        uow.session,
        customer_id=customer.id,
        enrollment_id=enrollment.id,
        action=action,
        description=text,
        actor=actor,
        occurred_at=now(),
        details={"definition_id": definition_id},
    )
    if action != HistoryAction.ENROLLMENT_CONFIRMED:
        # Written before the workflow is started or signalled: its first plan reads it.
        await record_event(uow, customer.id, EventKind.ENROLLED, actor, {"definition_id": definition_id})
    request = EnrollmentInput(
        enrollment_id=require_id(enrollment),
        customer_id=customer.id,
        definition_id=definition_id,
        customer_name=customer.name,
    )
    workflow_id = enrollment.workflow_id

    async def start() -> None:
        await start_or_signal(
            uow.state.temporal,
            request,
            actor=actor,
            definition_name=definition.name,
            task_queue=uow.state.task_queue,
            reassign=reassign,
            workflow_id=workflow_id,
        )

    uow.after_commit(start, required=True, key=enrollment.workflow_id)
    log.info(
        "enrollment.written",
        action=action,
        enrollment_id=enrollment.id,
        customer_id=customer.id,
        definition_id=definition_id,
        actor=actor,
    )
    if not new_customer:
        await _children_follow(uow, customer, definition, actor)
    return enrollment


def autopay_refusal(customer: Customer, definition: WorkflowDefinition) -> Conflict | None:
    """Why bulk enrolment leaves this customer out, if it does: an auto-pay customer is never
    swept into a dunning workflow (409)."""
    if customer.autopay and definition.kind != DefinitionKind.AUTOPAY:
        return Conflict(
            f"{customer.name} pays automatically: enroll it in an auto-pay workflow",
            code="autopay_customer",
            details={"customer_id": customer.id, "definition_id": definition.id},
        )
    return None


@dataclass
class BatchEnrollment:
    """What `enroll_new_customers` did with a batch of customers."""

    # customer id -> the new enrollment's id (its workflow is started after the commit)
    enrolled: dict[int, int] = field(default_factory=dict)
    # customer id -> why it was left out
    refused: dict[int, str] = field(default_factory=dict)
    # Customers the batch does not decide: a live enrollment (confirmed or reassigned) or
    # bill-to-parent children that follow them. The caller enrolls each with `enroll_customer`.
    one_by_one: list[int] = field(default_factory=list)
    # Customers whose workflow could not be started after the commit (safe to retry).
    not_started: set[int] = field(default_factory=set)


async def enroll_new_customers(
    uow: UnitOfWork,
    definition_id: int,
    customer_ids: list[int],
    actor: str,
    *,
    emails: dict[int, str] | None = None,
) -> BatchEnrollment:
    """Bulk enrolment of a batch as a few statements, whatever its size: the customers, their
    live enrollments and bill-to-parent children are read by one query each; the new
    enrollments and their history entries are one multi-row insert each; the workflows are
    started side by side after the commit (`AFTER_COMMIT_CONCURRENCY`).

    Only customers with nothing live and no bill-to-parent children are enrolled here (the
    same row, history entry and signal-with-start as `enroll_customer`); the others are
    handed back in `one_by_one`. The auto-pay rule is `autopay_refusal`, as in `enroll_customer`.
    Each new enrollment's first plan is made here too (`services.first_plans`): where it would
    only wait, the row gets its `next_step_at` and the workflow its `first_wake`.
    `emails` are saved for customers without any contact address (new ones only)."""
    definition = await enabled_definition(uow, definition_id)
    out = BatchEnrollment()
    ids = list(dict.fromkeys(customer_ids))
    customers = await customers_by_id(uow.session, ids)
    candidates: list[Customer] = []
    for customer_id in ids:
        customer = customers.get(customer_id)
        if customer is None:
            out.refused[customer_id] = "no such customer"
            continue
        refusal = autopay_refusal(customer, definition)
        if refusal is not None:
            out.refused[customer_id] = refusal.message
            continue
        candidates.append(customer)
    candidate_ids = [require_id(c) for c in candidates]
    busy = {e.customer_id for e in await live_enrollments_of_customers(uow.session, candidate_ids)}
    busy |= await with_bill_to_parent_children(uow.session, candidate_ids)
    fresh = [c for c in candidates if c.id not in busy]
    at = now()
    org = await load_organization(uow.session)
    calendars = await customer_calendars(uow.session, org, fresh)
    reserved = await reserve_enrollment_ids(uow.session, len(fresh))
    rows = [
        {
            "id": enrollment_id,
            "customer_id": require_id(customer),
            "definition_id": definition_id,
            "definition_version": definition.version,
            "state": EnrollmentState.ACTIVE.value,
            "anchor_date": calendars[require_id(customer)].local_date_of(at),
            "individually_enrolled": True,
            "enrolled_at": at,
            "enrolled_by": actor,
            "workflow_id": enrollment_workflow_id(enrollment_id),
        }
        for customer, enrollment_id in zip(fresh, reserved, strict=True)
    ]
    # Each new enrollment's first plan, made here: where it only waits, the row says when its
    # next step is and the workflow starts its timer without planning again.
    wakes = await first_wakes(
        uow.session,
        definition,
        org,
        calendars,
        [(customer, Enrollment.model_validate(row)) for customer, row in zip(fresh, rows, strict=True)],
        at,
    )
    for row, enrollment_id in zip(rows, reserved, strict=True):
        wake = wakes.get(enrollment_id)
        row["next_step_at"] = wake.wake_at if wake is not None else None
    written = await insert_new_enrollments(uow.session, rows)
    # Enrolled by another request between the read and the insert: decided one by one.
    out.one_by_one = [c for c in candidate_ids if c not in written]
    out.enrolled = {require_id(c): written[require_id(c)] for c in fresh if c.id in written}
    await write_history_many(
        uow.session,
        entries=list(out.enrolled.items()),
        action=HistoryAction.ENROLLED,
        description=f"Enrolled in '{definition.name}' by {actor}",
        actor=actor,
        occurred_at=at,
        details={"definition_id": definition_id},
    )
    # Written before the workflows start, as `enroll_customer` does: their first plan reads them.
    await record_events_many(
        uow, list(out.enrolled), EventKind.ENROLLED, actor, {"definition_id": definition_id}, occurred_at=at
    )
    # No automation watches them (a first wake is made only then): processed now, by nothing,
    # as the workflow's own first plan would have.
    planned_here = [c for c, e in out.enrolled.items() if e in wakes]
    await mark_events_processed_many(uow.session, planned_here, at)
    wanted = {c: e for c, e in (emails or {}).items() if c in out.enrolled and e}
    have = await with_an_email(uow.session, list(wanted))
    for customer_id, email in wanted.items():
        if customer_id not in have:
            uow.session.add(Contact(customer_id=customer_id, name="", email=email, roles=["communication"]))
    for customer_id, enrollment_id in out.enrolled.items():
        _start_after_commit(
            uow,
            customers[customer_id],
            definition,
            enrollment_id,
            actor,
            out.not_started,
            first_wake=wakes.get(enrollment_id),
        )
    log.info(
        "enrollment.batch_written",
        definition_id=definition_id,
        enrolled=len(out.enrolled),
        refused=len(out.refused),
        one_by_one=len(out.one_by_one),
        actor=actor,
    )
    return out


def _start_after_commit(
    uow: UnitOfWork,
    customer: Customer,
    definition: WorkflowDefinition,
    enrollment_id: int,
    actor: str,
    not_started: set[int],
    *,
    first_wake: FirstWake | None,
) -> None:
    request = EnrollmentInput(
        enrollment_id=enrollment_id,
        customer_id=require_id(customer),
        definition_id=require_id(definition),
        customer_name=customer.name,
        first_wake=first_wake,
    )
    workflow_id = enrollment_workflow_id(enrollment_id)

    async def start() -> None:
        try:
            await start_or_signal(
                uow.state.temporal,
                request,
                actor=actor,
                definition_name=definition.name,
                task_queue=uow.state.task_queue,
                reassign=True,
                workflow_id=workflow_id,
            )
        except Exception:
            not_started.add(request.customer_id)
            raise

    uow.after_commit(start, required=True, key=workflow_id)


def _point_at(enrollment: Enrollment, definition: WorkflowDefinition, today: date) -> None:
    enrollment.definition_id = require_id(definition)
    enrollment.definition_version = definition.version
    enrollment.anchor_date = today


async def _children_follow(
    uow: UnitOfWork, parent: Customer, definition: WorkflowDefinition, actor: str
) -> int:
    """Move the live, not individually enrolled enrollments of bill-to-parent descendants to the
    parent's new workflow, and enroll those with no live enrollment at all in it (an auto-pay
    child stays out of a dunning workflow)."""
    moved, queue, seen = 0, [parent.id], {parent.id}
    while queue:
        parent_id = queue.pop()
        children = await bill_to_parent_children_of(uow.session, parent_id)
        for child in children:
            if child.id in seen or child.id is None:
                continue
            seen.add(child.id)
            if child.autopay and definition.kind != DefinitionKind.AUTOPAY:
                continue
            enrollment = await live_enrollment(uow.session, child.id, lock=True)
            if enrollment is None:
                # No live enrollment of its own: it follows the parent (its own descendants too,
                # through this enrollment's own walk).
                await enroll_customer(uow, child, require_id(definition), actor, individually=False)
                moved += 1
                continue
            if enrollment.individually_enrolled:
                continue
            queue.append(child.id)
            if enrollment.definition_id == definition.id:
                continue
            _point_at(enrollment, definition, await customer_today(uow.session, child))
            uow.session.add(enrollment)
            await write_history(
                uow.session,
                customer_id=child.id,
                enrollment_id=enrollment.id,
                action=HistoryAction.WORKFLOW_REASSIGNED,
                description=f"Follows its parent {parent.name}: reassigned to '{definition.name}' by {actor}",
                actor=actor,
                occurred_at=now(),
                details={"definition_id": definition.id, "parent_id": parent_id},
            )
            signal = ReassignSignal(
                definition_id=require_id(definition), actor=actor, enrollment_id=enrollment.id
            )
            signal_after_commit(uow, enrollment.workflow_id, EnrollmentWorkflow.reassign, signal)
            moved += 1
    return moved


async def enroll_by_id(uow: UnitOfWork, customer_id: int, definition_id: int, actor: User) -> Enrollment:
    customer = await get_or_404(uow.session, Customer, customer_id, "customer")
    return await enroll_customer(uow, customer, definition_id, actor.email)


async def _live(uow: UnitOfWork, enrollment_id: int) -> Enrollment:
    enrollment = await get_or_404(uow.session, Enrollment, enrollment_id, "enrollment")
    if enrollment.state not in LIVE:
        raise Conflict(f"enrollment {enrollment_id} is {enrollment.state}", code="enrollment_ended")
    return enrollment


async def _record(
    uow: UnitOfWork,
    enrollment: Enrollment,
    action: HistoryAction,
    description: str,
    actor: User,
    details: dict[str, Any],
    *,
    last_action: bool = True,
) -> None:
    """A person's decision about an enrollment, in the customer's history."""
    await write_history(
        uow.session,
        customer_id=enrollment.customer_id,
        enrollment_id=enrollment.id,
        action=action,
        description=description,
        actor=actor.email,
        occurred_at=now(),
        details=details,
        last_action=last_action,
    )


async def _check_successor(uow: UnitOfWork, enrollment: Enrollment, definition_id: int) -> None:
    """An enrollment continues only from a workflow that ends, and never with the same one."""
    current = await get_or_404(
        uow.session, WorkflowDefinition, enrollment.definition_id, "workflow definition"
    )
    never = cannot_continue(DefinitionKind(current.kind))
    if never is not None:
        raise Invalid(
            f"'{current.name}' cannot continue with another workflow: {never}",
            code="continue_with_never_ends",
        )
    if definition_id == enrollment.definition_id:
        raise Invalid(
            f"continuing '{current.name}' with itself would repeat it forever", code="continue_with_loop"
        )


async def reassign(
    uow: UnitOfWork, enrollment_id: int, definition_id: int, actor: User, *, because: str = ""
) -> Enrollment:
    """Switch now, anchored today; the customer is then enrolled individually. `because` says
    why in the history when the switch follows from a change (auto-pay switched on or off)."""
    enrollment = await _live(uow, enrollment_id)
    definition = await enabled_definition(uow, definition_id)
    customer = await get_or_404(uow.session, Customer, enrollment.customer_id, "customer")
    today = await customer_today(uow.session, customer)
    _point_at(enrollment, definition, today)
    enrollment.individually_enrolled = True
    uow.session.add(enrollment)
    await _record(
        uow,
        enrollment,
        HistoryAction.WORKFLOW_REASSIGNED,
        f"Reassigned to '{definition.name}' by {actor.email}" + (f": {because}" if because else ""),
        actor,
        {"definition_id": definition_id},
    )
    signal = ReassignSignal(definition_id=definition_id, actor=actor.email, enrollment_id=enrollment_id)
    signal_after_commit(uow, enrollment.workflow_id, EnrollmentWorkflow.reassign, signal)
    customer = await get_or_404(uow.session, Customer, enrollment.customer_id, "customer")
    await _children_follow(uow, customer, definition, actor.email)
    return enrollment


async def continue_with(uow: UnitOfWork, enrollment_id: int, definition_id: int, actor: User) -> Enrollment:
    """Switch when the current workflow's steps are done."""
    enrollment = await _live(uow, enrollment_id)
    definition = await enabled_definition(uow, definition_id)
    await _check_successor(uow, enrollment, definition_id)
    enrollment.continue_with_id = definition_id
    uow.session.add(enrollment)
    await _record(
        uow,
        enrollment,
        HistoryAction.CONTINUE_WITH_SET,
        f"Will continue with '{definition.name}' when the current workflow ends ({actor.email})",
        actor,
        {"definition_id": definition_id},
        last_action=False,
    )
    signal = ContinueWithSignal(definition_id=definition_id, actor=actor.email)
    signal_after_commit(uow, enrollment.workflow_id, EnrollmentWorkflow.continue_with, signal)
    return enrollment


async def cancel(uow: UnitOfWork, enrollment_id: int, reason: str, actor: User) -> Enrollment:
    """Cancelled in Postgres (nothing more is sent even if the signal is lost), then `cancel`."""
    enrollment = await _live(uow, enrollment_id)
    enrollment.state = EnrollmentState.CANCELLED.value
    enrollment.ended_at = now()
    enrollment.next_step_at = None
    uow.session.add(enrollment)
    await _record(
        uow,
        enrollment,
        HistoryAction.ENROLLMENT_CANCELLED,
        f"Enrollment cancelled by {actor.email}: {reason}",
        actor,
        {"reason": reason},
    )
    log.info("enrollment.cancelled", enrollment_id=enrollment.id, actor=actor.email)
    signal = CancelSignal(actor=actor.email, reason=reason)
    signal_after_commit(uow, enrollment.workflow_id, EnrollmentWorkflow.cancel, signal)
    return enrollment


async def status(uow: UnitOfWork, enrollment_id: int) -> EnrollmentStatusOut:
    """The row, joined with the workflow's `status` query; if the workflow cannot answer (gone,
    or Temporal unreachable) the row alone, and why."""
    enrollment = await get_or_404(uow.session, Enrollment, enrollment_id, "enrollment")
    out = EnrollmentStatusOut(enrollment=EnrollmentOut.model_validate(enrollment), workflow=None)
    handle = uow.state.temporal.get_workflow_handle(enrollment.workflow_id)
    try:
        live = await handle.query(EnrollmentWorkflow.status)
    except RPCError as err:
        out.workflow_error = (
            "the workflow does not exist (it never started, or it ended and was removed)"
            if err.status == RPCStatusCode.NOT_FOUND
            else "Temporal could not answer; showing the database record only"
        )
        return out
    except Exception:  # a closed run that cannot be queried any more, a worker-side failure
        out.workflow_error = "the workflow could not be queried; showing the database record only"
        return out
    if live.enrollment_id != enrollment.id:
        # Only a workflow id written before ids were per enrollment can run another enrollment.
        out.workflow_error = f"the workflow now runs enrollment {live.enrollment_id}"
        return out
    out.workflow = LiveStatus.model_validate(live, from_attributes=True)
    return out


async def list_enrollments(uow: UnitOfWork, customer_id: int) -> list[Enrollment]:
    await get_or_404(uow.session, Customer, customer_id, "customer")
    return await enrollments_of(uow.session, customer_id)


async def live_of_customers(uow: UnitOfWork, customer_ids: list[int]) -> dict[int, Enrollment]:
    """Each customer's live enrollment, for those that have one."""
    return {e.customer_id: e for e in await live_enrollments_of_customers(uow.session, customer_ids)}
