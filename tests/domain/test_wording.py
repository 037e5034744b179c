"""A step is named for people by its position (from one), its action and its invoice."""

from __future__ import annotations

from domain.enums import StepAction
from domain.wording import ACTION_WORDS, step_label


def test_a_step_is_named_from_one_with_its_action_and_invoice() -> None:
    assert step_label(0, StepAction.CUSTOMER_EMAIL, "INV-7") == "step 1 (email) for INV-7"
    assert step_label(2, StepAction.TASK, None) == "step 3 (task)"


def test_every_action_has_words() -> None:
    assert set(ACTION_WORDS) == set(StepAction)
