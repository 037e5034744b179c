"""invoice collection status: arcadence's own, kept apart from the accounting sync's status

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "invoice",
        sa.Column(
            "collection_status",
            sqlmodel.sql.sqltypes.AutoString(length=16),
            nullable=False,
            server_default="in_collection",
        ),
    )
    op.create_check_constraint(
        op.f("ck_invoice_collection_status"),
        "invoice",
        "collection_status IN ('in_collection', 'on_hold', 'disputed', 'promised')",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_invoice_collection_status"), "invoice", type_="check")
    op.drop_column("invoice", "collection_status")
