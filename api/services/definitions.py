"""Workflow definitions (versioned), and message templates with their preview."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from api.deps import UnitOfWork
from api.errors import Conflict, Invalid
from api.schemas.definitions import DefinitionIn, PreviewIn, TemplateIn
from api.services.common import LIVE, get_or_404, now, refresh_after_commit
from domain import templates as tpl
from domain.enums import Channel
from models import (
    Customer,
    Enrollment,
    Invoice,
    Template,
    User,
    WorkflowDefinition,
    WorkflowDefinitionVersion,
    WorkflowStep,
)
from models.repository import load_organization, open_invoices


async def _check_refs(uow: UnitOfWork, request: DefinitionIn, own_id: int | None) -> None:
    if request.continue_with_id is not None:
        if request.continue_with_id == own_id:
            raise Invalid("a workflow cannot continue with itself")
        await get_or_404(uow.session, WorkflowDefinition, request.continue_with_id, "workflow definition")
    for step in request.steps:
        if step.template_id is not None:
            await get_or_404(uow.session, Template, step.template_id, "template")
    for user_id in [*request.internal_recipients, *request.additional_recipients.user_ids]:
        await get_or_404(uow.session, User, user_id, "user")


def _fields(request: DefinitionIn) -> dict[str, Any]:
    data = request.model_dump(mode="json", exclude={"steps"})
    return data


async def steps_of(uow: UnitOfWork, definition_id: int) -> list[WorkflowStep]:
    query = (
        select(WorkflowStep)
        .where(WorkflowStep.definition_id == definition_id)
        .order_by(col(WorkflowStep.position))
    )
    return list((await uow.session.exec(query)).all())


async def _write_steps(uow: UnitOfWork, definition: WorkflowDefinition, request: DefinitionIn) -> None:
    """Keep step rows (and so occurrence keys) for positions that still exist."""
    current = {s.position: s for s in await steps_of(uow, definition.id or 0)}
    for position, step in enumerate(request.steps):
        row = current.pop(position, None) or WorkflowStep(
            definition_id=definition.id or 0, position=position, offset_days=0, action="note"
        )
        row.offset_days = step.offset_days
        row.action = step.action.value
        row.template_id = step.template_id
        row.parameters = dict(step.parameters)
        row.conditions = [c.model_dump(mode="json") for c in step.conditions]
        uow.session.add(row)
    for leftover in current.values():
        await uow.session.delete(leftover)
    await uow.session.flush()


async def _snapshot(uow: UnitOfWork, definition: WorkflowDefinition, actor: User) -> None:
    steps = await steps_of(uow, definition.id or 0)
    snapshot = {
        "definition": {
            k: v
            for k, v in definition.model_dump(mode="json").items()
            if k not in ("created_at", "updated_at")
        },
        "steps": [s.model_dump(mode="json") for s in steps],
    }
    uow.session.add(
        WorkflowDefinitionVersion(
            definition_id=definition.id or 0,
            version=definition.version,
            snapshot=snapshot,
            created_by=actor.email,
        )
    )


async def create_definition(uow: UnitOfWork, request: DefinitionIn, actor: User) -> WorkflowDefinition:
    await _check_refs(uow, request, None)
    if (
        await uow.session.exec(select(WorkflowDefinition).where(WorkflowDefinition.name == request.name))
    ).first():
        raise Conflict(f"a workflow named '{request.name}' exists", code="duplicate_name")
    definition = WorkflowDefinition(**_fields(request), updated_by=actor.email)
    uow.session.add(definition)
    await uow.session.flush()
    await _write_steps(uow, definition, request)
    await _snapshot(uow, definition, actor)
    return definition


async def update_definition(
    uow: UnitOfWork, definition_id: int, request: DefinitionIn, actor: User
) -> WorkflowDefinition:
    """A new version; running enrollments re-plan on it at once."""
    definition = await get_or_404(uow.session, WorkflowDefinition, definition_id, "workflow definition")
    await _check_refs(uow, request, definition_id)
    if request.kind.value != definition.kind:
        raise Conflict("the kind of a workflow cannot change; clone it instead", code="kind_change")
    for field, value in _fields(request).items():
        setattr(definition, field, value)
    definition.version += 1
    definition.updated_at = now()
    definition.updated_by = actor.email
    uow.session.add(definition)
    await _write_steps(uow, definition, request)
    await _snapshot(uow, definition, actor)
    await refresh_running(uow, definition, f"workflow edited (version {definition.version})")
    return definition


async def refresh_running(uow: UnitOfWork, definition: WorkflowDefinition, reason: str) -> int:
    query = (
        select(Enrollment)
        .where(Enrollment.definition_id == definition.id)
        .where(col(Enrollment.state).in_(LIVE))
    )
    running = list((await uow.session.exec(query)).all())
    for enrollment in running:
        refresh_after_commit(uow, enrollment, reason)
    return len(running)


async def set_enabled(uow: UnitOfWork, definition_id: int, enabled: bool, actor: User) -> WorkflowDefinition:
    definition = await get_or_404(uow.session, WorkflowDefinition, definition_id, "workflow definition")
    definition.enabled = enabled
    definition.updated_by = actor.email
    uow.session.add(definition)
    return definition


async def clone(uow: UnitOfWork, definition_id: int, name: str, actor: User) -> WorkflowDefinition:
    source = await get_or_404(uow.session, WorkflowDefinition, definition_id, "workflow definition")
    steps = await steps_of(uow, definition_id)
    request = DefinitionIn.model_validate(
        {
            **{
                k: getattr(source, k)
                for k in (
                    "description",
                    "kind",
                    "enabled",
                    "catch_up",
                    "frequency",
                    "conditions",
                    "additional_recipients",
                    "internal_recipients",
                    "continue_with_id",
                )
            },
            "name": name,
            "steps": [
                {
                    "offset_days": s.offset_days,
                    "action": s.action,
                    "template_id": s.template_id,
                    "parameters": s.parameters,
                    "conditions": s.conditions,
                }
                for s in steps
            ],
        }
    )
    return await create_definition(uow, request, actor)


async def list_definitions(uow: UnitOfWork) -> list[WorkflowDefinition]:
    return list(
        (await uow.session.exec(select(WorkflowDefinition).order_by(col(WorkflowDefinition.id)))).all()
    )


async def versions(uow: UnitOfWork, definition_id: int) -> list[WorkflowDefinitionVersion]:
    await get_or_404(uow.session, WorkflowDefinition, definition_id, "workflow definition")
    query = (
        select(WorkflowDefinitionVersion)
        .where(WorkflowDefinitionVersion.definition_id == definition_id)
        .order_by(col(WorkflowDefinitionVersion.version))
    )
    return list((await uow.session.exec(query)).all())


def _source(request: TemplateIn | Template) -> tpl.TemplateSource:
    return tpl.TemplateSource(
        name=request.name,
        channel=Channel(request.channel),
        subject=request.subject,
        html_body=request.html_body,
        text_body=request.text_body,
    )


def _validated(request: TemplateIn) -> None:
    try:
        tpl.validate_template(_source(request))
    except tpl.TemplateError as err:
        raise Invalid(
            str(err), code="template_invalid", details={"template": err.template_name, "line": err.line}
        ) from err


async def create_template(uow: UnitOfWork, request: TemplateIn) -> Template:
    _validated(request)
    if (await uow.session.exec(select(Template).where(Template.name == request.name))).first():
        raise Conflict(f"a template named '{request.name}' exists", code="duplicate_name")
    template = Template(**request.model_dump(mode="json"))
    uow.session.add(template)
    await uow.session.flush()
    return template


async def update_template(uow: UnitOfWork, template_id: int, request: TemplateIn) -> Template:
    template = await get_or_404(uow.session, Template, template_id, "template")
    _validated(request)
    for field, value in request.model_dump(mode="json").items():
        setattr(template, field, value)
    template.updated_at = now()
    uow.session.add(template)
    return template


async def delete_template(uow: UnitOfWork, template_id: int) -> None:
    template = await get_or_404(uow.session, Template, template_id, "template")
    used = (
        await uow.session.exec(select(WorkflowStep).where(WorkflowStep.template_id == template_id))
    ).first()
    if used is not None:
        raise Conflict("the template is used by a workflow step", code="template_in_use")
    await uow.session.delete(template)


async def list_templates(uow: UnitOfWork) -> list[Template]:
    return list((await uow.session.exec(select(Template).order_by(col(Template.id)))).all())


async def preview(uow: UnitOfWork, template_id: int, request: PreviewIn) -> tpl.RenderedMessage:
    """Render against a real customer's data (and one of its invoices), as the engine would."""
    template = await get_or_404(uow.session, Template, template_id, "template")
    customer = await get_or_404(uow.session, Customer, request.customer_id, "customer")
    invoice = None
    if request.invoice_id is not None:
        invoice = await get_or_404(uow.session, Invoice, request.invoice_id, "invoice")
        if invoice.customer_id != customer.id:
            raise Invalid("the invoice belongs to another customer")
    org = await load_organization(uow.session)
    specialist = await uow.session.get(User, customer.specialist_id) if customer.specialist_id else None
    invoices = await open_invoices(uow.session, customer.id or 0)
    context = tpl.build_context(
        org, customer, invoices, invoice=invoice, specialist=specialist, as_of=now().date()
    )
    try:
        return tpl.render_message(_source(template), context)
    except tpl.TemplateError as err:
        raise Invalid(
            str(err), code="template_invalid", details={"template": err.template_name, "line": err.line}
        ) from err
