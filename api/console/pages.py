"""The console's pages: sign-in, the customer list, the customer page with its pause and its
invoices. Each route reads or changes through `services/` in the request's unit of work, as the
API's routers do, and shows a refusal next to the form it concerns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.console import session as cookie
from api.console.auth import SignedIn, Visitor, form_of, require, secret_of, visitor_of
from api.console.common import base, not_changed, see_other, settings_of, undo
from api.console.controls_view import controls_of
from api.console.render import page
from api.deps import SUPPORT, UnitOfWorkDep, key_holder
from api.params import PathId
from domain.history import HISTORY_KIND_LABELS, HistoryKind
from models import ApiKey, Contact, Customer, User
from models.base import require_id
from models.repository import NOT_ENROLLED
from models.settings import Settings
from services import customers as customer_service
from services import definitions as definition_service
from services import enrollments as enrollment_service
from services import invoices as invoice_service
from services import sign_in_links
from services import suppressions as suppression_service
from services import timeline as timeline_service
from services.common import get_or_404, now
from services.customers import HistoryFilter
from services.errors import Invalid, ServiceError
from services.organization import read_settings
from services.schemas.customers import PauseRequest
from services.schemas.enrollments import MAX_BULK_CUSTOMERS as MAX_BULK
from services.schemas.suppressions import SuppressionOut
from services.sign_in_links import LINK_PATH
from services.unit_of_work import UnitOfWork

log = structlog.get_logger("arcadence.console")
router = APIRouter()

CUSTOMERS_PER_PAGE = 50
HISTORY_PER_PAGE = 20
TIMELINE_ITEMS = 5


@router.get("", response_class=RedirectResponse)
async def home() -> RedirectResponse:
    return see_other("/console/customers")


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request, uow: UnitOfWorkDep) -> Response:
    if await visitor_of(request, uow) is not None:
        return see_other("/console/customers")
    return page(request, "sign_in.html", base(None, error=None))


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, uow: UnitOfWorkDep) -> Response:
    """An API key exchanged for a session cookie (the key itself is never stored in it)."""
    secret = (await form_of(request)).get("api_key", "").strip()
    try:
        user, key = await key_holder(uow, secret)
    except ServiceError as err:
        log.info("console.sign_in_refused", reason=err.message)
        context = base(None, error="That API key is unknown, revoked, or its user is deactivated.")
        return page(request, "sign_in.html", context, status_code=401)
    log.info("console.signed_in", user_id=user.id)
    return _session_for(request, user, key)


def _session_for(request: Request, user: User, key: ApiKey) -> Response:
    """The session cookie for `user` signed in with `key`, and on to the customers."""
    settings = settings_of(request)
    value = cookie.issue(
        secret_of(request),
        user_id=require_id(user),
        key_id=require_id(key),
        key_hash=key.key_hash,
        now=now(),
        hours=settings.console_session_hours,
    )
    response = see_other("/console/customers")
    response.set_cookie(
        cookie.COOKIE,
        value,
        max_age=settings.console_session_hours * 3600,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get(LINK_PATH, response_class=HTMLResponse)
async def sign_in_with_link(
    request: Request, uow: UnitOfWorkDep, token: str = Query(default="", max_length=200)
) -> Response:
    """A one-time link (`arcadence create-owner`, `make dev`) exchanged for a session, once."""
    try:
        user, key = await sign_in_links.redeem(uow, token, settings_of(request).console_link_minutes)
    except ServiceError as err:
        log.info("console.sign_in_link_refused", reason=err.code)
        context = base(None, error=err.message, link_refused=True)
        return page(request, "sign_in.html", context, status_code=err.status)
    log.info("console.signed_in_with_link", user_id=user.id, key_id=key.id)
    return _session_for(request, user, key)


@router.post("/sign-out", response_class=RedirectResponse)
async def sign_out(request: Request, visitor: SignedIn) -> RedirectResponse:
    response = see_other("/console/sign-in")
    response.delete_cookie(cookie.COOKIE, path="/console", httponly=True, samesite="strict")
    log.info("console.signed_out", user_id=visitor.user.id)
    return response


@dataclass(frozen=True)
class CustomerFilters:
    """The customer list's filters, as the page's query string carries them."""

    search: str = ""
    paused: str = ""  # "", yes, no
    workflow: int | None = None
    enrollment: str = ""  # "", active, paused, none

    @property
    def any(self) -> bool:
        return bool(self.search or self.paused or self.workflow or self.enrollment)

    def query(self, **more: str | int) -> str:
        sent = {
            "search": self.search,
            "paused": self.paused,
            "workflow": self.workflow or "",
            "enrollment": self.enrollment,
        }
        return urlencode({k: v for k, v in {**sent, **more}.items() if v != ""})

    async def ids(self, uow: UnitOfWork, limit: int) -> list[int]:
        return await customer_service.matching_ids(uow, limit, *self._arguments())

    async def page(self, uow: UnitOfWork, limit: int, offset: int) -> tuple[list[Customer], int]:
        return await customer_service.list_customers(uow, limit, offset, *self._arguments())

    def _arguments(self) -> tuple[str | None, bool | None, int | None, str | None]:
        paused = {"yes": True, "no": False}.get(self.paused)
        return self.search.strip() or None, paused, self.workflow, self.enrollment or None


def filters_of(form: dict[str, str]) -> CustomerFilters:
    """The filters a bulk form sends back (hidden fields), checked as the list's query is."""
    workflow = form.get("workflow", "")
    return CustomerFilters(
        search=form.get("search", "")[:100],
        paused=form.get("paused", "") if form.get("paused", "") in ("yes", "no") else "",
        workflow=int(workflow) if workflow.isdigit() else None,
        enrollment=form.get("enrollment", "") if form.get("enrollment", "") in ENROLLMENT_STATES else "",
    )


