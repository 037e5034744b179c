"""Drafting a message for a step: who receives it and what it says, from Postgres rows.

Recipients and rendering are the domain's rules; this module only gathers their inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.exceptions import ApplicationError

from domain import recipients as rcp
from domain import templates as tpl
from domain.communications import nothing_owed_reason
from domain.enums import Channel, DefinitionKind, StepAction
from models import (
    Customer,
    Invoice,
    OrganizationSettings,
    Template,
    WorkflowDefinition,
    WorkflowStep,
)
from models.repository.messages import message_context, recipient_inputs


@dataclass
class MessageDraft:
    channel: str
    summary: str = ""
    skip_reason: str | None = None
    recipients: list[dict[str, Any]] = field(default_factory=list)
    subject: str | None = None
    html_body: str | None = None
    text_body: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def _default_template_slug(action: StepAction, step: WorkflowStep, kind: str = "") -> str:
    if kind == DefinitionKind.AUTOPAY and action in rcp.EMAIL_ACTIONS:
        return tpl.default_autopay_slug(step.offset_days)
    if action == StepAction.STATEMENT_EMAIL:
        return "customer_statement"
    if action == StepAction.SMS:
        return "sms_reminder"
    if action in rcp.INTERNAL_ACTIONS:
        return "internal_notification"
    if step.offset_days < 0:
        return "reminder_before_due"
    if step.offset_days == 0:
        return "reminder_due_today"
    if step.offset_days <= 7:
        return "overdue_1"
    if step.offset_days <= 21:
        return "overdue_2"
    return "overdue_3"


async def _template_source(
    session: AsyncSession, action: StepAction, step: WorkflowStep, kind: str = ""
) -> tpl.TemplateSource:
    if step.template_id is not None:
        row = await session.get(Template, step.template_id)
        if row is None:
            raise ApplicationError(
                f"template {step.template_id} does not exist",
                type="NonRetryable",
                non_retryable=True,
            )
        return tpl.TemplateSource(
            name=row.name,
            channel=Channel(row.channel),
            subject=row.subject,
            html_body=row.html_body,
            text_body=row.text_body,
        )
    slug = str((step.parameters or {}).get("template") or _default_template_slug(action, step, kind))
    source = tpl.DEFAULT_TEMPLATES.get(slug)
    if source is None:
        raise ApplicationError(f"unknown default template '{slug}'", type="NonRetryable", non_retryable=True)
    return source


async def draft_message(
    session: AsyncSession,
    *,
    org: OrganizationSettings,
    customer: Customer,
    definition: WorkflowDefinition,
    step: WorkflowStep,
    invoice: Invoice | None,
    today: date,
) -> MessageDraft:
    action = StepAction(step.action)
    channel = Channel.SMS if action == StepAction.SMS else Channel.EMAIL
    draft = MessageDraft(channel=channel.value)

    # The same context the template preview shows (one function builds both).
    context = await message_context(
        session,
        org=org,
        customer=customer,
        today=today,
        invoice=invoice,
        definition=definition,
    )
    nothing_owed = nothing_owed_reason(action, context, step.parameters)
    if nothing_owed is not None:
        draft.skip_reason = nothing_owed
        draft.details["nothing_owed"] = True
        return draft

    resolution = await _resolve(session, action, customer, definition)
    draft.details["recipients_cut"] = [r.email for r in resolution.cut]
    draft.details["recipients_rejected"] = [
        {"address": r.address, "reason": r.reason} for r in resolution.rejected
    ]
    if resolution.skip_reason:
        draft.skip_reason = resolution.skip_reason
        return draft
    draft.recipients = [
        {"address": r.email, "name": r.name, "source": r.source} for r in resolution.recipients
    ]

    source = await _template_source(session, action, step, definition.kind)
    try:
        rendered = tpl.render_message(source, context)
    except tpl.TemplateError as err:
        raise ApplicationError(f"template error: {err}", type="TemplateError", non_retryable=True) from err
    draft.subject = rendered.subject
    draft.html_body = rendered.html_body
    draft.text_body = rendered.text_body
    names = ", ".join(r.email for r in resolution.recipients)
    cut = f" ({len(resolution.cut)} more cut: at most {rcp.MAX_RECIPIENTS})" if resolution.cut else ""
    what = {"sms": "SMS", "email": "Email"}[channel.value]
    draft.summary = f"{what} '{rendered.subject or source.name}' to {names}{cut}"
    draft.details["template"] = source.name
    return draft


async def _resolve(
    session: AsyncSession, action: StepAction, customer: Customer, definition: WorkflowDefinition
) -> rcp.RecipientResolution:
    """The recipients of this step, by the one rule the timeline shows too (`recipients_for`),
    with the suppressions in force for every address it may write to."""
    inputs = await recipient_inputs(session, customer, definition, action)
    resolution = inputs.resolve(action)
    if resolution is None:
        raise ApplicationError(f"a {action} step sends no message", type="NotAMessage", non_retryable=True)
    return resolution
