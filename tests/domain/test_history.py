"""The Last Action rule: a send to the customer or a person's action, never a skip or a failure;
a message to the team has history actions of its own."""

from __future__ import annotations

import pytest

from domain.enums import HistoryAction, StepAction
from domain.history import is_last_action, step_outcome_action, with_conditions

PERSON = "support@acme.example"


@pytest.mark.parametrize("action", [HistoryAction.MESSAGE_SENT, HistoryAction.MESSAGE_PARTLY_SENT])
def test_a_send_to_the_customer_is_the_last_action(action: HistoryAction) -> None:
    assert is_last_action(action, "arcadence")


@pytest.mark.parametrize(
    "action",
    [
        HistoryAction.STEP_SKIPPED,
        HistoryAction.STEP_FAILED,
        HistoryAction.STEPS_MISSED,
        HistoryAction.MESSAGE_NOT_SENT,
        HistoryAction.DELIVERY_UNKNOWN,
        HistoryAction.STEP_PERFORMED,
        HistoryAction.INTERNAL_NOTIFICATION_SENT,
        HistoryAction.EMAIL_BOUNCED,
        HistoryAction.DELIVERY_CONFIRMED,
    ],
)
def test_a_skip_a_failure_a_missed_step_or_a_webhook_event_is_never_the_last_action(
    action: HistoryAction,
) -> None:
    assert not is_last_action(action, "arcadence")
    assert not is_last_action(action, "sendgrid")
    assert not is_last_action(action, PERSON)


@pytest.mark.parametrize(
    "action",
    [
        HistoryAction.CUSTOMER_PAUSED,
        HistoryAction.CUSTOMER_RESUMED,
        HistoryAction.ENROLLED,
        HistoryAction.WORKFLOW_REASSIGNED,
        HistoryAction.SUPPRESSION_LIFTED,
        HistoryAction.TASK_COMPLETED,
        HistoryAction.COLLECTION_STATUS_SET,
    ],
)
def test_a_persons_action_is_the_last_action_but_the_same_by_the_engine_is_not(action: HistoryAction) -> None:
    assert is_last_action(action, PERSON)
    assert not is_last_action(action, "arcadence")


def test_a_message_to_the_team_is_told_apart_from_a_customer_email() -> None:
    sent = HistoryAction.MESSAGE_SENT
    assert step_outcome_action(sent, StepAction.CUSTOMER_EMAIL) == HistoryAction.MESSAGE_SENT
    assert (
        step_outcome_action(sent, StepAction.INTERNAL_NOTIFICATION)
        == HistoryAction.INTERNAL_NOTIFICATION_SENT
    )
    assert (
        step_outcome_action(HistoryAction.MESSAGE_NOT_SENT, StepAction.NOTIFY_SPECIALIST)
        == HistoryAction.INTERNAL_NOTIFICATION_NOT_SENT
    )
    assert step_outcome_action(HistoryAction.STEP_SKIPPED, StepAction.INTERNAL_NOTIFICATION) == (
        HistoryAction.STEP_SKIPPED
    )


def test_a_send_names_the_conditions_that_held_with_their_values() -> None:
    held = "Overdue >= 500.00 USD (was 1,200.00 USD)"
    described = with_conditions("Email 'Reminder' to ap@globex.example", held)
    assert described == f"Email 'Reminder' to ap@globex.example; conditions met: {held}"
    assert with_conditions("Email 'Reminder'", "") == "Email 'Reminder'"


def test_every_history_action_is_in_exactly_one_kind_of_the_history_filter() -> None:
    from domain.history import HISTORY_KIND_LABELS, HISTORY_KINDS

    kinds_of = {
        action: [k for k, actions in HISTORY_KINDS.items() if action in actions] for action in HistoryAction
    }
    assert all(len(kinds) == 1 for kinds in kinds_of.values()), kinds_of
    assert set(HISTORY_KIND_LABELS) == set(HISTORY_KINDS)
