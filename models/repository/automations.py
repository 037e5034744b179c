"""Automations: by id and name, their versions, the workflows they are attached to, the events
an enrollment has not processed yet, and the runs that make each firing exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.automations import AutomationSpec, parse_automation
from models.automations import Automation, AutomationRun, AutomationVersion, Event, WorkflowAutomation
from models.definitions import WorkflowDefinition


async def automation_named(session: AsyncSession, name: str) -> Automation | None:
    return (await session.exec(select(Automation).where(Automation.name == name))).first()


async def all_automations(session: AsyncSession) -> list[Automation]:
    return list((await session.exec(select(Automation).order_by(col(Automation.id)))).all())


async def automation_versions(session: AsyncSession, automation_id: int) -> list[AutomationVersion]:
    query = (
        select(AutomationVersion)
        .where(AutomationVersion.automation_id == automation_id)
        .order_by(col(AutomationVersion.version))
    )
    return list((await session.exec(query)).all())


async def attachment(
    session: AsyncSession, definition_id: int, automation_id: int
) -> WorkflowAutomation | None:
    query = select(WorkflowAutomation).where(
        WorkflowAutomation.definition_id == definition_id, WorkflowAutomation.automation_id == automation_id
    )
    return (await session.exec(query)).first()


async def attached_count(session: AsyncSession, definition_id: int) -> int:
    query = (
        select(func.count())
        .select_from(WorkflowAutomation)
        .where(WorkflowAutomation.definition_id == definition_id)
    )
    return int((await session.exec(query)).one())


async def attached_automations(session: AsyncSession, definition_id: int) -> list[Automation]:
    """The automations attached to a workflow, in the order they were attached."""
    query = (
        select(Automation)
        .join(WorkflowAutomation, col(WorkflowAutomation.automation_id) == col(Automation.id))
        .where(WorkflowAutomation.definition_id == definition_id)
        .order_by(col(WorkflowAutomation.id))
    )
    return list((await session.exec(query)).all())


def automation_spec(row: Automation) -> AutomationSpec:
    """A stored automation as the domain reasons about it (checked again: stored means valid)."""
    assert row.id is not None
    return parse_automation(
        automation_id=row.id,
        version=row.version,
        name=row.name,
        trigger=row.trigger,
        conditions=row.conditions,
        actions=row.actions,
        enabled=row.enabled,
    )


async def write_event(
    session: AsyncSession,
    *,
    customer_id: int,
    kind: str,
    occurred_at: datetime,
    actor: str = "arcadence",
    invoice_id: int | None = None,
    delivery_id: int | None = None,
    payload: dict[str, Any] | None = None,
    source_key: str | None = None,
) -> int | None:
    """One event row (once per source key); returns its id, or None when it was already written."""
    statement = (
        insert(Event)
        .values(
            customer_id=customer_id,
            kind=kind,
            invoice_id=invoice_id,
            delivery_id=delivery_id,
            payload=payload or {},
            actor=actor,
            source_key=source_key,
            occurred_at=occurred_at,
        )
        .on_conflict_do_nothing(index_elements=["source_key"])
        .returning(col(Event.id))
    )
    created = (await (await session.connection()).execute(statement)).scalar_one_or_none()
    return int(created) if created is not None else None


async def write_events_many(
    session: AsyncSession,
    *,
    customer_ids: Sequence[int],
    kind: str,
    occurred_at: datetime,
    actor: str,
    payload: dict[str, Any] | None = None,
) -> None:
    """The same event for many customers in one multi-row insert (a bulk job's "enrolled")."""
    if not customer_ids:
        return
    rows = [
        {
            "customer_id": customer_id,
            "kind": kind,
            "payload": payload or {},
            "actor": actor,
            "occurred_at": occurred_at,
        }
        for customer_id in customer_ids
    ]
    await (await session.connection()).execute(insert(Event).values(rows))


async def unprocessed_events(session: AsyncSession, customer_id: int, limit: int) -> list[Event]:
    """The customer's events no enrollment has processed yet, oldest first."""
    query = (
        select(Event)
        .where(Event.customer_id == customer_id, col(Event.processed_at).is_(None))
        .order_by(col(Event.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.exec(query)).all())


async def mark_events_processed(session: AsyncSession, customer_id: int, at: datetime) -> int:
    """Every unprocessed event of the customer, processed at `at` by nothing (no automation
    watches it); how many."""
    result = await session.exec(
        update(Event)
        .where(col(Event.customer_id) == customer_id, col(Event.processed_at).is_(None))
        .values(processed_at=at)
    )
    return int(result.rowcount or 0)


async def mark_events_processed_many(session: AsyncSession, customer_ids: Sequence[int], at: datetime) -> int:
    """`mark_events_processed` for many customers in one statement; how many events."""
    if not customer_ids:
        return 0
    result = await session.exec(
        update(Event)
        .where(col(Event.customer_id).in_(list(customer_ids)), col(Event.processed_at).is_(None))
        .values(processed_at=at)
    )
    return int(result.rowcount or 0)


async def record_run_once(session: AsyncSession, run: AutomationRun) -> int | None:
    """Writes the run unless one exists for its automation and trigger key; its id if written."""
    values = {k: v for k, v in run.model_dump().items() if k != "id"}
    statement = (
        insert(AutomationRun)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["automation_id", "trigger_key"])
        .returning(col(AutomationRun.id))
    )
    created = (await (await session.connection()).execute(statement)).scalar_one_or_none()
    return int(created) if created is not None else None


async def run_of(session: AsyncSession, automation_id: int, trigger_key: str) -> AutomationRun | None:
    query = select(AutomationRun).where(
        AutomationRun.automation_id == automation_id, AutomationRun.trigger_key == trigger_key
    )
    return (await session.exec(query)).first()


async def actions_since(session: AsyncSession, enrollment_id: int, since: datetime) -> int:
    """How many automation actions an enrollment performed since `since` (the daily limit)."""
    query = select(func.coalesce(func.sum(AutomationRun.actions_performed), 0)).where(
        AutomationRun.enrollment_id == enrollment_id, col(AutomationRun.occurred_at) >= since
    )
    return int((await session.exec(query)).one())


async def last_fired(
    session: AsyncSession, customer_id: int, automation_ids: Sequence[int]
) -> dict[int, datetime]:
    """When each automation last fired for the customer."""
    if not automation_ids:
        return {}
    query = (
        select(AutomationRun.automation_id, func.max(AutomationRun.occurred_at))
        .where(
            AutomationRun.customer_id == customer_id,
            col(AutomationRun.outcome).in_(("fired", "claimed")),
            col(AutomationRun.automation_id).in_(automation_ids),
        )
        .group_by(col(AutomationRun.automation_id))
    )
    return {int(a): at for a, at in (await session.exec(query)).all()}


async def definitions_using(session: AsyncSession, automation_id: int) -> list[int]:
    """The workflows an automation is attached to."""
    query = select(WorkflowAutomation.definition_id).where(WorkflowAutomation.automation_id == automation_id)
    return list((await session.exec(query)).all())


async def lock_definition_row(session: AsyncSession, definition_id: int) -> None:
    """Serializes attaches to one workflow, so two at once cannot both take the last place."""
    query = select(WorkflowDefinition.id).where(col(WorkflowDefinition.id) == definition_id).with_for_update()
    await session.exec(query)


async def claimed_runs(session: AsyncSession, enrollment_id: int) -> list[AutomationRun]:
    """Runs an earlier attempt claimed and did not complete: performed again (each action is
    idempotent by its key), so a retry after a lost result loses nothing."""
    query = (
        select(AutomationRun)
        .where(AutomationRun.enrollment_id == enrollment_id, AutomationRun.outcome == "claimed")
        .order_by(col(AutomationRun.id))
    )
    return list((await session.exec(query)).all())


async def latest_run(session: AsyncSession, automation_id: int, customer_id: int) -> AutomationRun | None:
    query = (
        select(AutomationRun)
        .where(AutomationRun.automation_id == automation_id, AutomationRun.customer_id == customer_id)
        .order_by(col(AutomationRun.id).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()
