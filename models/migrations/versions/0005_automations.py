"""automations: the resource and its versions, attachment to workflows, events, runs (exactly
once), the automations-only workflow kind, the workflow's AR contact, the webhook secret

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_KINDS = (
    "invoice_created",
    "invoice_paid",
    "due_date_moved",
    "delivery_bounced",
    "delivery_dropped",
    "delivery_opened",
    "delivery_replied",
    "customer_paused",
    "customer_resumed",
    "enrolled",
    "workflow_completed",
    "promise_broken",
    "dispute_opened",
    "dispute_resolved",
)


def _jsonb(name: str, default: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        name,
        postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
        server_default=sa.text(default),
        nullable=False,
    )


def _stamp(name: str, *, nullable: bool = False, now: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text("now()") if now else None,
        nullable=nullable,
    )


def upgrade() -> None:
    op.drop_constraint(op.f("ck_workflow_definition_kind"), "workflow_definition", type_="check")
    op.create_check_constraint(
        op.f("ck_workflow_definition_kind"),
        "workflow_definition",
        "kind IN ('invoice', 'customer', 'assignment', 'autopay', 'automations')",
    )
    for column, length in (
        ("ar_sender_name", 200),
        ("ar_email", 254),
        ("ar_reply_to", 254),
        ("ar_phone", 32),
    ):
        op.add_column(
            "workflow_definition",
            sa.Column(column, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=True),
        )
    op.add_column(
        "organization_settings",
        sa.Column("automation_webhook_secret", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    )

    op.create_table(
        "automation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _jsonb("trigger", "'{}'::jsonb"),
        _jsonb("conditions", "'[]'::jsonb"),
        _jsonb("actions", "'[]'::jsonb"),
        sa.Column("webhook_secret", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        _stamp("created_at"),
        _stamp("updated_at"),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_automation_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation")),
        sa.UniqueConstraint("name", name=op.f("uq_automation_name")),
    )
    op.create_table(
        "automation_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("automation_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _jsonb("snapshot", "'{}'::jsonb"),
        _stamp("created_at"),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["automation_id"],
            ["automation.id"],
            name=op.f("fk_automation_version_automation_id_automation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_version")),
        sa.UniqueConstraint("automation_id", "version", name="uq_automation_version"),
    )
    op.create_table(
        "workflow_automation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("automation_id", sa.Integer(), nullable=False),
        _stamp("attached_at"),
        sa.Column("attached_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["automation_id"],
            ["automation.id"],
            name=op.f("fk_workflow_automation_automation_id_automation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["workflow_definition.id"],
            name=op.f("fk_workflow_automation_definition_id_workflow_definition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_automation")),
        sa.UniqueConstraint("definition_id", "automation_id", name="uq_workflow_automation_pair"),
    )
    op.create_index(
        op.f("ix_workflow_automation_automation_id"), "workflow_automation", ["automation_id"], unique=False
    )
    op.create_index(
        op.f("ix_workflow_automation_definition_id"), "workflow_automation", ["definition_id"], unique=False
    )
    kinds = ", ".join(f"'{k}'" for k in EVENT_KINDS)
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        _jsonb("payload", "'{}'::jsonb"),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("source_key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        _stamp("occurred_at"),
        _stamp("processed_at", nullable=True, now=False),
        sa.CheckConstraint(f"kind IN ({kinds})", name=op.f("ck_event_kind")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_event_customer_id_customer"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["delivery.id"], name=op.f("fk_event_delivery_id_delivery"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_event_invoice_id_invoice"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        sa.UniqueConstraint("source_key", name=op.f("uq_event_source_key")),
    )
    op.create_index(
        "ix_event_unprocessed",
        "event",
        ["customer_id", "id"],
        unique=False,
        postgresql_where=sa.text("processed_at IS NULL"),
    )
    op.create_table(
        "automation_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("automation_id", sa.Integer(), nullable=False),
        sa.Column("automation_version", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("trigger_key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("actions_performed", sa.Integer(), nullable=False),
        _stamp("occurred_at"),
        _jsonb("details", "'{}'::jsonb"),
        sa.ForeignKeyConstraint(
            ["automation_id"],
            ["automation.id"],
            name=op.f("fk_automation_run_automation_id_automation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_automation_run_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.id"],
            name=op.f("fk_automation_run_enrollment_id_enrollment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_automation_run_event_id_event"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_run")),
        sa.UniqueConstraint("automation_id", "trigger_key", name="uq_automation_run_trigger"),
    )
    op.create_index(
        "ix_automation_run_customer", "automation_run", ["customer_id", "occurred_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_automation_run_customer", table_name="automation_run")
    op.drop_table("automation_run")
    op.drop_index(
        "ix_event_unprocessed", table_name="event", postgresql_where=sa.text("processed_at IS NULL")
    )
    op.drop_table("event")
    op.drop_index(op.f("ix_workflow_automation_definition_id"), table_name="workflow_automation")
    op.drop_index(op.f("ix_workflow_automation_automation_id"), table_name="workflow_automation")
    op.drop_table("workflow_automation")
    op.drop_table("automation_version")
    op.drop_table("automation")
    op.drop_column("organization_settings", "automation_webhook_secret")
    for column in ("ar_phone", "ar_reply_to", "ar_email", "ar_sender_name"):
        op.drop_column("workflow_definition", column)
    op.execute("DELETE FROM workflow_definition WHERE kind = 'automations'")
    op.drop_constraint(op.f("ck_workflow_definition_kind"), "workflow_definition", type_="check")
    op.create_check_constraint(
        op.f("ck_workflow_definition_kind"),
        "workflow_definition",
        "kind IN ('invoice', 'customer', 'assignment', 'autopay')",
    )
