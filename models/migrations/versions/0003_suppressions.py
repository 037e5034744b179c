"""suppressions: addresses never written to again, organization-wide

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "suppression",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("address = lower(address)", name=op.f("ck_suppression_address_lower")),
        sa.CheckConstraint(
            "(lifted_at IS NULL) = (lifted_by IS NULL)", name=op.f("ck_suppression_lifted_by_someone")
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["delivery.id"],
            name=op.f("fk_suppression_delivery_id_delivery"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppression")),
    )
    op.create_index(op.f("ix_suppression_address"), "suppression", ["address"], unique=False)
    op.create_index(
        "uq_suppression_active_address",
        "suppression",
        ["address"],
        unique=True,
        postgresql_where=sa.text("lifted_at IS NULL"),
    )
    # Contacts suppressed before the table existed: their addresses are suppressed for everyone.
    op.execute(
        """
        INSERT INTO suppression (address, source, reason, since)
        SELECT DISTINCT ON (lower(email)) lower(email),
               split_part(coalesce(suppression_reason, 'bounce'), ':', 1),
               coalesce(suppression_reason, 'suppressed before the suppression list existed'),
               suppressed_at
        FROM contact
        WHERE suppressed_at IS NOT NULL AND email IS NOT NULL
        ORDER BY lower(email), suppressed_at
        """
    )


def downgrade() -> None:
    op.drop_index(
        "uq_suppression_active_address",
        table_name="suppression",
        postgresql_where=sa.text("lifted_at IS NULL"),
    )
    op.drop_index(op.f("ix_suppression_address"), table_name="suppression")
    op.drop_table("suppression")
