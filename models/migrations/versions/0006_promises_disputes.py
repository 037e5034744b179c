"""promises to pay (with the invoices each covers) and disputes; the organization's grace days

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(18, 2, asdecimal=True)
DISPUTE_REASONS = "'already_paid', 'duplicate', 'not_received', 'other', 'quality', 'wrong_amount'"


def _text(name: str, length: int, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def _stamp(name: str, *, nullable: bool = False, now: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()") if now else None, nullable=nullable
    )


def upgrade() -> None:
    op.add_column("invoice", sa.Column("held_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("invoice", sa.Column("released_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "organization_settings",
        sa.Column("promise_grace_days", sa.Integer(), server_default="2", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_organization_settings_promise_grace_days_range"),
        "organization_settings",
        "promise_grace_days BETWEEN 0 AND 30",
    )
    op.create_table(
        "promise_to_pay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        _text("state", 16),
        sa.Column("whole_balance", sa.Boolean(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        _text("currency", 3),
        sa.Column("promised_date", sa.Date(), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        _stamp("deadline_at"),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        _text("recorded_by", 254),
        _stamp("recorded_at", now=True),
        sa.Column("paid_at_close", MONEY, nullable=True),
        _stamp("closed_at", nullable=True),
        _text("closed_by", 254, nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'kept', 'broken', 'cancelled')", name=op.f("ck_promise_to_pay_state")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_promise_to_pay_amount_positive")),
        sa.CheckConstraint("grace_days BETWEEN 0 AND 30", name=op.f("ck_promise_to_pay_grace_days_range")),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_promise_to_pay_currency_code")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_promise_to_pay_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promise_to_pay")),
    )
    op.create_index(
        "ix_promise_to_pay_customer_state", "promise_to_pay", ["customer_id", "state"], unique=False
    )
    op.create_table(
        "promise_invoice",
        sa.Column("promise_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("balance_at_promise", MONEY, nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
            name=op.f("fk_promise_invoice_invoice_id_invoice"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["promise_id"],
            ["promise_to_pay.id"],
            name=op.f("fk_promise_invoice_promise_id_promise_to_pay"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("promise_id", "invoice_id", name=op.f("pk_promise_invoice")),
    )
    op.create_index(op.f("ix_promise_invoice_invoice_id"), "promise_invoice", ["invoice_id"], unique=False)
    op.create_table(
        "dispute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        _text("state", 16),
        _text("reason", 32),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        _text("opened_by", 254),
        _stamp("opened_at", now=True),
        _text("resolved_by", 254, nullable=True),
        _stamp("resolved_at", nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('open', 'upheld', 'rejected')", name=op.f("ck_dispute_state")),
        sa.CheckConstraint(f"reason IN ({DISPUTE_REASONS})", name=op.f("ck_dispute_reason")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_dispute_customer_id_customer"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_dispute_invoice_id_invoice"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute")),
    )
    op.create_index(op.f("ix_dispute_customer_id"), "dispute", ["customer_id"], unique=False)
    op.create_index("ix_dispute_state", "dispute", ["state"], unique=False)
    op.create_index(
        "uq_dispute_open_invoice",
        "dispute",
        ["invoice_id"],
        unique=True,
        postgresql_where=sa.text("state = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("uq_dispute_open_invoice", table_name="dispute", postgresql_where=sa.text("state = 'open'"))
    op.drop_index("ix_dispute_state", table_name="dispute")
    op.drop_index(op.f("ix_dispute_customer_id"), table_name="dispute")
    op.drop_table("dispute")
    op.drop_index(op.f("ix_promise_invoice_invoice_id"), table_name="promise_invoice")
    op.drop_table("promise_invoice")
    op.drop_index("ix_promise_to_pay_customer_state", table_name="promise_to_pay")
    op.drop_table("promise_to_pay")
    op.drop_constraint(
        op.f("ck_organization_settings_promise_grace_days_range"), "organization_settings", type_="check"
    )
    op.drop_column("organization_settings", "promise_grace_days")
    op.drop_column("invoice", "released_at")
    op.drop_column("invoice", "held_at")
