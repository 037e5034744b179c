"""The workflow editor's form: the browser's flat fields read into a draft (what the form shows
again), the draft turned into the API's request body (`DefinitionIn`, validated there, never
here), and each refusal placed next to the field it concerns.

Field names: `name`, `kind`, ..., workflow conditions `cond-<j>-metric|operator|value`, steps
`step-<i>-days|when|action|template_id|parameters` and their conditions
`step-<i>-cond-<j>-metric|operator|value`. A condition row left without a metric is no condition.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from pydantic import ValidationError

from domain.approvals import APPROVAL_PARAMETER
from domain.enums import CatchUpPolicy, DefinitionKind, OnExpiry, Role, StepAction
from domain.roles import APPROVER_ROLES
from services.errors import ServiceError
from services.schemas.definitions import DefinitionIn

Draft = dict[str, Any]
Errors = dict[str, str]

BEFORE, AFTER = "before", "after"
# A step's approval gate has fields of its own (`step-<i>-approval_role|hours|expiry`), not a
# parameters line; the roles offered, highest first.
APPROVER_CHOICES = [r.value for r in Role if r in APPROVER_ROLES]
APPROVAL_HOURS = "48"
STEP_FIELDS = ("offset_days", "action", "template_id", "parameters", "conditions")
TOP_FIELDS = (
    "name",
    "description",
    "kind",
    "catch_up",
    "frequency",
    "conditions",
    "additional_recipients",
    "internal_recipients",
    "continue_with_id",
    "steps",
)
STEP_INDEX = re.compile(r"^step-(\d{1,4})-action$")
COND_INDEX = re.compile(r"^(?P<prefix>(?:step-\d{1,4}-)?cond)-(?P<j>\d{1,4})-metric$")
SERVICE_STEP = re.compile(r"^step (\d+): ")
INTEGER = re.compile(r"^-?\d{1,10}$")


async def fields_of(request: Request) -> dict[str, list[str]]:
    """An urlencoded body with every value of each field (checkbox groups send several)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return parse_qs(body, keep_blank_values=True)


def _one(fields: dict[str, list[str]], name: str, default: str = "") -> str:
    values = fields.get(name)
    return values[0] if values else default


def blank_condition() -> dict[str, str]:
    return {"metric": "", "operator": "gte", "value": ""}


def blank_step() -> dict[str, Any]:
    return {
        "days": "0",
        "when": AFTER,
        "action": StepAction.CUSTOMER_EMAIL.value,
        "template_id": "",
        "parameters": "",
        "approval_role": "",
        "approval_hours": APPROVAL_HOURS,
        "approval_expiry": OnExpiry.SKIP.value,
        "conditions": [],
    }


def new_draft() -> Draft:
    return {
        "name": "",
        "description": "",
        "kind": DefinitionKind.INVOICE.value,
        "enabled": True,
        "catch_up": CatchUpPolicy.SKIP.value,
        "frequency": {"period": "", "weekday": "0", "week_of_month": ""},
        "conditions": [],
        "additional_emails": "",
        "additional_roles": [],
        "additional_users": [],
        "internal_recipients": [],
        "continue_with_id": "",
        "steps": [blank_step()],
    }


def _conditions_of(fields: dict[str, list[str]], prefix: str) -> list[dict[str, str]]:
    rows = []
    found = (COND_INDEX.match(name) for name in fields)
    for j in sorted({int(m.group("j")) for m in found if m is not None and m.group("prefix") == prefix}):
        rows.append(
            {
                "metric": _one(fields, f"{prefix}-{j}-metric"),
                "operator": _one(fields, f"{prefix}-{j}-operator", "gte"),
                "value": _one(fields, f"{prefix}-{j}-value").strip(),
            }
        )
    return [row for row in rows if row["metric"]]


