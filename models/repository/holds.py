"""Changing an invoice's collection status, with when it left the cadence and came back."""

from __future__ import annotations

from datetime import datetime

from domain.enums import CollectionStatus
from domain.invoices import HELD_COLLECTION_STATUSES
from models import Invoice


def move_collection_status(invoice: Invoice, status: CollectionStatus, at: datetime) -> None:
    """Sets the status; leaving the cadence stamps `held_at`, coming back stamps `released_at`
    (the planner then applies the catch-up policy to what fell due in between)."""
    was_held = invoice.collection_status in HELD_COLLECTION_STATUSES
    held = status in HELD_COLLECTION_STATUSES
    if held and not was_held:
        invoice.held_at = at
    elif was_held and not held:
        invoice.released_at = at
    invoice.collection_status, invoice.updated_at = status.value, at
