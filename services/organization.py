"""Organization settings: one row; the default workflows must exist and be of the right kind."""

from __future__ import annotations

from domain.enums import DefinitionKind
from models import OrganizationSettings, User, WorkflowDefinition
from models.repository import all_live_enrollments, calendar_of, load_organization
from services.common import now, refresh_after_commit
from services.errors import Invalid
from services.schemas.organization import SettingsUpdate
from services.unit_of_work import UnitOfWork


async def read_settings(uow: UnitOfWork) -> OrganizationSettings:
    return await load_organization(uow.session)


async def _check_default(uow: UnitOfWork, field: str, definition_id: int | None, autopay: bool) -> None:
    if definition_id is None:
        return
    definition = await uow.session.get(WorkflowDefinition, definition_id)
    if definition is None:
        raise Invalid(
            f"{field}: workflow definition {definition_id} does not exist", code="unknown_definition"
        )
    if autopay != (definition.kind == DefinitionKind.AUTOPAY):
        wanted = "an auto-pay" if autopay else "a non-auto-pay"
        raise Invalid(f"{field}: '{definition.name}' is not {wanted} workflow", code="wrong_definition_kind")


async def _refresh_all(uow: UnitOfWork, reason: str) -> None:
    """Every running enrollment plans again: its next send time may have moved."""
    for enrollment in await all_live_enrollments(uow.session):
        refresh_after_commit(uow, enrollment, reason)


async def update_settings(uow: UnitOfWork, change: SettingsUpdate, actor: User) -> OrganizationSettings:
    await _check_default(uow, "default_definition_id", change.default_definition_id, autopay=False)
    await _check_default(uow, "autopay_definition_id", change.autopay_definition_id, autopay=True)
    org = await uow.session.get(OrganizationSettings, 1, with_for_update=True)
    if org is None:
        org = OrganizationSettings(id=1, name=change.name)
    before = calendar_of(org)
    for field, value in change.model_dump(exclude={"send_time"}).items():
        setattr(org, field, value)
    org.send_time = change.send_time_value
    if calendar_of(org) != before:
        await _refresh_all(uow, "the organization's calendar changed")
    org.updated_at = now()
    org.updated_by = actor.email
    uow.session.add(org)
    await uow.session.flush()
    return org
