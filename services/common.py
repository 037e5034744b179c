"""Small helpers every service uses: load by id or 404, the organization's today, signalling."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Customer, Enrollment
from models.repository import customer_calendar_of, load_organization
from services.errors import NotFound
from services.unit_of_work import UnitOfWork
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import RefreshSignal

T = TypeVar("T")


async def get_or_404(session: AsyncSession, model: type[T], row_id: int, what: str) -> T:
    row = await session.get(model, row_id)
    if row is None:
        raise NotFound(f"{what} {row_id} does not exist", details={"id": row_id})
    return row


def now() -> datetime:
    return datetime.now(UTC)


async def customer_today(session: AsyncSession, customer: Customer) -> date:
    """Today where the customer lives (its zone, else the organization's): the day an enrollment
    made now is anchored on, so that "the enrollment day + N" falls at the customer's send time."""
    org = await load_organization(session)
    return (await customer_calendar_of(session, org, customer)).local_date_of(now())


def signal_after_commit(uow: UnitOfWork, workflow_id: str, signal: Any, payload: Any) -> None:
    """Nudge a workflow once the truth is committed; losing the nudge is harmless."""

    async def send() -> None:
        await uow.state.temporal.get_workflow_handle(workflow_id).signal(signal, payload)

    uow.after_commit(send, key=workflow_id)


def refresh_after_commit(uow: UnitOfWork, enrollment: Enrollment, reason: str) -> None:
    signal_after_commit(uow, enrollment.workflow_id, EnrollmentWorkflow.refresh, RefreshSignal(reason=reason))
