"""Automations (with immutable versions), their attachment to workflows, the events they react
to, and their runs (one per automation and event or time occurrence: exactly once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from domain.enums import EventKind
from models.base import enum_check, jsonb, timestamptz, utcnow


class Automation(SQLModel, table=True):
    """The current version of an automation; earlier ones are in `automation_version`."""

    __tablename__ = "automation"
    __table_args__ = (CheckConstraint("version >= 1", name="version_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    enabled: bool = Field(default=True)
    version: int = Field(default=1)
    # {"kind": <EventKind or TimeTrigger>, ...parameters}
    trigger: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb())
    conditions: list[dict[str, Any]] = Field(default_factory=list, sa_column=jsonb("'[]'::jsonb"))
    # [{"kind": <AutomationAction>, "params": {...}}, ...]
    actions: list[dict[str, Any]] = Field(default_factory=list, sa_column=jsonb("'[]'::jsonb"))
    # The HMAC key of its call_webhook actions; None: the organization's.
    webhook_secret: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    updated_by: str | None = Field(default=None, max_length=254)


class AutomationVersion(SQLModel, table=True):
    """An immutable snapshot of an automation, written on every edit."""

    __tablename__ = "automation_version"
    __table_args__ = (UniqueConstraint("automation_id", "version", name="uq_automation_version"),)

    id: int | None = Field(default=None, primary_key=True)
    automation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("automation.id", ondelete="CASCADE"), nullable=False)
    )
    version: int
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb())
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    created_by: str | None = Field(default=None, max_length=254)


class WorkflowAutomation(SQLModel, table=True):
    """An automation attached to a workflow definition (at most 100 per workflow)."""

    __tablename__ = "workflow_automation"
    __table_args__ = (UniqueConstraint("definition_id", "automation_id", name="uq_workflow_automation_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    definition_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("workflow_definition.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    automation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("automation.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    attached_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    attached_by: str | None = Field(default=None, max_length=254)


class Event(SQLModel, table=True):
    """What happened to a customer, written before its enrollment is signalled; the engine
    processes each once (`processed_at`), so a lost signal is caught up at the next planning."""

    __tablename__ = "event"
    __table_args__ = (
        enum_check("kind", EventKind, "kind"),
        Index(
            "ix_event_unprocessed",
            "customer_id",
            "id",
            postgresql_where=text("processed_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    )
    kind: str = Field(max_length=32)
    invoice_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("invoice.id", ondelete="SET NULL"), nullable=True),
    )
    delivery_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("delivery.id", ondelete="SET NULL"), nullable=True),
    )
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb())
    actor: str = Field(default="arcadence", max_length=254)
    # Written once per source key (a webhook event, a sync's change): a retried source adds none.
    source_key: str | None = Field(default=None, max_length=300, unique=True)
    occurred_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    processed_at: datetime | None = Field(default=None, sa_column=timestamptz())


class AutomationRun(SQLModel, table=True):
    """One automation performed (or refused) for one event or one time occurrence: the unique
    key makes it exactly once, whatever the retries and replays."""

    __tablename__ = "automation_run"
    __table_args__ = (
        UniqueConstraint("automation_id", "trigger_key", name="uq_automation_run_trigger"),
        Index("ix_automation_run_customer", "customer_id", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    automation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("automation.id", ondelete="CASCADE"), nullable=False)
    )
    automation_version: int
    customer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    )
    enrollment_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("enrollment.id", ondelete="SET NULL"), nullable=True),
    )
    event_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("event.id", ondelete="SET NULL"), nullable=True),
    )
    # "event:<id>" or the time occurrence's key.
    trigger_key: str = Field(max_length=300)
    outcome: str = Field(max_length=32)  # fired, not_fired (conditions), limited
    actions_performed: int = Field(default=0)
    occurred_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    details: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb())
