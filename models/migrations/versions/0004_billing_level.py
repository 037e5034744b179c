"""customer billing level: a bill-to-parent child is billed to its direct parent or the root

Revision ID: 0004
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "customer",
        sa.Column("billing_level", sa.String(length=16), server_default="immediate", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_customer_billing_level"), "customer", "billing_level IN ('immediate', 'top')"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_customer_billing_level"), "customer", type_="check")
    op.drop_column("customer", "billing_level")
