"""replies and the contact-frequency cap: inbound replies, the inbound secret, the pause-on-reply
setting, the organization's cap and each customer's own

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 64 hex characters from two random UUIDs (no pgcrypto needed), for the row that exists; new rows
# get theirs from the model.
INBOUND_SECRET_SQL = "replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')"


def upgrade() -> None:
    op.add_column(
        "organization_settings",
        sa.Column(
            "inbound_secret", sa.String(length=64), server_default=sa.text(INBOUND_SECRET_SQL), nullable=False
        ),
    )
    op.alter_column("organization_settings", "inbound_secret", server_default=None)
    op.add_column(
        "organization_settings",
        sa.Column("replies_pause", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
    op.add_column("organization_settings", sa.Column("contact_cap_count", sa.Integer(), nullable=True))
    op.add_column(
        "organization_settings",
        sa.Column("contact_cap_days", sa.Integer(), server_default=sa.text("7"), nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_organization_settings_contact_cap_count"),
        "organization_settings",
        "contact_cap_count IS NULL OR contact_cap_count BETWEEN 1 AND 100",
    )
    op.create_check_constraint(
        op.f("ck_organization_settings_contact_cap_days"),
        "organization_settings",
        "contact_cap_days BETWEEN 1 AND 366",
    )
    op.add_column("customer", sa.Column("contact_cap_count", sa.Integer(), nullable=True))
    op.add_column("customer", sa.Column("contact_cap_days", sa.Integer(), nullable=True))
    op.create_check_constraint(
        op.f("ck_customer_contact_cap_count"),
        "customer",
        "contact_cap_count IS NULL OR contact_cap_count BETWEEN 1 AND 100",
    )
    op.create_check_constraint(
        op.f("ck_customer_contact_cap_days"),
        "customer",
        "contact_cap_days IS NULL OR contact_cap_days BETWEEN 1 AND 366",
    )
    op.create_table(
        "inbound_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("matched_by", sa.String(length=8), nullable=False),
        sa.Column("from_address", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("from_field", sqlmodel.sql.sqltypes.AutoString(length=998), nullable=False),
        sa.Column("to_field", sa.Text(), server_default="", nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=998), nullable=False),
        sa.Column("text_body", sa.Text(), server_default="", nullable=False),
        sa.Column("html_text", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "headers",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("holds_pause", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.CheckConstraint(
            "matched_by IN ('token', 'sender', 'none')", name=op.f("ck_inbound_reply_matched_by")
        ),
        sa.CheckConstraint(
            "(matched_by = 'none') = (customer_id IS NULL)",
            name=op.f("ck_inbound_reply_matched_has_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_inbound_reply_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["delivery.id"],
            name=op.f("fk_inbound_reply_delivery_id_delivery"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_reply")),
    )
    op.create_index(op.f("ix_inbound_reply_customer_id"), "inbound_reply", ["customer_id"], unique=False)
    op.create_index(
        "ix_inbound_reply_unhandled",
        "inbound_reply",
        ["customer_id"],
        unique=False,
        postgresql_where=sa.text("handled_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_reply_unhandled", table_name="inbound_reply")
    op.drop_index(op.f("ix_inbound_reply_customer_id"), table_name="inbound_reply")
    op.drop_table("inbound_reply")
    op.drop_constraint(op.f("ck_customer_contact_cap_days"), "customer", type_="check")
    op.drop_constraint(op.f("ck_customer_contact_cap_count"), "customer", type_="check")
    op.drop_column("customer", "contact_cap_days")
    op.drop_column("customer", "contact_cap_count")
    op.drop_constraint(
        op.f("ck_organization_settings_contact_cap_days"), "organization_settings", type_="check"
    )
    op.drop_constraint(
        op.f("ck_organization_settings_contact_cap_count"), "organization_settings", type_="check"
    )
    op.drop_column("organization_settings", "contact_cap_days")
    op.drop_column("organization_settings", "contact_cap_count")
    op.drop_column("organization_settings", "replies_pause")
    op.drop_column("organization_settings", "inbound_secret")
