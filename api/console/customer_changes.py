"""The customer page's changes besides the pause: contacts (add, remove, lift a suppression),
the hierarchy (parent, bill to parent, billing level) and the enrollment (enroll, reassign,
continue with, cancel). The same services, and the same roles, as the API's routes; a refusal is
shown next to the form it concerns, on the customer page re-read after the rollback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.console.auth import SignedIn, Visitor, form_of, require
from api.console.common import base, see_other, undo
from api.console.pages import customer_page
from api.console.render import page
from api.deps import MANAGERS, SUPPORT, UnitOfWorkDep
from api.params import PathId
from domain.enums import BillingLevel, ContactRole
from models import Enrollment
from services import customers as customer_service
from services import enrollments as enrollment_service
from services import suppressions as suppression_service
from services.common import get_or_404
from services.errors import Invalid, NotFound, ServiceError
from services.schemas.customers import ContactIn, CustomerUpdate
from services.schemas.enrollments import CancelIn
from services.schemas.suppressions import SuppressionLift
from services.unit_of_work import UnitOfWork

router = APIRouter()

Change = Callable[[dict[str, str]], Awaitable[object]]


def _invalid(err: ValidationError, fields: dict[str, str]) -> Invalid:
    """The first problem, named by the form's own label for the field."""
    first = err.errors()[0]
    where = str(first["loc"][0]) if first["loc"] else ""
    message = str(first["msg"]).removeprefix("Value error, ")
    return Invalid(f"{fields[where]}: {message}" if where in fields else message)


async def _apply(
    request: Request,
    uow: UnitOfWork,
    visitor: Visitor,
    customer_id: int,
    section: str,
    change: Change,
) -> Response:
    """Run `change` with the form; back to the customer page, or the page with the error shown
    in `section` (and the form as it was sent)."""
    form = await form_of(request)
    try:
        await change(form)
    except ServiceError as err:
        await undo(uow, visitor)
        return await customer_page(
            request,
            uow,
            visitor,
            customer_id,
            errors={section: err.message},
            form=form,
            status_code=err.status,
        )
    return see_other(f"/console/customers/{customer_id}#{section}-heading")


CONTACT_FIELDS = {"name": "Name", "email": "Email", "phone": "Phone", "roles": "Roles"}


@router.post("/customers/{customer_id}/contacts")
async def add_contact(
    request: Request, customer_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    require(visitor, MANAGERS)

    async def change(form: dict[str, str]) -> object:
        roles = [r.value for r in ContactRole if form.get(f"role_{r.value}")]
        try:
            contact = ContactIn.model_validate(
                {
                    "name": form.get("name", "").strip(),
                    "email": form.get("email", "").strip() or None,
                    "phone": form.get("phone", "").strip() or None,
                    "roles": roles or [ContactRole.COMMUNICATION.value],
                }
            )
        except ValidationError as err:
            raise _invalid(err, CONTACT_FIELDS) from err
        return await customer_service.add_contact(uow, customer_id, contact)

    return await _apply(request, uow, visitor, customer_id, "contacts", change)


@router.post("/customers/{customer_id}/contacts/{contact_id}/remove")
async def remove_contact(
    request: Request, customer_id: PathId, contact_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    require(visitor, MANAGERS)

    async def change(form: dict[str, str]) -> object:
        await customer_service.delete_contact(uow, customer_id, contact_id)
        return None

    return await _apply(request, uow, visitor, customer_id, "contacts", change)


@router.post("/customers/{customer_id}/suppressions/{suppression_id}/lift")
async def lift_suppression(
    request: Request, customer_id: PathId, suppression_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    require(visitor, SUPPORT)

    async def change(form: dict[str, str]) -> object:
        try:
            lift = SuppressionLift(reason=form.get("lift_reason", "").strip())
        except ValidationError as err:
            raise Invalid("Say why the address may be written to again.") from err
        return await suppression_service.lift_suppression(uow, suppression_id, lift.reason, visitor.user)

    return await _apply(request, uow, visitor, customer_id, "contacts", change)


HIERARCHY_FIELDS = {
    "parent_external_id": "Parent",
    "bill_to_parent": "Bill to parent",
    "billing_level": "Billing level",
}


@router.post("/customers/{customer_id}/hierarchy")
async def change_hierarchy(
    request: Request, customer_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    require(visitor, MANAGERS)

    async def change(form: dict[str, str]) -> object:
        parent = form.get("parent_external_id", "").strip()
        level = form.get("billing_level", BillingLevel.IMMEDIATE.value)
        try:
            update = CustomerUpdate.model_validate(
                {
                    # Blank: no parent (the API's `parent_id: null`).
                    **({"parent_external_id": parent} if parent else {"parent_id": None}),
                    "bill_to_parent": form.get("bill_to_parent") == "yes",
                    "billing_level": level,
                }
            )
        except ValidationError as err:
            raise _invalid(err, HIERARCHY_FIELDS) from err
        return await customer_service.update_customer(uow, customer_id, update, visitor.user)

    return await _apply(request, uow, visitor, customer_id, "hierarchy", change)


def _definition_id(form: dict[str, str]) -> int:
    value = form.get("definition_id", "")
    if not value.isdigit():
        raise Invalid("Choose a workflow.")
    return int(value)


@router.post("/customers/{customer_id}/enroll")
async def enroll(request: Request, customer_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    require(visitor, MANAGERS)

    async def change(form: dict[str, str]) -> object:
        return await enrollment_service.enroll_by_id(uow, customer_id, _definition_id(form), visitor.user)

    return await _apply(request, uow, visitor, customer_id, "enrollment", change)


# Who may do what to an enrollment: the API's own role sets (api/routers/enrollments.py).
ENROLLMENT_ROLES = {"reassign": SUPPORT, "continue-with": MANAGERS, "cancel": MANAGERS}


@router.post("/enrollments/{enrollment_id}/{action}")
async def change_enrollment(
    request: Request, enrollment_id: PathId, action: str, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    roles = ENROLLMENT_ROLES.get(action)
    try:
        if roles is None:
            raise NotFound("No such page.")
        enrollment = await get_or_404(uow.session, Enrollment, enrollment_id, "enrollment")
    except ServiceError as err:
        context = base(visitor, title="Not found", message=err.message)
        return page(request, "error.html", context, status_code=err.status)
    require(visitor, roles)

    async def change(form: dict[str, str]) -> object:
        if action == "reassign":
            return await enrollment_service.reassign(uow, enrollment_id, _definition_id(form), visitor.user)
        if action == "continue-with":
            return await enrollment_service.continue_with(
                uow, enrollment_id, _definition_id(form), visitor.user
            )
        try:
            reason = CancelIn(reason=form.get("cancel_reason", "").strip()).reason
        except ValidationError as err:
            raise Invalid("Say why the enrollment ends.") from err
        return await enrollment_service.cancel(uow, enrollment_id, reason, visitor.user)

    return await _apply(request, uow, visitor, enrollment.customer_id, "enrollment", change)
