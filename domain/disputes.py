"""Disputes: what opening and resolving one does to the invoice's collection status. Pure."""

from __future__ import annotations

from domain.enums import CollectionStatus, DisputeReason, DisputeState

_REASON_WORDS = {
    DisputeReason.WRONG_AMOUNT: "wrong amount",
    DisputeReason.NOT_RECEIVED: "goods or service not received",
    DisputeReason.QUALITY: "quality",
    DisputeReason.ALREADY_PAID: "already paid",
    DisputeReason.DUPLICATE: "duplicate invoice",
    DisputeReason.OTHER: "other",
}
RESOLUTIONS: frozenset[DisputeState] = frozenset({DisputeState.UPHELD, DisputeState.REJECTED})


def reason_words(reason: str) -> str:
    return _REASON_WORDS.get(DisputeReason(reason), reason)


def status_after_resolution(resolution: DisputeState) -> CollectionStatus:
    """Upheld: the invoice stays out of the cadence until the accounting sync credits or voids
    it. Rejected: the customer owes it after all, and it is back in collection."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"{resolution} does not resolve a dispute")
    return CollectionStatus.DISPUTED if resolution == DisputeState.UPHELD else CollectionStatus.IN_COLLECTION


def resolution_words(resolution: DisputeState) -> str:
    if resolution == DisputeState.UPHELD:
        return "upheld: stays out of the cadence until the accounting system credits or voids it"
    return "rejected: back in collection, re-planned under the workflow's catch-up policy"
