"""What an invoice's status and balance mean for collections, decided here and nowhere else.

Three questions, three answers:
- *closed*: paid, void or written off; nothing is owed on it, ever again;
- *owed* (in the totals): not closed and with a balance due; a paused or held invoice is still
  owed, so statements and condition metrics count it;
- *in the cadence* (reminded, listed in communications): owed, not held and not paused.

An invoice is *held* by arcadence's own collection status (on hold, disputed, promised: set by a
person or a step, never by a sync) or by the accounting sync's status (`disputed`, `on_hold`,
still accepted from the books and treated the same way). The SQL that aggregates totals in
`models/metrics.py` and lists invoices in `models/repository/` is built from these constants.
"""

from __future__ import annotations

from decimal import Decimal

from domain.enums import CollectionStatus, InvoiceStatus

CLOSED_STATUSES: frozenset[InvoiceStatus] = frozenset(
    {InvoiceStatus.PAID, InvoiceStatus.VOID, InvoiceStatus.WRITTEN_OFF}
)
# The sync's own words for an invoice that is still owed but not to be chased.
HELD_STATUSES: frozenset[InvoiceStatus] = frozenset({InvoiceStatus.DISPUTED, InvoiceStatus.ON_HOLD})
# arcadence's collection states that take an invoice out of the cadence.
HELD_COLLECTION_STATUSES: frozenset[CollectionStatus] = frozenset(
    {CollectionStatus.ON_HOLD, CollectionStatus.DISPUTED, CollectionStatus.PROMISED}
)
_COLLECTION_WORDS = {
    CollectionStatus.ON_HOLD: "on hold",
    CollectionStatus.DISPUTED: "disputed",
    CollectionStatus.PROMISED: "promised (a payment was promised)",
    CollectionStatus.IN_COLLECTION: "in collection",
}


def is_closed(status: str) -> bool:
    return status in CLOSED_STATUSES


def is_owed(status: str, balance_due: Decimal) -> bool:
    """Counts in outstanding and overdue totals (paused or held or not)."""
    return not is_closed(status) and balance_due > 0


def is_held(status: str, collection_status: str = CollectionStatus.IN_COLLECTION) -> bool:
    """Taken out of the cadence by the sync's status or by arcadence's collection status."""
    return status in HELD_STATUSES or collection_status in HELD_COLLECTION_STATUSES


def is_dunnable(
    status: str, balance_due: Decimal, collection_status: str = CollectionStatus.IN_COLLECTION
) -> bool:
    """Owed and not held: the cadence reminds it unless it is paused."""
    return is_owed(status, balance_due) and not is_held(status, collection_status)


def is_listed(status: str, balance_due: Decimal, collection_status: str, *, paused: bool) -> bool:
    """Listed in a communication: owed, not held, not paused (the others are counted, unlisted)."""
    return is_dunnable(status, balance_due, collection_status) and not paused


def collection_words(collection_status: str) -> str:
    return _COLLECTION_WORDS.get(CollectionStatus(collection_status), collection_status)


def out_of_cadence_reason(
    number: str,
    status: str,
    balance_due: Decimal,
    *,
    paused: bool,
    collection_status: str = CollectionStatus.IN_COLLECTION,
) -> str | None:
    """Why a reminder about this invoice is not sent now, in words; None when it is in the cadence."""
    if is_closed(status):
        return f"{number} is {status}"
    if balance_due <= 0:
        return f"{number} has no balance due"
    if collection_status in HELD_COLLECTION_STATUSES:
        return (
            f"{number} is {collection_words(collection_status)} (its collection status): "
            "left out of the cadence, still counted in totals"
        )
    if status in HELD_STATUSES:
        return (
            f"{number} is {status} in the accounting system: left out of the cadence, still counted in totals"
        )
    if paused:
        return f"{number} is paused"
    return None


def sql_list(statuses: frozenset[InvoiceStatus] | frozenset[CollectionStatus]) -> str:
    """A set of statuses as an SQL literal list (they are enum values, never user input)."""
    return ", ".join(f"'{status.value}'" for status in sorted(statuses))
