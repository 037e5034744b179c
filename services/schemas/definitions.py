"""Workflow definitions and their steps."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import Field, model_validator

from domain.approvals import APPROVAL_PARAMETER, approval_rule
from domain.communications import CUSTOMER_FACING, SEND_WHEN_NOTHING_OWED
from domain.enums import (
    CatchUpPolicy,
    CollectionStatus,
    ConditionMetric,
    ConditionOperator,
    ContactRole,
    DefinitionKind,
    FrequencyPeriod,
    StepAction,
)
from services.schemas.common import Email, Flag, Id, Request, Response, with_example

ParameterName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z_]+$")]
ParameterValue = Annotated[str, Field(max_length=2000)] | Annotated[int, Field(strict=True)] | bool
# One small object, for the parameters that are one (`approval`): checked by the domain's rule.
ParameterObject = Annotated[dict[ParameterName, ParameterValue], Field(max_length=5)]


class ConditionIn(Request):
    metric: ConditionMetric
    operator: ConditionOperator
    value: Decimal = Field(ge=0, max_digits=18, decimal_places=2)


class FrequencyIn(Request):
    period: FrequencyPeriod
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    week_of_month: int | None = Field(default=None, description="Monthly: 1-4, or -1 for the last")

    @model_validator(mode="after")
    def _week(self) -> Self:
        if self.period == FrequencyPeriod.MONTHLY and self.week_of_month not in (1, 2, 3, 4, -1):
            raise ValueError("a monthly frequency needs week_of_month 1-4 or -1")
        if self.period != FrequencyPeriod.MONTHLY and self.week_of_month is not None:
            raise ValueError("week_of_month is only for monthly frequencies")
        return self


class RecipientsIn(Request):
    emails: list[Email] = Field(default_factory=list, max_length=15)
    contact_roles: list[ContactRole] = Field(default_factory=list, max_length=5)
    user_ids: list[Id] = Field(default_factory=list, max_length=15)


class StepIn(Request):
    offset_days: int = Field(ge=-3650, le=3650, description="Days from the anchor; negative = before")
    action: StepAction
    template_id: Id | None = None
    parameters: dict[ParameterName, ParameterValue | ParameterObject] = Field(
        default_factory=dict,
        max_length=10,
        description="e.g. `template` (a built-in template), `title` (task), `status` (a collection "
        "status, for set_invoice_status), `user_id`, `send_when_nothing_owed` (true: send even when "
        "the customer owes nothing), `approval` (customer emails, statements and SMS: "
        '`{"role": "ar_manager", "timeout_hours": 48, "on_expiry": "skip"}` holds the message '
        "until a person of that role (or above) approves it)",
    )
    conditions: list[ConditionIn] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _parameters(self) -> Self:
        objects = [name for name, value in self.parameters.items() if isinstance(value, dict)]
        if any(name != APPROVAL_PARAMETER for name in objects):
            raise ValueError(f"only {APPROVAL_PARAMETER} may be an object among the parameters")
        approval_rule(self.action, self.parameters)  # a malformed gate says what is wrong
        opt_in = self.parameters.get(SEND_WHEN_NOTHING_OWED)
        if opt_in is not None:
            if not isinstance(opt_in, bool):
                raise ValueError(f"{SEND_WHEN_NOTHING_OWED} must be true or false")
            if self.action not in CUSTOMER_FACING:
                raise ValueError(f"{SEND_WHEN_NOTHING_OWED} is only for customer emails, statements and SMS")
        if self.action == StepAction.SET_INVOICE_STATUS and "status" in self.parameters:
            allowed = {s.value for s in CollectionStatus}
            if self.parameters["status"] not in allowed:
                raise ValueError(f"set_invoice_status: status must be one of {', '.join(sorted(allowed))}")
        return self


class DefinitionIn(Request):
    model_config = Request.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Net 30 reminders",
                    "kind": "invoice",
                    "steps": [
                        {"offset_days": -3, "action": "customer_email"},
                        {"offset_days": 0, "action": "customer_email"},
                        {"offset_days": 7, "action": "customer_email"},
                        {"offset_days": 14, "action": "customer_email"},
                        {"offset_days": 30, "action": "task", "parameters": {"title": "Call the customer"}},
                    ],
                    "conditions": [{"metric": "overdue", "operator": "gte", "value": "50"}],
                }
            ]
        }
    }

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    kind: DefinitionKind
    enabled: Flag = True
    catch_up: CatchUpPolicy = CatchUpPolicy.SKIP
    frequency: FrequencyIn | None = None
    conditions: list[ConditionIn] = Field(default_factory=list, max_length=10)
    additional_recipients: RecipientsIn = Field(default_factory=RecipientsIn)
    internal_recipients: list[Id] = Field(default_factory=list, max_length=15)
    continue_with_id: Id | None = None
    # The workflow's AR contact (From / Reply-To of its emails, `ar_contact` in its templates);
    # each left out falls back to the organization's.
    ar_sender_name: str | None = Field(default=None, min_length=1, max_length=200)
    ar_email: Email | None = None
    ar_reply_to: Email | None = None
    ar_phone: str | None = Field(default=None, min_length=3, max_length=32, pattern=r"^\+?[0-9 ()-]+$")
    steps: list[StepIn] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _kind(self) -> Self:
        if self.kind == DefinitionKind.AUTOMATIONS and self.steps:
            raise ValueError("an automations-only workflow has no steps: attach automations to it")
        if self.kind != DefinitionKind.AUTOMATIONS and not self.steps:
            raise ValueError("a workflow needs at least one step (or kind 'automations')")
        if self.kind == DefinitionKind.CUSTOMER and self.frequency is None:
            raise ValueError("a customer-kind workflow needs a frequency")
        if self.kind != DefinitionKind.CUSTOMER and self.frequency is not None:
            raise ValueError("only customer-kind workflows have a frequency")
        return self


class StepOut(Response):
    id: int
    position: int
    offset_days: int
    action: str
    template_id: int | None
    parameters: dict[str, Any]
    conditions: list[dict[str, Any]]


class DefinitionOut(Response):
    id: int
    name: str
    description: str
    kind: str
    enabled: bool
    version: int
    catch_up: str
    frequency: dict[str, Any] | None
    conditions: list[dict[str, Any]]
    additional_recipients: dict[str, Any]
    internal_recipients: list[int]
    continue_with_id: int | None
    ar_sender_name: str | None = None
    ar_email: str | None = None
    ar_reply_to: str | None = None
    ar_phone: str | None = None
    steps: list[StepOut]
    updated_at: datetime
    updated_by: str | None


class VersionOut(Response):
    version: int
    created_at: datetime
    created_by: str | None
    snapshot: dict[str, Any]


class CloneIn(Request):
    model_config = with_example({"name": "Net 30 reminders (EU)"})

    name: str = Field(min_length=1, max_length=200)
