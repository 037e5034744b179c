"""Workflow definitions: with their steps, their versions, and as the schedules see them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import CatchUpPolicy, DefinitionKind, FrequencyPeriod, StepAction
from domain.schedules import Frequency, ScheduleSpec, StepSpec
from models import WorkflowDefinition, WorkflowDefinitionVersion, WorkflowStep
from models.repository.errors import NotFound


async def steps_of(session: AsyncSession, definition_id: int) -> list[WorkflowStep]:
    """A definition's steps in their order."""
    query = (
        select(WorkflowStep)
        .where(WorkflowStep.definition_id == definition_id)
        .order_by(col(WorkflowStep.position))
    )
    return list((await session.exec(query)).all())


async def load_definition(
    session: AsyncSession, definition_id: int
) -> tuple[WorkflowDefinition, list[WorkflowStep]]:
    definition = await session.get(WorkflowDefinition, definition_id)
    if definition is None:
        raise NotFound(f"workflow definition {definition_id} does not exist")
    return definition, await steps_of(session, definition_id)


async def definition_named(session: AsyncSession, name: str) -> WorkflowDefinition | None:
    query = select(WorkflowDefinition).where(WorkflowDefinition.name == name)
    return (await session.exec(query)).first()


async def all_definitions(session: AsyncSession) -> list[WorkflowDefinition]:
    query = select(WorkflowDefinition).order_by(col(WorkflowDefinition.id))
    return list((await session.exec(query)).all())


async def versions_of(session: AsyncSession, definition_id: int) -> list[WorkflowDefinitionVersion]:
    """A definition's saved versions, oldest first."""
    query = (
        select(WorkflowDefinitionVersion)
        .where(WorkflowDefinitionVersion.definition_id == definition_id)
        .order_by(col(WorkflowDefinitionVersion.version))
    )
    return list((await session.exec(query)).all())


async def template_in_use(session: AsyncSession, template_id: int) -> bool:
    """Whether any workflow step sends this template."""
    query = select(WorkflowStep.id).where(WorkflowStep.template_id == template_id).limit(1)
    return (await session.exec(query)).first() is not None


def schedule_spec(definition: WorkflowDefinition, steps: Sequence[WorkflowStep]) -> ScheduleSpec:
    assert definition.id is not None
    frequency = None
    if definition.frequency:
        raw = definition.frequency
        frequency = Frequency(
            period=FrequencyPeriod(str(raw["period"])),
            weekday=int(raw["weekday"]),
            week_of_month=int(raw["week_of_month"]) if raw.get("week_of_month") is not None else None,
        )
    return ScheduleSpec(
        definition_id=definition.id,
        kind=DefinitionKind(definition.kind),
        steps=tuple(
            StepSpec(id=s.id, position=s.position, offset_days=s.offset_days, action=StepAction(s.action))
            for s in steps
            if s.id is not None
        ),
        frequency=frequency,
        catch_up=CatchUpPolicy(definition.catch_up),
        continue_with_id=definition.continue_with_id,
    )


async def continuation_successors(session: AsyncSession) -> dict[int, int | None]:
    """Every workflow and the one it continues with (the chains continue-with makes)."""
    query = select(WorkflowDefinition.id, WorkflowDefinition.continue_with_id)
    return {int(i): c for i, c in (await session.exec(query)).all() if i is not None}


async def definition_names(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    query = select(WorkflowDefinition.id, WorkflowDefinition.name).where(col(WorkflowDefinition.id).in_(ids))
    return {int(i): n for i, n in (await session.exec(query)).all() if i is not None}
