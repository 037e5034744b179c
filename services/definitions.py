"""Workflow definitions, versioned: every edit is a new version with a snapshot, and running
enrollments re-plan on it (a `refresh` after the commit)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from domain import templates as tpl
from domain.continuation import cannot_continue, continuation_cycle
from domain.enums import Channel, DefinitionKind, InvoiceStatus, StepAction
from models import (
    Template,
    User,
    WorkflowDefinition,
    WorkflowDefinitionVersion,
    WorkflowStep,
)
from models.base import require_id
from models.repository import (
    all_definitions,
    continuation_successors,
    definition_named,
    definition_names,
    live_enrollments_of_definition,
    steps_of,
    versions_of,
)
from services.common import get_or_404, now, refresh_after_commit
from services.errors import Conflict, Invalid, NotFound
from services.schemas.definitions import DefinitionIn, DefinitionOut, StepIn, StepOut
from services.unit_of_work import UnitOfWork

MESSAGE_CHANNEL = {
    StepAction.CUSTOMER_EMAIL: Channel.EMAIL,
    StepAction.STATEMENT_EMAIL: Channel.EMAIL,
    StepAction.INTERNAL_NOTIFICATION: Channel.EMAIL,
    StepAction.NOTIFY_SPECIALIST: Channel.EMAIL,
    StepAction.SMS: Channel.SMS,
}
CLONED_FIELDS = (
    "description",
    "kind",
    "enabled",
    "catch_up",
    "frequency",
    "conditions",
    "additional_recipients",
    "internal_recipients",
    "continue_with_id",
    "ar_sender_name",
    "ar_email",
    "ar_reply_to",
    "ar_phone",
)


async def _check_step(uow: UnitOfWork, number: int, step: StepIn) -> None:
    """What would only fail at send time is refused at save time."""
    where = f"step {number}"
    channel = MESSAGE_CHANNEL.get(step.action)
    if step.template_id is not None:
        template = await get_or_404(uow.session, Template, step.template_id, "template")
        if channel is None:
            raise Invalid(f"{where}: a {step.action.value} step sends no message, so no template")
        if Channel(template.channel) != channel:
            raise Invalid(f"{where}: a {step.action.value} step needs a {channel.value} template")
    slug = step.parameters.get("template")
    if slug is not None and (channel is None or str(slug) not in tpl.DEFAULT_TEMPLATES):
        raise Invalid(f"{where}: unknown built-in template '{slug}'", details=sorted(tpl.DEFAULT_TEMPLATES))
    status = step.parameters.get("status")
    known = {s.value for s in InvoiceStatus}
    if step.action == StepAction.SET_INVOICE_STATUS and status is not None and str(status) not in known:
        raise Invalid(f"{where}: unknown invoice status '{status}'")
    user_id = step.parameters.get("user_id")
    if step.action == StepAction.ASSIGN_SPECIALIST:
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            raise Invalid(f"{where}: assign_specialist needs an integer parameter user_id")
        await get_or_404(uow.session, User, user_id, "user")
    due_in = step.parameters.get("due_in_days")
    if due_in is not None and (isinstance(due_in, bool) or not isinstance(due_in, int)):
        raise Invalid(f"{where}: due_in_days must be an integer")


async def _check_refs(uow: UnitOfWork, request: DefinitionIn, own_id: int | None) -> None:
    if request.continue_with_id is not None:
        await _check_continuation(uow, request.kind, own_id, request.continue_with_id)
    for user_id in {*request.internal_recipients, *request.additional_recipients.user_ids}:
        await get_or_404(uow.session, User, user_id, "user")
    for number, step in enumerate(request.steps, start=1):
        await _check_step(uow, number, step)


async def _check_continuation(
    uow: UnitOfWork, kind: DefinitionKind, own_id: int | None, successor_id: int
) -> None:
    """A successor only for a workflow that ends, and never one that leads back to it."""
    never = cannot_continue(kind)
    if never is not None:
        raise Invalid(f"this workflow cannot continue with another: {never}", code="continue_with_never_ends")
    if successor_id == own_id:
        raise Invalid("a workflow cannot continue with itself", code="continue_with_loop")
    await get_or_404(uow.session, WorkflowDefinition, successor_id, "workflow definition")
    loop = continuation_cycle(own_id, successor_id, await continuation_successors(uow.session))
    if loop is not None:
        names = await definition_names(uow.session, loop)
        path = " → ".join(f"'{names.get(i, i)}'" for i in loop)
        raise Invalid(
            f"continuing with that workflow would loop forever: {path}",
            code="continue_with_loop",
            details={"loop": loop},
        )


async def _check_name(uow: UnitOfWork, name: str, own_id: int | None) -> None:
    other = await definition_named(uow.session, name)
    if other is not None and other.id != own_id:
        raise Conflict(f"a workflow named '{name}' exists", code="duplicate_name")


def _fields(request: DefinitionIn) -> dict[str, Any]:
    return request.model_dump(mode="json", exclude={"steps"})


def _step_content(step: StepIn | WorkflowStep) -> dict[str, Any]:
    if isinstance(step, StepIn):
        return step.model_dump(mode="json")
    return {
        "offset_days": step.offset_days,
        "action": step.action,
        "template_id": step.template_id,
        "parameters": dict(step.parameters),
        "conditions": list(step.conditions),
    }


async def definition_out(uow: UnitOfWork, definition: WorkflowDefinition) -> DefinitionOut:
    steps = [StepOut.model_validate(s) for s in await steps_of(uow.session, require_id(definition))]
    return DefinitionOut.model_validate({**definition.model_dump(), "steps": steps})


async def _write_steps(uow: UnitOfWork, definition: WorkflowDefinition, request: DefinitionIn) -> None:
    """Keep step rows (and so occurrence keys) for positions that still exist."""
    current = {s.position: s for s in await steps_of(uow.session, require_id(definition))}
    for position, step in enumerate(request.steps):
        row = current.pop(position, None) or WorkflowStep(
            definition_id=require_id(definition), position=position, offset_days=0, action=step.action.value
        )
        content = _step_content(step)
        for field, value in content.items():
            setattr(row, field, value)
        uow.session.add(row)
    for leftover in current.values():
        await uow.session.delete(leftover)
    await uow.session.flush()


async def _snapshot(uow: UnitOfWork, definition: WorkflowDefinition, actor: User) -> None:
    steps = await steps_of(uow.session, require_id(definition))
    excluded = {"created_at", "updated_at"}
    snapshot = {
        "definition": {k: v for k, v in definition.model_dump(mode="json").items() if k not in excluded},
        "steps": [s.model_dump(mode="json") for s in steps],
    }
    uow.session.add(
        WorkflowDefinitionVersion(
            definition_id=require_id(definition),
            version=definition.version,
            snapshot=snapshot,
            created_by=actor.email,
        )
    )


async def create_definition(uow: UnitOfWork, request: DefinitionIn, actor: User) -> WorkflowDefinition:
    await _check_refs(uow, request, None)
    await _check_name(uow, request.name, None)
    definition = WorkflowDefinition(**_fields(request), updated_by=actor.email)
    uow.session.add(definition)
    await uow.session.flush()
    await _write_steps(uow, definition, request)
    await _snapshot(uow, definition, actor)
    return definition


async def update_definition(
    uow: UnitOfWork, definition_id: int, request: DefinitionIn, actor: User
) -> WorkflowDefinition:
    """A new version (unless nothing changed); running enrollments re-plan on it at once."""
    definition = await get_or_404(uow.session, WorkflowDefinition, definition_id, "workflow definition")
    await _check_refs(uow, request, definition_id)
    await _check_name(uow, request.name, definition_id)
    if request.kind.value != definition.kind:
        raise Conflict("the kind of a workflow cannot change; clone it instead", code="kind_change")
    fields = _fields(request)
    current_steps = [_step_content(s) for s in await steps_of(uow.session, definition_id)]
    same_fields = all(getattr(definition, k) == v for k, v in fields.items())
    if same_fields and current_steps == [_step_content(s) for s in request.steps]:
        return definition
    for field, value in fields.items():
        setattr(definition, field, value)
    definition.version += 1
    definition.updated_at = now()
    definition.updated_by = actor.email
    uow.session.add(definition)
    await _write_steps(uow, definition, request)
    await _snapshot(uow, definition, actor)
    await _refresh_running(uow, definition, f"workflow edited (version {definition.version})")
    return definition


async def _refresh_running(uow: UnitOfWork, definition: WorkflowDefinition, reason: str) -> int:
    running = await live_enrollments_of_definition(uow.session, definition.id)
    for enrollment in running:
        refresh_after_commit(uow, enrollment, reason)
    return len(running)


async def set_enabled(uow: UnitOfWork, definition_id: int, enabled: bool, actor: User) -> WorkflowDefinition:
    """A disabled workflow takes no new enrollments and its running ones wait, sending nothing;
    enabled again, they resume where the schedule stands (the engine re-reads `enabled`)."""
    definition = await get_or_404(uow.session, WorkflowDefinition, definition_id, "workflow definition")
    if definition.enabled != enabled:
        definition.enabled = enabled
        definition.updated_at = now()
        definition.updated_by = actor.email
        uow.session.add(definition)
        await _refresh_running(uow, definition, f"workflow switched {'on' if enabled else 'off'}")
    return definition


async def clone(uow: UnitOfWork, definition_id: int, name: str, actor: User) -> WorkflowDefinition:
    source = await get_or_404(uow.session, WorkflowDefinition, definition_id, "workflow definition")
    steps = await steps_of(uow.session, definition_id)
    request = DefinitionIn.model_validate(
        {
            **{k: getattr(source, k) for k in CLONED_FIELDS},
            "name": name,
            "steps": [_step_content(s) for s in steps],
        }
    )
    return await create_definition(uow, request, actor)


async def list_definitions(uow: UnitOfWork) -> list[WorkflowDefinition]:
    return await all_definitions(uow.session)


async def versions(uow: UnitOfWork, definition_id: int) -> list[WorkflowDefinitionVersion]:
    await get_or_404(uow.session, WorkflowDefinition, definition_id, "workflow definition")
    return await versions_of(uow.session, definition_id)


RESTORED_STEP_FIELDS = ("offset_days", "action", "template_id", "parameters", "conditions")


async def restore_version(
    uow: UnitOfWork, definition_id: int, version: int, actor: User
) -> WorkflowDefinition:
    """Make a saved version current again. The restore is itself a new version (the history of
    versions only grows), checked like any edit, and running enrollments re-plan on it."""
    saved = next((v for v in await versions(uow, definition_id) if v.version == version), None)
    if saved is None:
        raise NotFound(
            f"workflow {definition_id} has no version {version}",
            details={"definition_id": definition_id, "version": version},
        )
    fields = {k: v for k, v in saved.snapshot["definition"].items() if k in DefinitionIn.model_fields}
    steps = [{k: s[k] for k in RESTORED_STEP_FIELDS if k in s} for s in saved.snapshot["steps"]]
    try:
        request = DefinitionIn.model_validate({**fields, "steps": steps})
    except ValidationError as err:
        raise Invalid(
            f"version {version} cannot be restored as it was saved: {err.errors()[0]['msg']}",
            code="version_not_restorable",
        ) from err
    return await update_definition(uow, definition_id, request, actor)
