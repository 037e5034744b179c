"""approvals: the approval gate of a step's message, and the `withheld` delivery status

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DELIVERY_STATUSES = (
    "pending",
    "sending",
    "sent",
    "unknown",
    "failed",
    "expired",
    "delivered",
    "bounced",
    "dropped",
    "deferred",
    "opened",
    "clicked",
    "spam_reported",
    "unsubscribed",
)
ROLES = ("owner", "admin", "ar_manager", "ar_specialist", "support", "viewer")
STATES = ("pending", "approved", "edited", "rejected", "expired", "withdrawn")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _delivery_statuses(values: Sequence[str]) -> None:
    op.drop_constraint(op.f("ck_delivery_status"), "delivery", type_="check")
    op.create_check_constraint(op.f("ck_delivery_status"), "delivery", _in("status", values))


def upgrade() -> None:
    _delivery_statuses((*DELIVERY_STATUSES, "withheld"))
    op.create_table(
        "approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("step_label", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column(
            "delivery_ids",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=998), nullable=True),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("on_expiry", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "changes",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(_in("state", STATES), name=op.f("ck_approval_state")),
        sa.CheckConstraint(_in("role", ROLES), name=op.f("ck_approval_role")),
        sa.CheckConstraint(_in("on_expiry", ("skip", "send")), name=op.f("ck_approval_on_expiry")),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.id"],
            name=op.f("fk_approval_enrollment_id_enrollment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_approval_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["workflow_step.id"],
            name=op.f("fk_approval_step_id_workflow_step"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval")),
        sa.UniqueConstraint("occurrence_key", name=op.f("uq_approval_occurrence_key")),
    )
    op.create_index(op.f("ix_approval_enrollment_id"), "approval", ["enrollment_id"], unique=False)
    op.create_index(op.f("ix_approval_customer_id"), "approval", ["customer_id"], unique=False)
    op.create_index("ix_approval_state_requested", "approval", ["state", "requested_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_approval_state_requested", table_name="approval")
    op.drop_index(op.f("ix_approval_customer_id"), table_name="approval")
    op.drop_index(op.f("ix_approval_enrollment_id"), table_name="approval")
    op.drop_table("approval")
    op.execute("UPDATE delivery SET status = 'expired' WHERE status = 'withheld'")
    _delivery_statuses(DELIVERY_STATUSES)
