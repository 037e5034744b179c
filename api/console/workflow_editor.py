"""The workflow editor: create and edit a workflow (its steps, conditions, recipients,
continue-with and catch-up policy), read one, clone it, and read its saved versions. Saving
calls the services the API's workflow routes call (`services.definitions`), for the same roles
(`MANAGERS` change, everyone reads); the form is checked by the API's own schema (`DefinitionIn`).

Adding or removing a step (or a condition row) is a submit button named `op`: the form comes
back with the row added or removed and nothing saved, so it works without JavaScript; with htmx
only the form is swapped.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.console.auth import SignedIn, Visitor, form_of, require
from api.console.common import base, row_or_page, see_other, undo
from api.console.render import page
from api.console.workflow_form import (
    AFTER,
    APPROVER_CHOICES,
    BEFORE,
    Draft,
    Errors,
    blank_condition,
    blank_step,
    definition_in,
    draft_of_definition,
    draft_of_fields,
    errors_of_service,
    fields_of,
    new_draft,
)
from api.deps import MANAGERS, UnitOfWorkDep
from api.params import PathId
from domain.enums import (
    CatchUpPolicy,
    ConditionMetric,
    ConditionOperator,
    ContactRole,
    DefinitionKind,
    FrequencyPeriod,
    StepAction,
)
from models import WorkflowDefinition
from models.base import require_id
from services import definitions as definition_service
from services import templates as template_service
from services import users as user_service
from services.errors import Invalid, ServiceError
from services.organization import read_settings
from services.schemas.definitions import CloneIn
from services.unit_of_work import UnitOfWork

router = APIRouter()

REMOVE_STEP = re.compile(r"^remove-step-(0|[1-9]\d{0,3})$")
ADD_STEP_CONDITION = re.compile(r"^add-step-(0|[1-9]\d{0,3})-cond$")

ACTIONS = {
    StepAction.CUSTOMER_EMAIL: "Email the customer",
    StepAction.STATEMENT_EMAIL: "Email a statement",
    StepAction.SMS: "Text the customer (SMS)",
    StepAction.INTERNAL_NOTIFICATION: "Notify the team",
    StepAction.NOTIFY_SPECIALIST: "Notify the AR specialist",
    StepAction.TASK: "Create a task",
    StepAction.NOTE: "Add a note",
    StepAction.SET_INVOICE_STATUS: "Set the invoice status",
    StepAction.ASSIGN_SPECIALIST: "Assign an AR specialist",
}
KINDS = {
    DefinitionKind.INVOICE: "Invoice: steps around each open invoice's due date",
    DefinitionKind.CUSTOMER: "Customer: a statement on a schedule",
    DefinitionKind.ASSIGNMENT: "Assignment: steps counted from the enrollment date",
    DefinitionKind.AUTOPAY: "Auto-pay: notices around each scheduled payment",
}
ANCHORS = {
    DefinitionKind.INVOICE: "the due date",
    DefinitionKind.CUSTOMER: "each scheduled run",
    DefinitionKind.ASSIGNMENT: "the enrollment date",
    DefinitionKind.AUTOPAY: "the payment date",
}
METRICS = {
    ConditionMetric.OUTSTANDING: "Outstanding",
    ConditionMetric.OVERDUE: "Overdue",
    ConditionMetric.OVERDUE_PCT: "Overdue %",
    ConditionMetric.CONSOLIDATED_OUTSTANDING: "Outstanding, with sub-customers",
    ConditionMetric.CONSOLIDATED_OVERDUE: "Overdue, with sub-customers",
    ConditionMetric.CONSOLIDATED_OVERDUE_PCT: "Overdue %, with sub-customers",
}
OPERATORS = {ConditionOperator.GTE: "at least", ConditionOperator.LT: "less than"}
CATCH_UP = {
    CatchUpPolicy.SKIP: "Skip what was missed",
    CatchUpPolicy.LATEST: "Send the most recent missed step",
}
PERIODS = {
    FrequencyPeriod.WEEKLY: "Weekly",
    FrequencyPeriod.BIWEEKLY: "Every two weeks",
    FrequencyPeriod.MONTHLY: "Monthly",
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKS = {"1": "1st", "2": "2nd", "3": "3rd", "4": "4th", "-1": "last"}
CONTACT_ROLES = {
    ContactRole.PRIMARY: "Primary",
    ContactRole.BILLING: "Billing",
    ContactRole.COMMUNICATION: "Communication",
}


async def _choices(uow: UnitOfWork, own_id: int | None) -> dict[str, Any]:
    """What the form's lists offer, and the names the read-only view shows for ids."""
    definitions = await definition_service.list_definitions(uow)
    templates = await template_service.list_templates(uow)
    users = await user_service.list_users(uow)
    return {
        "templates": templates,
        "users": users,
        "template_names": {str(t.id): f"{t.name} ({t.channel})" for t in templates},
        "user_names": {str(u.id): f"{u.name} <{u.email}>" for u in users},
        "successors": [d for d in definitions if d.id != own_id],
        "definition_names": {str(d.id): d.name for d in definitions},
        "actions": {a.value: label for a, label in ACTIONS.items()},
        "approver_roles": APPROVER_CHOICES,
        "kinds": {k.value: label for k, label in KINDS.items()},
        "anchors": {k.value: label for k, label in ANCHORS.items()},
        "metrics": {m.value: label for m, label in METRICS.items()},
        "operators": {o.value: label for o, label in OPERATORS.items()},
        "catch_up_policies": {c.value: label for c, label in CATCH_UP.items()},
        "periods": {p.value: label for p, label in PERIODS.items()},
        "weekdays": WEEKDAYS,
        "weeks": WEEKS,
        "contact_roles": {r.value: label for r, label in CONTACT_ROLES.items()},
        "before": BEFORE,
        "after": AFTER,
    }