ENROLLMENT_STATES = ("active", "paused", NOT_ENROLLED)


@router.get("/customers", response_class=HTMLResponse)
async def customers(
    request: Request,
    uow: UnitOfWorkDep,
    visitor: SignedIn,
    search: str = Query(default="", max_length=100),
    paused: str = Query(default="", pattern="^(|yes|no)$"),
    workflow: str = Query(default="", pattern="^[0-9]{0,9}$"),
    enrollment: str = Query(default="", pattern=f"^(|{'|'.join(ENROLLMENT_STATES)})$"),
    page_number: int = Query(default=1, ge=1, le=100_000, alias="page"),
) -> HTMLResponse:
    filters = CustomerFilters(search, paused, int(workflow) if workflow else None, enrollment)
    offset = (page_number - 1) * CUSTOMERS_PER_PAGE
    rows, total = await filters.page(uow, CUSTOMERS_PER_PAGE, offset)
    live = await enrollment_service.live_of_customers(uow, [require_id(c) for c in rows])
    definitions = await definition_service.list_definitions(uow)
    org = await read_settings(uow)
    pages = max(1, -(-total // CUSTOMERS_PER_PAGE))

    def link(number: int) -> str:
        return "/console/customers?" + filters.query(page=number)

    context = base(
        visitor,
        rows=rows,
        live=live,
        definitions=definitions,
        names={d.id: d.name for d in definitions},
        total=total,
        filters=filters,
        search=search,
        paused=paused,
        page=page_number,
        pages=pages,
        previous=link(page_number - 1) if page_number > 1 else None,
        next=link(page_number + 1) if page_number < pages else None,
        zone=org.time_zone,
        max_bulk=MAX_BULK,
    )
    return page(request, "customers.html", context)


def _temporal_link(settings: Settings, workflow_id: str) -> str:
    ui = (settings.temporal_ui_url or f"http://127.0.0.1:{settings.temporal_ui_port}").rstrip("/")
    return f"{ui}/namespaces/{settings.temporal_namespace}/workflows/{workflow_id}"


async def _suppressions_of(uow: UnitOfWork, contacts: list[Contact]) -> dict[int, SuppressionOut]:
    """The suppression in force for each suppressed contact (to lift it from the page)."""
    found: dict[int, SuppressionOut] = {}
    for contact in contacts:
        address = contact.email or contact.phone
        if contact.suppressed_at is None or address is None:
            continue
        rows, _ = await suppression_service.list_suppressions(uow, address, True, 1, 0)
        if rows:
            found[require_id(contact)] = rows[0]
    return found


async def customer_page(
    request: Request,
    uow: UnitOfWork,
    visitor: Visitor,
    customer_id: int,
    *,
    history_page: int = 1,
    history_filter: HistoryFilter | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The customer page; `errors` by section (pause, contacts, hierarchy, enrollment) show a
    refused change next to its form, the form refilled with what was sent."""
    try:
        customer = await get_or_404(uow.session, Customer, customer_id, "customer")
    except ServiceError as err:
        context = base(visitor, title="Customer not found", message=err.message)
        return page(request, "error.html", context, status_code=err.status)
    org = await read_settings(uow)
    enrollments = await enrollment_service.list_enrollments(uow, customer_id)
    live = next((e for e in enrollments if e.ended_at is None), None)
    upcoming, upcoming_error, engine = None, None, None
    if live is not None:
        # What it waits for, in the engine's own words (its `status` query; the row if it is silent).
        engine = await enrollment_service.status(uow, require_id(live))
        try:
            upcoming = await timeline_service.upcoming(uow, require_id(live), TIMELINE_ITEMS)
        except ServiceError as err:
            upcoming_error = err.message
    history_offset = (history_page - 1) * HISTORY_PER_PAGE
    chosen = history_filter or HistoryFilter()
    all_errors = dict(errors or {})
    try:
        history, history_total = await customer_service.history(
            uow, customer_id, HISTORY_PER_PAGE, history_offset, chosen
        )
    except ServiceError as err:  # a range that ends before it starts: said next to the filter
        wrong_way = err.code == "invalid_date_range"
        all_errors["history"] = "The “To” day is before the “From” day." if wrong_way else err.message
        history, history_total = [], 0
    invoices, _ = await invoice_service.list_invoices(uow, customer_id, None, 100, 0)
    contacts = await customer_service.list_contacts(uow, customer_id)
    definitions = await definition_service.list_definitions(uow)
    settings = settings_of(request)
    context = base(
        visitor,
        customer=customer,
        zone=org.time_zone,
        enrollment=live,
        upcoming=upcoming,
        upcoming_error=upcoming_error,
        engine=engine,
        temporal_link=_temporal_link(settings, live.workflow_id) if live else None,
        history=history,
        history_page=history_page,
        history_pages=max(1, -(-history_total // HISTORY_PER_PAGE)),
        history_total=history_total,
        history_filter=chosen,
        history_link=lambda number: _history_link(chosen, number),
        history_kinds=HISTORY_KIND_LABELS,
        invoices=invoices,
        contacts=contacts,
        controls=await controls_of(uow, customer_id),
        suppressions=await _suppressions_of(uow, contacts),
        hierarchy=await customer_service.hierarchy(uow, customer),
        definitions=definitions,
        names={d.id: d.name for d in definitions},
        errors=all_errors,
        pause_error=all_errors.get("pause"),
        form=form or {},
        today=now().astimezone(ZoneInfo(org.time_zone)).date(),
    )
    return page(request, "customer.html", context, status_code=status_code)


def _history_link(chosen: HistoryFilter, number: int) -> str:
    """The customer page's query for history page `number` under the same filter."""
    sent = {
        "kind": chosen.kind.value if chosen.kind else "",
        "since": chosen.since.isoformat() if chosen.since else "",
        "until": chosen.until.isoformat() if chosen.until else "",
        "history": str(number) if number > 1 else "",
    }
    return "?" + urlencode({k: v for k, v in sent.items() if v}) + "#history-heading"


def _day_of(value: str) -> date | None:
    """A filter day as the date picker sends it ('' is none); raises ValueError otherwise."""
    return date.fromisoformat(value) if value else None


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
async def customer(
    request: Request,
    customer_id: PathId,
    uow: UnitOfWorkDep,
    visitor: SignedIn,
    history_page: int = Query(default=1, ge=1, le=100_000, alias="history"),
    kind: str = "",
    since: str = "",
    until: str = "",
) -> HTMLResponse:
    """The customer page; `kind`, `since` and `until` filter its history (a value the form
    cannot send is said next to the filter, and the history shown unfiltered)."""
    errors: dict[str, str] = {}
    try:
        chosen = HistoryFilter(HistoryKind(kind) if kind else None, _day_of(since), _day_of(until))
    except ValueError:
        errors["history"] = "Choose a kind from the list and days with the date picker."
        chosen = HistoryFilter()
    return await customer_page(
        request, uow, visitor, customer_id, history_page=history_page, history_filter=chosen, errors=errors
    )


def _until(value: str, zone: str) -> datetime | None:
    """The pause's end: the start of the chosen day in the organization's zone (sending resumes
    on that day); blank is an open-ended pause."""
    if not value:
        return None
    return datetime.combine(date.fromisoformat(value), time(0), ZoneInfo(zone))


@router.post("/customers/{customer_id}/pause", response_class=HTMLResponse)
async def pause_customer(
    request: Request, customer_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    require(visitor, SUPPORT)
    form = await form_of(request)
    try:
        org = await read_settings(uow)
        try:
            until = _until(form.get("until", ""), org.time_zone)
            pause = PauseRequest(reason=form.get("reason", "").strip(), until=until)
        except (ValueError, ValidationError) as err:
            raise _invalid(err) from err
        await customer_service.pause_customer(uow, customer_id, pause, visitor.user)
    except ServiceError as err:
        await undo(uow, visitor)
        return await customer_page(
            request,
            uow,
            visitor,
            customer_id,
            errors={"pause": err.message},
            form=form,
            status_code=err.status,
        )
    return see_other(f"/console/customers/{customer_id}")


def _invalid(err: Exception) -> ServiceError:
    if isinstance(err, ValidationError):
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "form"
        message = "Give a reason for the pause." if where == "reason" else f"{where}: {first['msg']}"
        return Invalid(message)
    return Invalid("The until date is not a date (use the date picker).")


@router.post("/customers/{customer_id}/resume", response_class=RedirectResponse)
async def resume_customer(
    request: Request, customer_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    require(visitor, SUPPORT)
    try:
        await customer_service.resume_customer(uow, customer_id, visitor.user)
    except ServiceError as err:
        await undo(uow, visitor)
        return await customer_page(
            request, uow, visitor, customer_id, errors={"pause": err.message}, status_code=err.status
        )
    return see_other(f"/console/customers/{customer_id}")


@router.post("/invoices/{invoice_id}/{change}", response_class=HTMLResponse)
async def pause_invoice(
    request: Request,
    invoice_id: PathId,
    change: str,
    uow: UnitOfWorkDep,
    visitor: SignedIn,
) -> Response:
    """Pause or resume one invoice; htmx swaps the invoice's row, a plain form goes back."""
    if change not in ("pause", "resume"):
        context = base(visitor, title="Not found", message="No such page.")
        return page(request, "error.html", context, status_code=404)
    require(visitor, SUPPORT)
    try:
        invoice = await invoice_service.set_invoice_pause(uow, invoice_id, change == "pause", visitor.user)
    except ServiceError as err:
        await undo(uow, visitor)
        return not_changed(request, visitor, err.message, err.status)
    if not request.headers.get("hx-request"):
        return see_other(f"/console/customers/{invoice.customer_id}")
    org = await read_settings(uow)
    context = base(visitor, invoice=invoice, zone=org.time_zone)
    return page(request, "_invoice_row.html", context)
