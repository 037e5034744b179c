"""Automations, versioned like definitions, and attached to workflows (at most 100 each).

Saving checks what the domain says (trigger, conditions, actions, loops) and what only the
database knows (a workflow to move to, a user to assign); running enrollments of the workflows
an automation is attached to re-plan on every change."""

from __future__ import annotations

from typing import Any

from domain.automations import MAX_AUTOMATIONS_PER_WORKFLOW, AutomationError, parse_automation
from domain.enums import AutomationAction
from models import Automation, AutomationVersion, Customer, User, WorkflowAutomation, WorkflowDefinition
from models.base import require_id
from models.repository import live_enrollment, live_enrollments_of_definition
from models.repository.automations import (
    all_automations,
    attached_automations,
    attached_count,
    attachment,
    automation_named,
    automation_versions,
    definitions_using,
    last_fired,
    lock_definition_row,
)
from services.common import get_or_404, now, refresh_after_commit
from services.errors import Conflict, Invalid, NotFound
from services.schemas.automations import AttachedOut, AutomationIn, AutomationOut
from services.unit_of_work import UnitOfWork


def automation_out(row: Automation) -> AutomationOut:
    return AutomationOut.model_validate({**row.model_dump(), "has_webhook_secret": bool(row.webhook_secret)})


def _fields(request: AutomationIn) -> dict[str, Any]:
    return request.model_dump(mode="json")


async def _check(uow: UnitOfWork, request: AutomationIn) -> None:
    fields = _fields(request)
    try:
        spec = parse_automation(
            automation_id=0,
            version=1,
            name=request.name,
            trigger=fields["trigger"],
            conditions=fields["conditions"],
            actions=fields["actions"],
        )
    except AutomationError as err:
        raise Invalid(str(err), code=err.code) from None
    for number, action in enumerate(spec.actions, start=1):
        if action.kind == AutomationAction.MOVE_TO_WORKFLOW:
            await get_or_404(
                uow.session, WorkflowDefinition, int(action.params["definition_id"]), "workflow definition"
            )
        if action.kind == AutomationAction.ASSIGN_SPECIALIST:
            user_id = action.params.get("user_id")
            if not isinstance(user_id, int):
                raise Invalid(
                    f"action {number}: assign_specialist needs an integer user_id", code="invalid_action"
                )
            await get_or_404(uow.session, User, user_id, "user")


async def _check_name(uow: UnitOfWork, name: str, own_id: int | None) -> None:
    other = await automation_named(uow.session, name)
    if other is not None and other.id != own_id:
        raise Conflict(f"an automation named '{name}' exists", code="duplicate_name")


def _snapshot(uow: UnitOfWork, row: Automation, actor: User) -> None:
    excluded = {"created_at", "updated_at", "webhook_secret"}
    snapshot = {k: v for k, v in row.model_dump(mode="json").items() if k not in excluded}
    uow.session.add(
        AutomationVersion(
            automation_id=require_id(row), version=row.version, snapshot=snapshot, created_by=actor.email
        )
    )


async def create_automation(uow: UnitOfWork, request: AutomationIn, actor: User) -> Automation:
    await _check(uow, request)
    await _check_name(uow, request.name, None)
    row = Automation(**_fields(request), updated_by=actor.email)
    uow.session.add(row)
    await uow.session.flush()
    _snapshot(uow, row, actor)
    return row


async def update_automation(
    uow: UnitOfWork, automation_id: int, request: AutomationIn, actor: User
) -> Automation:
    """A new version (unless nothing changed); enrollments of its workflows re-plan at once.
    A secret left out keeps the one saved."""
    row = await get_or_404(uow.session, Automation, automation_id, "automation")
    await _check(uow, request)
    await _check_name(uow, request.name, automation_id)
    fields = _fields(request)
    if fields["webhook_secret"] is None:
        fields.pop("webhook_secret")
    if all(getattr(row, k) == v for k, v in fields.items()):
        return row
    for field, value in fields.items():
        setattr(row, field, value)
    row.version += 1
    row.updated_at = now()
    row.updated_by = actor.email
    uow.session.add(row)
    _snapshot(uow, row, actor)
    await _refresh_attached(uow, automation_id, f"automation edited (version {row.version})")
    return row


