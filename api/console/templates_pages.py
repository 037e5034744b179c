"""The Templates pages: the list, and the editor with its live preview. Saving calls the services
the API's template routes call (`services.templates.create_template` / `update_template`), for the
same roles; the preview renders the unsaved text against a real customer with the engine's own
context and render (`services.templates.preview_source`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.console.auth import SignedIn, Visitor, form_of, require
from api.console.common import base, see_other, undo
from api.console.render import page
from api.deps import EVERYONE, MANAGERS, UnitOfWorkDep
from api.params import PathId
from domain.enums import Channel, InvoiceStatus
from models import Customer, Template
from services import customers as customer_service
from services import invoices as invoice_service
from services import templates as template_service
from services.common import get_or_404
from services.errors import Invalid, ServiceError
from services.organization import read_settings
from services.schemas.templates import PreviewIn, TemplateIn
from services.unit_of_work import UnitOfWork

router = APIRouter()

FIELDS = ("name", "channel", "subject", "html_body", "text_body")
# The part a `template_invalid` error names ("Friendly (html), line 3") -> the field it concerns.
PARTS = {"(subject)": "subject", "(html)": "html_body", "(text)": "text_body"}
CUSTOMER_CHOICES = 10
# The fields the live preview says a sandbox error next to (out of band, by htmx).
LIVE_FIELDS = ("subject", "html_body", "text_body")


def _field_of_template_error(err: ServiceError) -> str:
    """The form field a service refusal concerns ('form' when it names none)."""
    if err.code == "template_invalid" and isinstance(err.details, dict):
        where = str(err.details.get("template") or "")
        for suffix, field in PARTS.items():
            if where.endswith(suffix):
                return field
        return "text_body" if err.details.get("line") is not None else "form"
    if err.code == "duplicate_name":
        return "name"
    if err.code == "template_in_use":
        return "channel"
    return "form"


def _field_of(err: ServiceError) -> str:
    """The field a refusal of the form (`_template_in`) or of the sandbox concerns."""
    if err.code == "invalid_input" and isinstance(err.details, dict):
        return str(err.details.get("field", "form"))
    return _field_of_template_error(err)


def _message(err: ServiceError) -> str:
    line = err.details.get("line") if isinstance(err.details, dict) else None
    if err.code == "template_invalid" and line is not None and f"line {line}" not in err.message:
        return f"Line {line}: {err.message}"
    return err.message


def _template_in(form: dict[str, str]) -> TemplateIn:
    """The form as the API's request body; blank subject / HTML are none. Raises Invalid naming
    the field at fault."""
    try:
        return TemplateIn(
            name=form.get("name", "").strip(),
            channel=Channel(form.get("channel") or Channel.EMAIL.value),
            subject=form.get("subject") or None,
            html_body=form.get("html_body") or None,
            text_body=form.get("text_body", ""),
        )
    except ValueError as err:  # a ValidationError is a ValueError
        field = "channel"
        if isinstance(err, ValidationError):
            loc = err.errors()[0]["loc"]
            field = str(loc[0]) if loc else "form"
            message = f"{err.errors()[0]['msg']}"
        else:
            message = "Choose email or SMS."
        raise Invalid(message, code="invalid_input", details={"field": field}) from err


def _form_of_template(template: Template | None) -> dict[str, str]:
    if template is None:
        return {"name": "", "channel": Channel.EMAIL.value, "subject": "", "html_body": "", "text_body": ""}
    return {field: getattr(template, field) or "" for field in FIELDS}


def _editor(
    request: Request,
    visitor: Visitor,
    template_id: int | None,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = base(
        visitor,
        template_id=template_id,
        form=form,
        errors=errors or {},
        channels=[c.value for c in Channel],
    )
    return page(request, "template.html", context, status_code=status_code)


@router.get("/templates", response_class=HTMLResponse)
async def templates(request: Request, uow: UnitOfWorkDep, visitor: SignedIn) -> HTMLResponse:
    rows = await template_service.list_templates(uow)
    org = await read_settings(uow)
    return page(request, "templates.html", base(visitor, rows=rows, zone=org.time_zone))


@router.get("/templates/new", response_class=HTMLResponse)
async def new_template(request: Request, visitor: SignedIn) -> HTMLResponse:
    return _editor(request, visitor, None, _form_of_template(None))


@router.get("/templates/customers", response_class=HTMLResponse)
async def customer_choices(
    request: Request,
    uow: UnitOfWorkDep,
    visitor: SignedIn,
    customer_search: str = Query(default="", max_length=100),
) -> HTMLResponse:
    """The preview's customer picker: the Customers page's search (`list_customers`)."""
    rows, total = await customer_service.list_customers(
        uow, CUSTOMER_CHOICES, 0, customer_search.strip() or None, None
    )
    context = base(visitor, customers=rows, total=total, customer_search=customer_search)
    return page(request, "_template_customers.html", context)


@router.get("/templates/{template_id}", response_class=HTMLResponse)
async def edit_template(
    request: Request, template_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    try:
        template = await get_or_404(uow.session, Template, template_id, "template")
    except ServiceError as err:
        context = base(visitor, title="Template not found", message=err.message)
        return page(request, "error.html", context, status_code=err.status)
    return _editor(request, visitor, template_id, _form_of_template(template))


async def _save(request: Request, uow: UnitOfWork, visitor: Visitor, template_id: int | None) -> Response:
    require(visitor, MANAGERS)
    form = await form_of(request)
    try:
        body = _template_in(form)
        if template_id is None:
            saved = await template_service.create_template(uow, body)
        else:
            saved = await template_service.update_template(uow, template_id, body)
    except ServiceError as err:
        await undo(uow, visitor)
        errors = {_field_of(err): _message(err)}
        return _editor(request, visitor, template_id, form, errors=errors, status_code=err.status)
    await uow.session.flush()
    return see_other(f"/console/templates/{saved.id}?saved=1")


@router.post("/templates", response_class=HTMLResponse)
async def create_template(request: Request, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    return await _save(request, uow, visitor, None)


@router.post("/templates/preview", response_class=HTMLResponse)
async def preview(request: Request, uow: UnitOfWorkDep, visitor: SignedIn) -> HTMLResponse:
    """The live preview (htmx, on every pause in typing): the unsaved form rendered against the
    chosen customer and its oldest-due open invoice; a refusal is shown in the preview's place."""
    require(visitor, EVERYONE)
    form = await form_of(request)
    context: dict[str, Any] = {
        "rendered": None,
        "error": None,
        "field": None,
        "customer": None,
        "invoice": None,
    }
    customer_id = form.get("customer_id", "")
    if not customer_id.isdigit():
        context["error"] = "Choose a customer to preview with."
        return page(request, "_template_preview.html", base(visitor, **context, live_fields=LIVE_FIELDS))
    try:
        body = _template_in(form)
        customer = await get_or_404(uow.session, Customer, int(customer_id), "customer")
        invoices, _ = await invoice_service.list_invoices(uow, int(customer_id), InvoiceStatus.OPEN, 1, 0)
        invoice = invoices[0] if invoices else None
        choice = PreviewIn(customer_id=int(customer_id), invoice_id=invoice.id if invoice else None)
        context["rendered"] = await template_service.preview_source(uow, body, choice)
        context["customer"], context["invoice"] = customer, invoice
    except ServiceError as err:
        context["error"] = _message(err)
        context["field"] = _field_of(err)
    except ValidationError as err:
        context["error"] = err.errors()[0]["msg"]
    return page(request, "_template_preview.html", base(visitor, **context, live_fields=LIVE_FIELDS))


@router.post("/templates/{template_id}", response_class=HTMLResponse)
async def update_template(
    request: Request, template_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    return await _save(request, uow, visitor, template_id)
