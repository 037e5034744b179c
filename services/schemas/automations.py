"""Automations: a trigger, conditions, actions; attached to workflows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import Field, model_validator

from domain.approvals import APPROVAL_PARAMETER
from domain.enums import AutomationAction
from services.schemas.common import Flag, Id, Request, Response, with_example
from services.schemas.definitions import ConditionIn, ParameterName, ParameterObject, ParameterValue

TriggerValue = Annotated[str, Field(max_length=64)] | Annotated[int, Field(strict=True)]


class ActionIn(Request):
    model_config = with_example({"kind": "task", "params": {"title": "Call the customer"}})

    kind: AutomationAction
    params: dict[ParameterName, ParameterValue | ParameterObject] = Field(
        default_factory=dict,
        max_length=10,
        description="As a step's parameters (`template`, `title`, `status`, `user_id`, `approval` on "
        "customer emails, statements and SMS, …), and: `days` (pause_customer: for how long), "
        "`definition_id` (move_to_workflow), `url` (call_webhook, https)",
    )

    @model_validator(mode="after")
    def _objects(self) -> Self:
        objects = [name for name, value in self.params.items() if isinstance(value, dict)]
        if any(name != APPROVAL_PARAMETER for name in objects):
            raise ValueError(f"only {APPROVAL_PARAMETER} may be an object among the params")
        return self


class AutomationIn(Request):
    model_config = with_example(
        {
            "name": "Credit hold in the ERP at 30 days overdue",
            "trigger": {"kind": "days_from_due", "days": 30},
            "conditions": [{"metric": "overdue", "operator": "gte", "value": "1000"}],
            "actions": [{"kind": "call_webhook", "params": {"url": "https://erp.example.com/hold"}}],
        }
    )

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    enabled: Flag = True
    trigger: dict[ParameterName, TriggerValue] = Field(
        max_length=4, description="`kind` (an event or a time trigger) and its parameters"
    )
    conditions: list[ConditionIn] = Field(default_factory=list, max_length=10)
    actions: list[ActionIn] = Field(min_length=1, max_length=20)
    webhook_secret: str | None = Field(
        default=None, min_length=16, max_length=200, description="HMAC key of its webhook calls (write-only)"
    )


class AutomationOut(Response):
    id: int
    name: str
    description: str
    enabled: bool
    version: int
    trigger: dict[str, Any]
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    has_webhook_secret: bool
    updated_at: datetime
    updated_by: str | None


class AutomationVersionOut(Response):
    version: int
    created_at: datetime
    created_by: str | None
    snapshot: dict[str, Any]


class AttachIn(Request):
    model_config = with_example({"automation_id": 7})

    automation_id: Id


class AttachedOut(Response):
    automation_id: int
    name: str
    enabled: bool
    trigger: dict[str, Any]
    last_fired_at: datetime | None = None
