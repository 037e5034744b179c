"""What an invoice's status and balance mean for collections, decided here and nowhere else.

Three questions, three answers:
- *closed*: paid, void or written off; nothing is owed on it, ever again;
- *owed* (in the totals): not closed and with a balance due; a paused invoice is still owed,
  so statements and condition metrics count it;
- *in the cadence* (reminded): owed and not held; a paused invoice is left out while paused.
The SQL that aggregates totals in `models/metrics.py` is built from `CLOSED_STATUSES`.
"""

from __future__ import annotations

from decimal import Decimal

from domain.enums import InvoiceStatus

CLOSED_STATUSES: frozenset[InvoiceStatus] = frozenset(
    {InvoiceStatus.PAID, InvoiceStatus.VOID, InvoiceStatus.WRITTEN_OFF}
)
# Still owed, but taken out of the cadence by their status. Empty for now: disputed and on-hold
# invoices are still reminded (the collection-status work changes that, here).
HELD_STATUSES: frozenset[InvoiceStatus] = frozenset()


def is_closed(status: str) -> bool:
    return status in CLOSED_STATUSES


def is_owed(status: str, balance_due: Decimal) -> bool:
    """Counts in outstanding and overdue totals (paused or not)."""
    return not is_closed(status) and balance_due > 0


def is_dunnable(status: str, balance_due: Decimal) -> bool:
    """Owed and not held by its status: the cadence reminds it unless it is paused."""
    return is_owed(status, balance_due) and status not in HELD_STATUSES


def out_of_cadence_reason(number: str, status: str, balance_due: Decimal, *, paused: bool) -> str | None:
    """Why a reminder about this invoice is not sent now, in words; None when it is in the cadence."""
    if is_closed(status) or status in HELD_STATUSES:
        return f"{number} is {status}"
    if balance_due <= 0:
        return f"{number} has no balance due"
    if paused:
        return f"{number} is paused"
    return None


def sql_list(statuses: frozenset[InvoiceStatus]) -> str:
    """A set of statuses as an SQL literal list (they are enum values, never user input)."""
    return ", ".join(f"'{status.value}'" for status in sorted(statuses))
