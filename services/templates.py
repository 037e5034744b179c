"""Message templates: test-rendered against sample data when saved, previewed against a real
customer with the engine's own rendering."""

from __future__ import annotations

from domain import templates as tpl
from domain.enums import Channel
from models import Customer, Invoice, Template
from models.repository import (
    all_templates,
    customer_calendar_of,
    load_organization,
    template_in_use,
    template_named,
)
from models.repository.messages import message_context
from services.common import get_or_404, now
from services.errors import Conflict, Invalid
from services.schemas.templates import PreviewIn, TemplateIn
from services.unit_of_work import UnitOfWork


def _source(template: TemplateIn | Template) -> tpl.TemplateSource:
    return tpl.TemplateSource(
        name=template.name,
        channel=Channel(template.channel),
        subject=template.subject,
        html_body=template.html_body,
        text_body=template.text_body,
    )


def _template_error(err: tpl.TemplateError) -> Invalid:
    return Invalid(
        str(err), code="template_invalid", details={"template": err.template_name, "line": err.line}
    )


def _validated(request: TemplateIn) -> None:
    try:
        tpl.validate_template(_source(request))
    except tpl.TemplateError as err:
        raise _template_error(err) from err


async def _check_name(uow: UnitOfWork, name: str, own_id: int | None) -> None:
    other = await template_named(uow.session, name)
    if other is not None and other.id != own_id:
        raise Conflict(f"a template named '{name}' exists", code="duplicate_name")


async def create_template(uow: UnitOfWork, request: TemplateIn) -> Template:
    _validated(request)
    await _check_name(uow, request.name, None)
    template = Template(**request.model_dump(mode="json"))
    uow.session.add(template)
    await uow.session.flush()
    return template


async def update_template(uow: UnitOfWork, template_id: int, request: TemplateIn) -> Template:
    """Rendered at send time, so running enrollments use the new text at their next step."""
    template = await get_or_404(uow.session, Template, template_id, "template")
    _validated(request)
    await _check_name(uow, request.name, template_id)
    if request.channel.value != template.channel and await template_in_use(uow.session, template_id):
        raise Conflict("the channel of a template in use cannot change", code="template_in_use")
    for field, value in request.model_dump(mode="json").items():
        setattr(template, field, value)
    template.updated_at = now()
    uow.session.add(template)
    return template


async def delete_template(uow: UnitOfWork, template_id: int) -> None:
    template = await get_or_404(uow.session, Template, template_id, "template")
    if await template_in_use(uow.session, template_id):
        raise Conflict("the template is used by a workflow step", code="template_in_use")
    await uow.session.delete(template)


async def list_templates(uow: UnitOfWork) -> list[Template]:
    return await all_templates(uow.session)


async def preview(uow: UnitOfWork, template_id: int, request: PreviewIn) -> tpl.RenderedMessage:
    """Render against a real customer's data (and one of its invoices), as the engine would."""
    template = await get_or_404(uow.session, Template, template_id, "template")
    return await _render_for(uow, _source(template), request)


async def preview_source(uow: UnitOfWork, source: TemplateIn, request: PreviewIn) -> tpl.RenderedMessage:
    """Render unsaved text (the console's live preview) exactly as `preview` renders a saved one."""
    return await _render_for(uow, _source(source), request)


async def _render_for(uow: UnitOfWork, source: tpl.TemplateSource, request: PreviewIn) -> tpl.RenderedMessage:
    customer = await get_or_404(uow.session, Customer, request.customer_id, "customer")
    invoice = None
    if request.invoice_id is not None:
        invoice = await get_or_404(uow.session, Invoice, request.invoice_id, "invoice")
        if invoice.customer_id != customer.id:
            raise Invalid("the invoice belongs to another customer", code="invoice_of_another_customer")
    org = await load_organization(uow.session)
    # The customer's day (its zone, else the organization's), as the engine renders it.
    today = (await customer_calendar_of(uow.session, org, customer)).local_date_of(now())
    # The engine's own context (models/repository/messages.py): same listed invoices, same totals.
    context = await message_context(
        uow.session,
        org=org,
        customer=customer,
        today=today,
        invoice=invoice,
    )
    try:
        return tpl.render_message(source, context)
    except tpl.TemplateError as err:
        raise _template_error(err) from err
