"""Organization settings."""

from __future__ import annotations

from api.deps import UnitOfWork
from api.errors import Invalid
from api.schemas.organization import SettingsUpdate
from models import OrganizationSettings, User, WorkflowDefinition
from models.repository import load_organization


async def read_settings(uow: UnitOfWork) -> OrganizationSettings:
    return await load_organization(uow.session)


async def update_settings(uow: UnitOfWork, change: SettingsUpdate, actor: User) -> OrganizationSettings:
    for field in ("default_definition_id", "autopay_definition_id"):
        definition_id = getattr(change, field)
        if definition_id is not None and await uow.session.get(WorkflowDefinition, definition_id) is None:
            raise Invalid(f"{field}: workflow definition {definition_id} does not exist")
    org = await uow.session.get(OrganizationSettings, 1) or OrganizationSettings(id=1, name=change.name)
    for field, value in change.model_dump().items():
        setattr(org, field, value)
    org.updated_by = actor.email
    uow.session.add(org)
    await uow.session.flush()
    return org
