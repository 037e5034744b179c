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


def status_after_resolution(resolution: DisputeState, *, promised: bool = False) -> CollectionStatus:
    """Upheld: the invoice stays out of the cadence until the accounting sync credits or voids
    it. Rejected: the customer owes it after all; back in collection, or back under the open
    promise to pay that covers it (`promised`: the promise's date still holds dunning off)."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"{resolution} does not resolve a dispute")
    if resolution == DisputeState.UPHELD:
        return CollectionStatus.DISPUTED
    return CollectionStatus.PROMISED if promised else CollectionStatus.IN_COLLECTION


def resolution_words(resolution: DisputeState, *, promised: bool = False) -> str:
    if resolution == DisputeState.UPHELD:
        return "upheld: stays out of the cadence until the accounting system credits or voids it"
    if promised:
        return "rejected: back under its open promise to pay (dunning resumes if the promise breaks)"
    return "rejected: back in collection, re-planned under the workflow's catch-up policy"