async def _editor(
    request: Request,
    uow: UnitOfWork,
    visitor: Visitor,
    definition: WorkflowDefinition | None,
    draft: Draft,
    *,
    errors: Errors | None = None,
    focus: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = base(
        visitor,
        definition=definition,
        draft=draft,
        focus=focus,
        errors=errors or {},
        blank_condition=blank_condition(),
        **await _choices(uow, definition.id if definition else None),
    )
    return page(request, "workflow_form.html", context, status_code=status_code)


def _apply(op: str, draft: Draft) -> str | None:
    """A row added or removed (`add-step`, `remove-step-2`, `add-cond`, `add-step-1-cond`): the id
    of the field to focus next (the new row's first; after a removal, the Add-a-step button), or
    None when `op` is no such change."""
    steps: list[dict[str, Any]] = draft["steps"]
    if op == "refresh":  # the kind changed: its anchor and frequency fields follow
        return "kind"
    if op == "add-step":
        steps.append(blank_step())
        return f"step-{len(steps) - 1}-days"
    if op == "add-cond":
        draft["conditions"].append(blank_condition())
        return f"cond-{len(draft['conditions']) - 1}-metric"
    if (removed := REMOVE_STEP.match(op)) is not None:
        if int(removed.group(1)) < len(steps):
            steps.pop(int(removed.group(1)))
        return "add-step"
    if (condition := ADD_STEP_CONDITION.match(op)) is not None and int(condition.group(1)) < len(steps):
        rows = steps[int(condition.group(1))]["conditions"]
        rows.append(blank_condition())
        return f"step-{condition.group(1)}-cond-{len(rows) - 1}-metric"
    return None


@router.get("/workflows/new", response_class=HTMLResponse)
async def new_workflow(request: Request, uow: UnitOfWorkDep, visitor: SignedIn) -> HTMLResponse:
    require(visitor, MANAGERS)
    return await _editor(request, uow, visitor, None, new_draft())


async def _save(
    request: Request, uow: UnitOfWork, visitor: Visitor, definition: WorkflowDefinition | None
) -> Response:
    require(visitor, MANAGERS)
    fields = await fields_of(request)
    draft = draft_of_fields(fields)
    op = (fields.get("op") or [""])[0]
    focus = _apply(op, draft) if op else None
    if focus is not None:
        return await _editor(request, uow, visitor, definition, draft, focus=focus)
    body, errors = definition_in(draft)
    if body is None:
        return await _editor(request, uow, visitor, definition, draft, errors=errors, status_code=422)
    try:
        if definition is None:
            saved = await definition_service.create_definition(uow, body, visitor.user)
        else:
            saved = await definition_service.update_definition(
                uow, require_id(definition), body, visitor.user
            )
    except ServiceError as err:
        await undo(uow, visitor)
        if definition is not None:
            await uow.session.refresh(definition)
        return await _editor(
            request, uow, visitor, definition, draft, errors=errors_of_service(err), status_code=err.status
        )
    await uow.session.flush()
    return see_other(f"/console/workflows/{saved.id}?saved=1")


@router.post("/workflows", response_class=HTMLResponse)
async def create_workflow(request: Request, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    return await _save(request, uow, visitor, None)


async def _view(
    request: Request,
    uow: UnitOfWork,
    visitor: Visitor,
    definition: WorkflowDefinition,
    *,
    clone_name: str = "",
    clone_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    out = await definition_service.definition_out(uow, definition)
    shown = out.model_dump(mode="json")
    org = await read_settings(uow)
    context = base(
        visitor,
        definition=definition,
        shown=draft_of_definition(shown, shown["steps"]),
        version=None,
        zone=org.time_zone,
        clone_name=clone_name or f"{definition.name} (copy)",
        clone_error=clone_error,
        **await _choices(uow, definition.id),
    )
    return page(request, "workflow.html", context, status_code=status_code)


@router.get("/workflows/{definition_id}", response_class=HTMLResponse)
async def read_workflow(
    request: Request, definition_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    found = await row_or_page(request, uow, visitor, WorkflowDefinition, definition_id, "workflow definition")
    if isinstance(found, HTMLResponse):
        return found
    return await _view(request, uow, visitor, found)


@router.get("/workflows/{definition_id}/edit", response_class=HTMLResponse)
async def edit_workflow(
    request: Request, definition_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    require(visitor, MANAGERS)
    found = await row_or_page(request, uow, visitor, WorkflowDefinition, definition_id, "workflow definition")
    if isinstance(found, HTMLResponse):
        return found
    shown = (await definition_service.definition_out(uow, found)).model_dump(mode="json")
    return await _editor(request, uow, visitor, found, draft_of_definition(shown, shown["steps"]))


@router.post("/workflows/{definition_id}/clone", response_class=HTMLResponse)
async def clone_workflow(
    request: Request, definition_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    require(visitor, MANAGERS)
    found = await row_or_page(request, uow, visitor, WorkflowDefinition, definition_id, "workflow definition")
    if isinstance(found, HTMLResponse):
        return found
    name = (await form_of(request)).get("name", "").strip()
    try:
        try:
            body = CloneIn(name=name)
        except ValidationError as err:
            raise Invalid("Give the copy a name of 1 to 200 characters.") from err
        copy = await definition_service.clone(uow, definition_id, body.name, visitor.user)
    except ServiceError as err:
        await undo(uow, visitor)
        await uow.session.refresh(found)
        return await _view(
            request, uow, visitor, found, clone_name=name, clone_error=err.message, status_code=err.status
        )
    await uow.session.flush()
    return see_other(f"/console/workflows/{copy.id}?cloned=1")


@router.get("/workflows/{definition_id}/versions", response_class=HTMLResponse)
async def workflow_versions(
    request: Request, definition_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    found = await row_or_page(request, uow, visitor, WorkflowDefinition, definition_id, "workflow definition")
    if isinstance(found, HTMLResponse):
        return found
    rows = await definition_service.versions(uow, definition_id)
    org = await read_settings(uow)
    context = base(visitor, definition=found, rows=sorted(rows, key=lambda v: -v.version), zone=org.time_zone)
    return page(request, "workflow_versions.html", context)


@router.get("/workflows/{definition_id}/versions/{version}", response_class=HTMLResponse)
async def workflow_version(
    request: Request, definition_id: PathId, version: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    found = await row_or_page(request, uow, visitor, WorkflowDefinition, definition_id, "workflow definition")
    if isinstance(found, HTMLResponse):
        return found
    saved = next(
        (v for v in await definition_service.versions(uow, definition_id) if v.version == version), None
    )
    if saved is None:
        message = f"Workflow “{found.name}” has no version {version}."
        return page(
            request, "error.html", base(visitor, title="Version not found", message=message), status_code=404
        )
    org = await read_settings(uow)
    context = base(
        visitor,
        definition=found,
        shown=draft_of_definition(saved.snapshot["definition"], saved.snapshot["steps"]),
        version=saved,
        zone=org.time_zone,
        **await _choices(uow, definition_id),
    )
    return page(request, "workflow.html", context)


@router.post("/workflows/{definition_id}/versions/{version}/restore", response_class=HTMLResponse)
async def restore_version(
    request: Request, definition_id: PathId, version: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    """A saved version made current again: itself a new version (`services.definitions.restore_version`,
    as `POST /workflows/{id}/versions/{v}/restore`)."""
    require(visitor, MANAGERS)
    try:
        restored = await definition_service.restore_version(uow, definition_id, version, visitor.user)
    except ServiceError as err:
        await undo(uow, visitor)
        context = base(visitor, title="Version not restored", message=err.message)
        return page(request, "error.html", context, status_code=err.status)
    await uow.session.flush()
    return see_other(f"/console/workflows/{restored.id}?saved=1")


@router.post("/workflows/{definition_id}", response_class=HTMLResponse)
async def update_workflow(
    request: Request, definition_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    require(visitor, MANAGERS)
    found = await row_or_page(request, uow, visitor, WorkflowDefinition, definition_id, "workflow definition")
    if isinstance(found, HTMLResponse):
        return found
    return await _save(request, uow, visitor, found)