def draft_of_fields(fields: dict[str, list[str]]) -> Draft:
    """What the person typed, as the form shows it again (nothing checked yet)."""
    indexes = sorted(int(m.group(1)) for n in fields if (m := STEP_INDEX.match(n)))
    steps = [
        {
            "days": _one(fields, f"step-{i}-days", "0").strip(),
            "when": _one(fields, f"step-{i}-when", AFTER),
            "action": _one(fields, f"step-{i}-action"),
            "template_id": _one(fields, f"step-{i}-template_id"),
            "parameters": _one(fields, f"step-{i}-parameters"),
            "approval_role": _one(fields, f"step-{i}-approval_role"),
            "approval_hours": _one(fields, f"step-{i}-approval_hours", APPROVAL_HOURS).strip(),
            "approval_expiry": _one(fields, f"step-{i}-approval_expiry", OnExpiry.SKIP.value),
            "conditions": _conditions_of(fields, f"step-{i}-cond"),
        }
        for i in indexes
    ]
    return {
        "name": _one(fields, "name"),
        "description": _one(fields, "description"),
        "kind": _one(fields, "kind", DefinitionKind.INVOICE.value),
        "enabled": _one(fields, "enabled") == "on",
        "catch_up": _one(fields, "catch_up", CatchUpPolicy.SKIP.value),
        "frequency": {
            "period": _one(fields, "frequency_period"),
            "weekday": _one(fields, "frequency_weekday", "0"),
            "week_of_month": _one(fields, "frequency_week_of_month"),
        },
        "conditions": _conditions_of(fields, "cond"),
        "additional_emails": _one(fields, "additional_emails"),
        "additional_roles": fields.get("additional_roles", []),
        "additional_users": fields.get("additional_users", []),
        "internal_recipients": fields.get("internal_recipients", []),
        "continue_with_id": _one(fields, "continue_with_id"),
        "steps": steps,
    }


def _parameters_text(parameters: dict[str, Any]) -> str:
    def shown(value: Any) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    return "\n".join(
        f"{name}={shown(value)}" for name, value in parameters.items() if name != APPROVAL_PARAMETER
    )


def _condition_rows(conditions: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"metric": str(c["metric"]), "operator": str(c["operator"]), "value": str(c["value"])}
        for c in conditions
    ]


def draft_of_definition(definition: dict[str, Any], steps: list[dict[str, Any]]) -> Draft:
    """A saved workflow (or one of its versions' snapshots) as the form shows it."""
    frequency = definition.get("frequency") or {}
    recipients = definition.get("additional_recipients") or {}
    week = frequency.get("week_of_month")
    return {
        "name": definition["name"],
        "description": definition.get("description") or "",
        "kind": definition["kind"],
        "enabled": bool(definition.get("enabled", True)),
        "catch_up": definition.get("catch_up") or CatchUpPolicy.SKIP.value,
        "frequency": {
            "period": frequency.get("period", ""),
            "weekday": str(frequency.get("weekday", 0)),
            "week_of_month": "" if week is None else str(week),
        },
        "conditions": _condition_rows(definition.get("conditions") or []),
        "additional_emails": "\n".join(recipients.get("emails", [])),
        "additional_roles": [str(r) for r in recipients.get("contact_roles", [])],
        "additional_users": [str(u) for u in recipients.get("user_ids", [])],
        "internal_recipients": [str(u) for u in definition.get("internal_recipients") or []],
        "continue_with_id": str(definition.get("continue_with_id") or ""),
        "steps": [
            {
                "days": str(abs(int(s["offset_days"]))),
                "when": BEFORE if int(s["offset_days"]) < 0 else AFTER,
                "action": str(s["action"]),
                "template_id": str(s.get("template_id") or ""),
                "parameters": _parameters_text(dict(s.get("parameters") or {})),
                **_approval_fields(dict(s.get("parameters") or {})),
                "conditions": _condition_rows(list(s.get("conditions") or [])),
            }
            for s in steps
        ],
    }


def _approval_fields(parameters: dict[str, Any]) -> dict[str, str]:
    gate = parameters.get(APPROVAL_PARAMETER)
    if not isinstance(gate, dict):
        return {"approval_role": "", "approval_hours": APPROVAL_HOURS, "approval_expiry": OnExpiry.SKIP.value}
    return {
        "approval_role": str(gate.get("role", "")),
        "approval_hours": str(gate.get("timeout_hours", APPROVAL_HOURS)),
        "approval_expiry": str(gate.get("on_expiry", OnExpiry.SKIP.value)),
    }


def _number_or_text(value: str) -> int | str:
    """An id or a count as a number; anything else as typed, for the schema to refuse by name."""
    value = value.strip()
    return int(value) if INTEGER.match(value) else value


def _parameter_value(value: str) -> str | int | bool:
    if value in ("true", "false"):
        return value == "true"
    return int(value) if INTEGER.match(value) else value


def _parameters(text: str, where: str, errors: Errors) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep:
            errors[where] = f"write each parameter as name=value (not '{line.strip()[:40]}')"
            continue
        parameters[name.strip()] = _parameter_value(value.strip())
    return parameters


