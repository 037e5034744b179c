"""Condition metrics computed in SQL at wake time: the customer's own and its whole hierarchy.

One statement whatever the number of invoices or descendants (a recursive CTE over the
customer tree, aggregated with FILTER); only invoices in the customer's home currency count, and
the open invoices in other currencies are counted apart so the explanation can say so.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.conditions import Metrics
from domain.invoices import CLOSED_STATUSES, sql_list

METRICS_SQL = text(
    f"""
    WITH RECURSIVE tree(id) AS (
        SELECT id FROM customer WHERE id = :customer_id
        UNION
        SELECT c.id FROM customer c JOIN tree t ON c.parent_id = t.id
    )
    SELECT
        COALESCE(SUM(i.balance_due) FILTER (WHERE home AND i.customer_id = :customer_id), 0),
        COALESCE(
            SUM(i.balance_due) FILTER (WHERE home AND i.customer_id = :customer_id AND i.due_date < :today), 0
        ),
        COALESCE(SUM(i.balance_due) FILTER (WHERE home), 0),
        COALESCE(SUM(i.balance_due) FILTER (WHERE home AND i.due_date < :today), 0),
        COUNT(*) FILTER (WHERE NOT home),
        ARRAY_AGG(DISTINCT i.currency) FILTER (WHERE NOT home)
    FROM invoice i
    JOIN tree t ON i.customer_id = t.id
    CROSS JOIN LATERAL (SELECT i.currency = :currency AS home) h
    WHERE i.status NOT IN ({sql_list(CLOSED_STATUSES)})
      AND i.balance_due > 0
    """
)


async def customer_metrics(session: AsyncSession, customer_id: int, currency: str, today: date) -> Metrics:
    """Outstanding and overdue (due before `today`, local date), paused invoices included."""
    row = (
        await (await session.connection()).execute(
            METRICS_SQL, {"customer_id": customer_id, "today": today, "currency": currency}
        )
    ).one()
    own, own_overdue, total, total_overdue = (Decimal(v) for v in row[:4])
    other_count, others = row[4], row[5]
    return Metrics(
        currency=currency,
        outstanding=own,
        overdue=own_overdue,
        consolidated_outstanding=total,
        consolidated_overdue=total_overdue,
        other_currency_count=int(other_count),
        other_currencies=tuple(sorted(others or ())),
    )
