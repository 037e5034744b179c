"""The Settings page: the organization's name, sender, send time and time zone, business days and
holidays, send window and default workflows. Saving calls the service the API's `PUT
/settings` calls (`services.organization.update_settings`), for the same roles (owner and
admin change, everyone reads); the form is checked by the API's own schema (`SettingsUpdate`)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import holidays
from babel import Locale
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.console.auth import SignedIn, Visitor, form_of, require
from api.console.common import base, see_other, undo
from api.console.render import CONSOLE_LOCALE, page
from api.deps import ADMINS, UnitOfWorkDep
from domain.enums import DefinitionKind
from domain.promises import DEFAULT_GRACE_DAYS
from models import OrganizationSettings
from services import definitions as definition_service
from services import organization as organization_service
from services.errors import ServiceError
from services.schemas.organization import SettingsUpdate
from services.unit_of_work import UnitOfWork

router = APIRouter()

TEXT_FIELDS = ("name", "time_zone", "send_time", "sender_name", "sender_email")
OPTIONAL_FIELDS = ("holiday_country", "reply_to")
NUMBER_FIELDS = ("send_window_minutes", "promise_grace_days")
ID_FIELDS = ("default_definition_id", "autopay_definition_id")
CODE_FIELDS = {"unknown_definition", "wrong_definition_kind"}
DIGITS = re.compile(r"^\d{1,10}$")
# Settings this page does not show (the replies and contact-cap controls, set through the API):
# a save keeps them as they are rather than resetting them to their defaults.
KEPT_AS_THEY_ARE = ("replies_pause", "contact_cap_count", "contact_cap_days")


@cache
def time_zones() -> list[str]:
    """The zones `SettingsUpdate` accepts, as a sorted list for the select."""
    odd = ("localtime", "posixrules", "Factory")
    return sorted(z for z in available_timezones() if z not in odd and not z.startswith(("posix/", "right/")))


@cache
def holiday_countries() -> list[tuple[str, str]]:
    names = Locale.parse(CONSOLE_LOCALE).territories
    return sorted(
        ((code, str(names.get(code, code))) for code in holidays.list_supported_countries()),
        key=lambda c: c[1],
    )


def _form_of_settings(org: OrganizationSettings) -> dict[str, Any]:
    return {
        "name": org.name,
        "time_zone": org.time_zone,
        "send_time": org.send_time.strftime("%H:%M"),
        "business_days_only": org.business_days_only,
        "holiday_country": org.holiday_country or "",
        "send_window_minutes": str(org.send_window_minutes),
        "default_definition_id": str(org.default_definition_id or ""),
        "autopay_definition_id": str(org.autopay_definition_id or ""),
        "sender_name": org.sender_name,
        "sender_email": org.sender_email,
        "reply_to": org.reply_to or "",
        "promise_grace_days": str(org.promise_grace_days),
    }


def _body(form: dict[str, Any]) -> dict[str, Any]:
    """The form as the API's JSON body: numbers as numbers, blanks as none; the rest as typed,
    for the schema to refuse by name."""
    body: dict[str, Any] = {field: str(form.get(field, "")) for field in TEXT_FIELDS}
    for field in OPTIONAL_FIELDS:
        body[field] = str(form.get(field, "")).strip() or None
    for field in (*NUMBER_FIELDS, *ID_FIELDS):
        value = str(form.get(field, "")).strip()
        body[field] = int(value) if DIGITS.match(value) else (value or None)
    body["send_window_minutes"] = body["send_window_minutes"] or 0
    if body["promise_grace_days"] is None:
        body["promise_grace_days"] = DEFAULT_GRACE_DAYS
    body["business_days_only"] = bool(form.get("business_days_only"))
    return body


def _errors_of(err: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in err.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "form"
        message = str(problem["msg"]).removeprefix("Value error, ")
        errors[field] = f"{errors[field]}; {message}" if field in errors else message
    return errors


async def _page(
    request: Request,
    uow: UnitOfWork,
    visitor: Visitor,
    form: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    org = await organization_service.read_settings(uow)
    definitions = await definition_service.list_definitions(uow)
    autopay = DefinitionKind.AUTOPAY.value
    context = base(
        visitor,
        form=form,
        org=org,
        errors=errors or {},
        zones=time_zones(),
        countries=holiday_countries(),
        workflows=[d for d in definitions if d.kind != autopay],
        autopay_workflows=[d for d in definitions if d.kind == autopay],
        workflow_names={str(d.id): d.name for d in definitions},
        country_names=dict(holiday_countries()),
    )
    return page(request, "settings.html", context, status_code=status_code)


@router.get("/settings", response_class=HTMLResponse)
async def settings(request: Request, uow: UnitOfWorkDep, visitor: SignedIn) -> HTMLResponse:
    org = await organization_service.read_settings(uow)
    return await _page(request, uow, visitor, _form_of_settings(org))


@router.post("/settings", response_class=HTMLResponse)
async def save_settings(request: Request, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    require(visitor, ADMINS)
    raw = await form_of(request)
    form: dict[str, Any] = {**raw, "business_days_only": raw.get("business_days_only") == "on"}
    try:
        org = await organization_service.read_settings(uow)
        kept = {field: getattr(org, field) for field in KEPT_AS_THEY_ARE}
        change = SettingsUpdate.model_validate({**kept, **_body(form)})
    except ValidationError as err:
        return await _page(request, uow, visitor, form, errors=_errors_of(err), status_code=422)
    try:
        await organization_service.update_settings(uow, change, visitor.user)
    except ServiceError as err:
        await undo(uow, visitor)
        # The service names the field first ("autopay_definition_id: ..."): shown at that field.
        field, _, message = (
            err.message.partition(": ") if err.code in CODE_FIELDS else ("form", "", err.message)
        )
        return await _page(request, uow, visitor, form, errors={field: message}, status_code=err.status)
    await uow.session.flush()
    return see_other("/console/settings?saved=1")
