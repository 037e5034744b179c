"""Delivery statuses in one place: what is settled, and the ladder events only climb."""

from __future__ import annotations

import pytest

from domain.deliveries import LADDER, SETTLED, is_settled, moves_forward
from domain.enums import DeliveryStatus as S


def test_every_status_has_a_rung_on_the_ladder() -> None:
    assert set(LADDER) == set(S)


@pytest.mark.parametrize("status", [S.PENDING, S.SENDING])
def test_a_delivery_not_yet_handed_to_the_provider_may_still_be_sent(status: S) -> None:
    assert not is_settled(status)


@pytest.mark.parametrize("status", sorted(SETTLED))
def test_a_delivery_the_provider_was_asked_about_is_never_sent_again(status: S) -> None:
    assert is_settled(status)


def test_a_possibly_accepted_send_counts_as_settled() -> None:
    assert is_settled(S.UNKNOWN)


@pytest.mark.parametrize(
    ("current", "new", "forward"),
    [
        (S.PENDING, S.SENT, True),
        (S.UNKNOWN, S.SENT, True),
        (S.SENT, S.DELIVERED, True),
        (S.DELIVERED, S.OPENED, True),
        (S.OPENED, S.CLICKED, True),
        (S.DELIVERED, S.BOUNCED, True),
        (S.CLICKED, S.UNSUBSCRIBED, True),
        (S.UNSUBSCRIBED, S.SPAM_REPORTED, True),
        (S.DELIVERED, S.SENT, False),
        (S.OPENED, S.DELIVERED, False),
        (S.BOUNCED, S.DELIVERED, False),
        (S.BOUNCED, S.DROPPED, False),
        (S.SPAM_REPORTED, S.UNSUBSCRIBED, False),
        (S.SENT, S.SENT, False),
    ],
)
def test_a_late_or_reordered_event_never_moves_a_delivery_back(current: S, new: S, forward: bool) -> None:
    assert moves_forward(current, new) is forward
