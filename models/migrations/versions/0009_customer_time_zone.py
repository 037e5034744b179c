"""the customer's own time zone and holiday country, and a contact's time zone (a primary
contact's zone is the customer's when it names none)

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "customer", sa.Column("time_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
    )
    op.add_column(
        "customer", sa.Column("holiday_country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True)
    )
    op.add_column(
        "contact", sa.Column("time_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("contact", "time_zone")
    op.drop_column("customer", "holiday_country")
    op.drop_column("customer", "time_zone")
