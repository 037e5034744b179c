"""A step is named for people by its position (from one), its action and its invoice."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.enums import StepAction
from domain.wording import ACTION_WORDS, next_step_label, step_label


def test_a_step_is_named_from_one_with_its_action_and_invoice() -> None:
    assert step_label(0, StepAction.CUSTOMER_EMAIL, "INV-7") == "step 1 (email) for INV-7"
    assert step_label(2, StepAction.TASK, None) == "step 3 (task)"


def test_every_action_has_words() -> None:
    assert set(ACTION_WORDS) == set(StepAction)


def test_the_wait_names_the_next_steps_time_and_the_first_step_then() -> None:
    at = datetime(2026, 12, 7, 19, 30, tzinfo=UTC)
    two = ["step 1 (email) for INV-7", "step 1 (email) for INV-8"]
    assert next_step_label(at, two[:1], "America/New_York", "America/New_York") == (
        "Mon 07 Dec 2026 14:30 EST: step 1 (email) for INV-7"
    )
    assert next_step_label(at, two, "America/New_York", "America/New_York").endswith("INV-7 and 1 more")
    assert "organization time" in next_step_label(at, two, "Asia/Tokyo", "America/New_York")
    assert next_step_label(None, two, "UTC", "UTC") == ""
    assert next_step_label(at, [], "UTC", "UTC") == ""