async def set_enabled(uow: UnitOfWork, automation_id: int, enabled: bool, actor: User) -> Automation:
    row = await get_or_404(uow.session, Automation, automation_id, "automation")
    if row.enabled != enabled:
        row.enabled = enabled
        row.updated_at = now()
        row.updated_by = actor.email
        uow.session.add(row)
        await _refresh_attached(uow, automation_id, f"automation switched {'on' if enabled else 'off'}")
    return row


async def _refresh_attached(uow: UnitOfWork, automation_id: int, reason: str) -> None:
    for definition_id in await definitions_using(uow.session, automation_id):
        for enrollment in await live_enrollments_of_definition(uow.session, definition_id):
            refresh_after_commit(uow, enrollment, reason)


async def list_automations(uow: UnitOfWork) -> list[Automation]:
    return await all_automations(uow.session)


async def versions(uow: UnitOfWork, automation_id: int) -> list[AutomationVersion]:
    await get_or_404(uow.session, Automation, automation_id, "automation")
    return await automation_versions(uow.session, automation_id)


async def attach(uow: UnitOfWork, definition_id: int, automation_id: int, actor: User) -> list[Automation]:
    """Attach (idempotent); a workflow takes at most MAX_AUTOMATIONS_PER_WORKFLOW."""
    definition = await get_or_404(uow.session, WorkflowDefinition, definition_id, "workflow definition")
    await get_or_404(uow.session, Automation, automation_id, "automation")
    if await attachment(uow.session, definition_id, automation_id) is None:
        await lock_definition_row(uow.session, definition_id)
        count = await attached_count(uow.session, definition_id)
        if count >= MAX_AUTOMATIONS_PER_WORKFLOW:
            raise Invalid(
                f"a workflow takes at most {MAX_AUTOMATIONS_PER_WORKFLOW} automations; "
                f"'{definition.name}' has {count}",
                code="too_many_automations",
                details={"limit": MAX_AUTOMATIONS_PER_WORKFLOW, "attached": count},
            )
        uow.session.add(
            WorkflowAutomation(
                definition_id=definition_id, automation_id=automation_id, attached_by=actor.email
            )
        )
        await uow.session.flush()
        await _refresh_definition(uow, definition_id, "automation attached")
    return await attached_automations(uow.session, definition_id)


async def detach(uow: UnitOfWork, definition_id: int, automation_id: int) -> list[Automation]:
    await get_or_404(uow.session, WorkflowDefinition, definition_id, "workflow definition")
    row = await attachment(uow.session, definition_id, automation_id)
    if row is None:
        raise NotFound(
            f"automation {automation_id} is not attached to workflow {definition_id}",
            details={"definition_id": definition_id, "automation_id": automation_id},
        )
    await uow.session.delete(row)
    await uow.session.flush()
    await _refresh_definition(uow, definition_id, "automation detached")
    return await attached_automations(uow.session, definition_id)


async def _refresh_definition(uow: UnitOfWork, definition_id: int, reason: str) -> None:
    for enrollment in await live_enrollments_of_definition(uow.session, definition_id):
        refresh_after_commit(uow, enrollment, reason)


async def attached_to(uow: UnitOfWork, definition_id: int) -> list[Automation]:
    await get_or_404(uow.session, WorkflowDefinition, definition_id, "workflow definition")
    return await attached_automations(uow.session, definition_id)


async def customer_automations(uow: UnitOfWork, customer_id: int) -> list[AttachedOut]:
    """The automations attached to the customer's workflow, and when each last fired for it."""
    await get_or_404(uow.session, Customer, customer_id, "customer")
    enrollment = await live_enrollment(uow.session, customer_id)
    if enrollment is None:
        return []
    rows = await attached_automations(uow.session, enrollment.definition_id)
    fired = await last_fired(uow.session, customer_id, [require_id(r) for r in rows])
    return [
        AttachedOut(
            automation_id=require_id(r),
            name=r.name,
            enabled=r.enabled,
            trigger=r.trigger,
            last_fired_at=fired.get(require_id(r)),
        )
        for r in rows
    ]
