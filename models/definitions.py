"""Collections workflow definitions, their steps, message templates and saved versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.enums import CatchUpPolicy, Channel, DefinitionKind, StepAction
from models.base import enum_check, jsonb, timestamptz, utcnow

MAX_STEPS = 100


class Template(SQLModel, table=True):
    __tablename__ = "template"
    __table_args__ = (enum_check("channel", Channel, "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    channel: str = Field(default=Channel.EMAIL.value, max_length=16)
    subject: str | None = Field(default=None, max_length=998)
    html_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    text_body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )


class WorkflowDefinition(SQLModel, table=True):
    """The current version of a definition; earlier ones are in `workflow_definition_version`."""

    __tablename__ = "workflow_definition"
    __table_args__ = (
        enum_check("kind", DefinitionKind, "kind"),
        enum_check("catch_up", CatchUpPolicy, "catch_up"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("kind <> 'customer' OR frequency IS NOT NULL", name="customer_needs_frequency"),
        CheckConstraint("continue_with_id IS NULL OR continue_with_id <> id", name="not_own_successor"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    kind: str = Field(max_length=16)
    enabled: bool = Field(default=True)
    version: int = Field(default=1)
    catch_up: str = Field(default=CatchUpPolicy.SKIP.value, max_length=16)
    # {"period": "weekly"|"biweekly"|"monthly", "weekday": 0-6, "week_of_month": 1-4|-1}
    frequency: dict[str, Any] | None = Field(default=None, sa_column=jsonb(None, nullable=True))
    conditions: list[dict[str, Any]] = Field(default_factory=list, sa_column=jsonb("'[]'::jsonb"))
    # {"emails": [...], "contact_roles": [...], "user_ids": [...]}
    additional_recipients: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb())
    internal_recipients: list[int] = Field(default_factory=list, sa_column=jsonb("'[]'::jsonb"))
    continue_with_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("workflow_definition.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    updated_by: str | None = Field(default=None, max_length=254)
    # The workflow's AR contact: From / Reply-To of its emails and `ar_contact` in templates;
    # each None falls back to the organization's.
    ar_sender_name: str | None = Field(default=None, max_length=200)
    ar_email: str | None = Field(default=None, max_length=254)
    ar_reply_to: str | None = Field(default=None, max_length=254)
    ar_phone: str | None = Field(default=None, max_length=32)


class WorkflowStep(SQLModel, table=True):
    __tablename__ = "workflow_step"
    __table_args__ = (
        enum_check("action", StepAction, "action"),
        UniqueConstraint("definition_id", "position", name="uq_workflow_step_position"),
        CheckConstraint("position >= 0 AND position < 100", name="position_range"),
        CheckConstraint("offset_days BETWEEN -3650 AND 3650", name="offset_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    definition_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("workflow_definition.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    position: int
    offset_days: int
    action: str = Field(max_length=32)
    # A template in use cannot be deleted out from under a running cadence.
    template_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("template.id", ondelete="RESTRICT"), nullable=True),
    )
    parameters: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb())
    conditions: list[dict[str, Any]] = Field(default_factory=list, sa_column=jsonb("'[]'::jsonb"))


class WorkflowDefinitionVersion(SQLModel, table=True):
    """An immutable snapshot of a definition and its steps, written on every edit."""

    __tablename__ = "workflow_definition_version"
    __table_args__ = (UniqueConstraint("definition_id", "version", name="uq_definition_version"),)

    id: int | None = Field(default=None, primary_key=True)
    definition_id: int = Field(
        sa_column=Column(Integer, ForeignKey("workflow_definition.id", ondelete="CASCADE"), nullable=False)
    )
    version: int
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb())
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    created_by: str | None = Field(default=None, max_length=254)