def _with_approval(parameters: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
    """The gate's own fields as the `approval` parameter (checked by the API's schema)."""
    if not step.get("approval_role"):
        return parameters
    return {
        **parameters,
        APPROVAL_PARAMETER: {
            "role": step["approval_role"],
            "timeout_hours": _number_or_text(step.get("approval_hours") or APPROVAL_HOURS),
            "on_expiry": step.get("approval_expiry") or OnExpiry.SKIP.value,
        },
    }


def _conditions_body(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"metric": r["metric"], "operator": r["operator"], "value": r["value"]} for r in rows]


def body_of_draft(draft: Draft) -> tuple[dict[str, Any], Errors]:
    """The draft as the API's JSON body, and what the form itself could not read."""
    errors: Errors = {}
    steps = []
    for i, step in enumerate(draft["steps"]):
        days = _number_or_text(step["days"])
        if isinstance(days, int) and days < 0:
            errors[f"steps.{i}.offset_days"] = "count the days without a sign; choose before or after"
        offset = -days if isinstance(days, int) and step["when"] == BEFORE else days
        steps.append(
            {
                "offset_days": offset,
                "action": step["action"],
                "template_id": _number_or_text(step["template_id"]) if step["template_id"] else None,
                "parameters": _with_approval(
                    _parameters(step["parameters"], f"steps.{i}.parameters", errors), step
                ),
                "conditions": _conditions_body(step["conditions"]),
            }
        )
    frequency = draft["frequency"]
    emails = [e.strip() for e in re.split(r"[,\s]+", draft["additional_emails"]) if e.strip()]
    body = {
        "name": draft["name"],
        "description": draft["description"],
        "kind": draft["kind"],
        "enabled": draft["enabled"],
        "catch_up": draft["catch_up"],
        "frequency": (
            {
                "period": frequency["period"],
                "weekday": _number_or_text(frequency["weekday"]),
                "week_of_month": _number_or_text(frequency["week_of_month"])
                if frequency["week_of_month"]
                else None,
            }
            if frequency["period"]
            else None
        ),
        "conditions": _conditions_body(draft["conditions"]),
        "additional_recipients": {
            "emails": emails,
            "contact_roles": list(draft["additional_roles"]),
            "user_ids": [_number_or_text(u) for u in draft["additional_users"]],
        },
        "internal_recipients": [_number_or_text(u) for u in draft["internal_recipients"]],
        "continue_with_id": _number_or_text(draft["continue_with_id"]) if draft["continue_with_id"] else None,
        "steps": steps,
    }
    return body, errors


def _add(errors: Errors, key: str, message: str) -> None:
    errors[key] = f"{errors[key]}; {message}" if key in errors else message


def _key_of_location(loc: tuple[int | str, ...], message: str) -> str:
    if not loc:
        return "frequency" if "frequency" in message else "form"
    head = str(loc[0])
    if head == "steps" and len(loc) > 1 and isinstance(loc[1], int):
        field = str(loc[2]) if len(loc) > 2 else ""
        return f"steps.{loc[1]}.{field}" if field in STEP_FIELDS else f"steps.{loc[1]}"
    return head if head in TOP_FIELDS else "form"


def errors_of_validation(err: ValidationError) -> Errors:
    """Every complaint of the schema, keyed by the field (or step) it concerns."""
    errors: Errors = {}
    for problem in err.errors():
        message = str(problem["msg"]).removeprefix("Value error, ")
        loc = tuple(problem["loc"])
        if loc and loc[0] == "steps" and len(loc) > 1 and isinstance(loc[1], int) and len(loc) > 3:
            message = f"{loc[3]}: {message}" if loc[2] == "parameters" else message
        _add(errors, _key_of_location(loc, message), message)
    return errors


def errors_of_service(err: ServiceError) -> Errors:
    """A refusal of `services.definitions`, placed on the field (or step) it names."""
    message = err.message
    if err.code == "duplicate_name":
        return {"name": message}
    if err.code == "kind_change":
        return {"kind": message}
    if err.code.startswith("continue_with"):
        return {"continue_with_id": message}
    step = SERVICE_STEP.match(message)
    if step is not None:
        i = int(step.group(1)) - 1
        field = "template_id" if "template" in message and "built-in" not in message else "parameters"
        return {f"steps.{i}.{field}": message[step.end() :]}
    if err.code == "not_found" and message.startswith("user "):
        return {"internal_recipients": message}
    return {"form": message}


def definition_in(draft: Draft) -> tuple[DefinitionIn | None, Errors]:
    """The draft checked by the API's own schema: the request, or the errors by field."""
    body, errors = body_of_draft(draft)
    try:
        request = DefinitionIn.model_validate(body)
    except ValidationError as err:
        for key, message in errors_of_validation(err).items():
            _add(errors, key, message)
        return None, errors
    return (None, errors) if errors else (request, {})
