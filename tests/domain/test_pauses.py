"""A customer's pause holds until resumed, or until its end date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.pauses import pause_in_force

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_a_customer_not_paused_is_never_held() -> None:
    assert not pause_in_force(False, None, NOON)
    assert not pause_in_force(False, NOON + timedelta(days=1), NOON)


def test_a_pause_without_an_end_holds_until_resumed() -> None:
    assert pause_in_force(True, None, NOON)
    assert pause_in_force(True, None, NOON + timedelta(days=3650))


def test_a_pause_with_an_end_holds_until_that_instant_and_not_at_it() -> None:
    until = NOON + timedelta(days=3)
    assert pause_in_force(True, until, NOON)
    assert pause_in_force(True, until, until - timedelta(microseconds=1))
    assert not pause_in_force(True, until, until)
    assert not pause_in_force(True, until, until + timedelta(days=1))
