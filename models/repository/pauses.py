"""Pausing and resuming a customer: the pause fields, the enrollment's state and the history entry,
changed together, whether a person asks (services) or a pause reaches its end date (the engine).

Not re-exported by `models.repository`: it writes through `models.history`, which reads customers
through this package.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import EnrollmentState, EventKind, HistoryAction
from models import Customer, Enrollment
from models.base import require_id
from models.history import write_history
from models.repository.automations import write_event


async def pause_and_record(
    session: AsyncSession,
    customer: Customer,
    *,
    until: datetime | None,
    reason: str,
    actor: str,
    occurred_at: datetime,
    enrollment: Enrollment | None,
) -> None:
    """Pause the customer (until a date, or until resumed) and its live enrollment, if any."""
    customer.paused, customer.paused_until = True, until
    customer.pause_reason, customer.paused_by = reason, actor
    session.add(customer)
    until_words = f" until {until.isoformat()}" if until else ""
    await write_history(
        session,
        customer_id=require_id(customer),
        enrollment_id=enrollment.id if enrollment else None,
        action=HistoryAction.CUSTOMER_PAUSED,
        description=f"Paused by {actor}{until_words}: {reason}",
        actor=actor,
        occurred_at=occurred_at,
        details={"until": until.isoformat() if until else None, "reason": reason},
    )
    # The event automations react to, written with the pause (the enrollment hears after commit).
    await write_event(
        session,
        customer_id=require_id(customer),
        kind=EventKind.CUSTOMER_PAUSED,
        occurred_at=occurred_at,
        actor=actor,
        payload={"until": until.isoformat() if until else None, "reason": reason},
    )
    if enrollment is not None:
        enrollment.state = EnrollmentState.PAUSED.value
        session.add(enrollment)


async def resume_and_record(
    session: AsyncSession,
    customer: Customer,
    *,
    description: str,
    actor: str,
    occurred_at: datetime,
    enrollment: Enrollment | None,
    key: str | None = None,
    last_action: bool = True,
) -> None:
    """Lift the customer's pause and make its live enrollment, if any, active again."""
    customer.paused, customer.paused_until = False, None
    customer.pause_reason, customer.paused_by = None, None
    session.add(customer)
    await write_history(
        session,
        customer_id=require_id(customer),
        enrollment_id=enrollment.id if enrollment else None,
        action=HistoryAction.CUSTOMER_RESUMED,
        description=description,
        actor=actor,
        occurred_at=occurred_at,
        key=key,
        last_action=last_action,
    )
    await write_event(
        session,
        customer_id=require_id(customer),
        kind=EventKind.CUSTOMER_RESUMED,
        occurred_at=occurred_at,
        actor=actor,
        source_key=f"resumed:{key}" if key else None,
    )
    if enrollment is not None:
        enrollment.state = EnrollmentState.ACTIVE.value
        session.add(enrollment)
