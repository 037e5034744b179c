"""Tasks for AR specialists and the deliveries arcadence made."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import DeliveryStatus, HistoryAction, Role, TaskStatus
from models import Delivery, DeliveryEvent, HistoryEntry, Task, User
from models.history import write_history
from models.repository import deliveries_page, events_of_delivery, history_naming_delivery, tasks_page
from services.common import get_or_404, now
from services.errors import Conflict, Forbidden
from services.schemas.work import DeliveryDetailOut, DeliveryOut, DeliveryStatusChange
from services.unit_of_work import UnitOfWork
from services.webhooks.events import STATUS_OF_EVENT

# The status a history entry about one delivery reports (a step's own record lists its
# deliveries with their status instead: `details.deliveries`).
STATUS_OF_HISTORY_ACTION: dict[str, DeliveryStatus] = {
    HistoryAction.DELIVERY_UNKNOWN: DeliveryStatus.UNKNOWN,
    HistoryAction.EMAIL_BOUNCED: DeliveryStatus.BOUNCED,
    HistoryAction.EMAIL_DROPPED: DeliveryStatus.DROPPED,
    HistoryAction.EMAIL_SPAM_REPORTED: DeliveryStatus.SPAM_REPORTED,
    HistoryAction.EMAIL_UNSUBSCRIBED: DeliveryStatus.UNSUBSCRIBED,
}
SOURCE_ORDER = {"delivery": 0, "provider_event": 1, "history": 2}


async def list_tasks(
    uow: UnitOfWork,
    assignee_id: int | None,
    customer_id: int | None,
    status: TaskStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[Task], int]:
    """Soonest due first."""
    return await tasks_page(uow.session, assignee_id, customer_id, status, limit, offset)


async def complete_task(uow: UnitOfWork, task_id: int, actor: User) -> Task:
    """A specialist completes their own tasks (or unassigned ones); managers complete any."""
    task = await get_or_404(uow.session, Task, task_id, "task")
    if actor.role == Role.AR_SPECIALIST and task.assignee_id not in (None, actor.id):
        raise Forbidden("this task is assigned to someone else")
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"task {task_id} is {task.status}", code="task_closed")
    task.status, task.completed_at, task.completed_by = TaskStatus.DONE.value, now(), actor.email
    uow.session.add(task)
    await write_history(
        uow.session,
        customer_id=task.customer_id,
        invoice_id=task.invoice_id,
        action=HistoryAction.TASK_COMPLETED,
        description=f"Task '{task.title}' completed by {actor.email}",
        actor=actor.email,
        occurred_at=now(),
        details={"task_id": task.id},
    )
    return task


async def list_deliveries(
    uow: UnitOfWork,
    customer_id: int | None,
    enrollment_id: int | None,
    status: DeliveryStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[Delivery], int]:
    """Newest first."""
    return await deliveries_page(uow.session, customer_id, enrollment_id, status, limit, offset)


async def read_delivery(uow: UnitOfWork, delivery_id: int) -> DeliveryDetailOut:
    """Exactly what was sent, to whom, through which provider, and every status it went through."""
    delivery = await get_or_404(uow.session, Delivery, delivery_id, "delivery")
    events, entries = await delivery_records(uow.session, delivery)
    return DeliveryDetailOut(
        **DeliveryOut.model_validate(delivery).model_dump(),
        step_id=delivery.step_id,
        html_body=delivery.html_body,
        text_body=delivery.text_body,
        attachments=[str(a["filename"]) for a in delivery.attachments if a.get("filename")],
        updated_at=delivery.updated_at,
        status_history=status_history(delivery, events, entries),
    )


async def delivery_records(
    session: AsyncSession, delivery: Delivery
) -> tuple[list[DeliveryEvent], list[HistoryEntry]]:
    """The provider events matched to the delivery, and the customer history entries naming it
    (by `details.delivery_id`, or in a step record's `details.deliveries`)."""
    return await events_of_delivery(session, delivery), await history_naming_delivery(session, delivery)


def status_history(
    delivery: Delivery, events: list[DeliveryEvent], entries: list[HistoryEntry]
) -> list[DeliveryStatusChange]:
    """Every stored fact about the delivery's status, oldest first.

    The row's creation comes first whatever the clocks say. A step's own record that only
    repeats the status just before it is left out (it restates the row), and the current
    status closes the list when no stored fact shows it (in flight, or waiting for a retry).
    """
    created = DeliveryStatusChange(
        status=DeliveryStatus.PENDING.value,
        at=delivery.created_at,
        source="delivery",
        note="created: recipients resolved and the message rendered",
    )
    later: list[tuple[DeliveryStatusChange, bool]] = []
    if delivery.sent_at is not None:
        accepted = f"accepted by {delivery.provider or 'the provider'}"
        if delivery.provider_message_id:
            accepted += f" as {delivery.provider_message_id}"
        later.append(
            (
                DeliveryStatusChange(status="sent", at=delivery.sent_at, source="delivery", note=accepted),
                False,
            )
        )
    for event in events:
        status = STATUS_OF_EVENT.get(event.event)
        later.append(
            (
                DeliveryStatusChange(
                    status=status.value if status is not None else None,
                    at=event.event_at,
                    source="provider_event",
                    event=event.event,
                    note=_event_note(event.payload),
                ),
                False,
            )
        )
    for entry in entries:
        listed = _listed_status(entry.details, delivery.id)
        mapped = STATUS_OF_HISTORY_ACTION.get(entry.action)
        reported = listed if listed is not None else (mapped.value if mapped is not None else None)
        change = DeliveryStatusChange(
            status=reported,
            at=entry.occurred_at,
            source="history",
            event=entry.action,
            note=entry.description,
        )
        later.append((change, listed is not None))
    later.sort(key=lambda item: (item[0].at, SOURCE_ORDER[item[0].source]))
    history = [created]
    last = created.status
    for change, restates_the_row in later:
        if restates_the_row and change.status == last:
            continue
        history.append(change)
        last = change.status if change.status is not None else last
    if delivery.status not in {c.status for c in history}:
        error = f": {delivery.last_error}" if delivery.last_error else ""
        history.append(
            DeliveryStatusChange(
                status=delivery.status,
                at=delivery.updated_at,
                source="delivery",
                note=f"current status; the time is the row's last update{error}",
            )
        )
    return history


def _listed_status(details: dict[str, Any], delivery_id: int | None) -> str | None:
    for listed in details.get("deliveries") or []:
        if isinstance(listed, dict) and listed.get("id") == delivery_id and listed.get("status"):
            return str(listed["status"])
    return None


def _event_note(payload: dict[str, Any]) -> str | None:
    """What the provider said about the event, when it said something (a bounce's reason)."""
    for name in ("reason", "response"):
        value = payload.get(name)
        if isinstance(value, str) and value:
            return value[:1000]
    return None
