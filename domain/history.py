"""Which history entries are the customer's Last Action, and which name a message to the team.

Last Action (the customer's `last_action` / `last_action_by` / `last_action_at`) is what an AR
manager reads as "what was last done about this customer": a message sent to the customer, or
a person's decision. A skip, a failure, a missed step, the engine's own bookkeeping and a
provider's webhook stay in the history and never become it.
"""

from __future__ import annotations

from enum import StrEnum

from domain.enums import HistoryAction, StepAction
from domain.recipients import INTERNAL_ACTIONS

# Who acts without being a person: the engine and the email provider's webhook.
ENGINE_ACTOR = "arcadence"
PROVIDER_ACTORS = frozenset({"sendgrid", "twilio"})
MACHINE_ACTORS = frozenset({ENGINE_ACTOR, *PROVIDER_ACTORS})

# A message that reached the customer, whoever's step it was.
CUSTOMER_SENDS = frozenset({HistoryAction.MESSAGE_SENT, HistoryAction.MESSAGE_PARTLY_SENT})

# What a person decides about a customer (and only when a person did it).
PERSONS_ACTIONS = frozenset(
    {
        HistoryAction.ENROLLED,
        HistoryAction.ENROLLMENT_CONFIRMED,
        HistoryAction.WORKFLOW_REASSIGNED,
        HistoryAction.CONTINUE_WITH_SET,
        HistoryAction.ENROLLMENT_CANCELLED,
        HistoryAction.CUSTOMER_PAUSED,
        HistoryAction.CUSTOMER_RESUMED,
        HistoryAction.INVOICE_PAUSED,
        HistoryAction.INVOICE_RESUMED,
        HistoryAction.COLLECTION_STATUS_SET,
        HistoryAction.TASK_COMPLETED,
        HistoryAction.SUPPRESSION_LIFTED,
        HistoryAction.APPROVAL_APPROVED,
        HistoryAction.APPROVAL_EDITED,
        HistoryAction.APPROVAL_REJECTED,
        HistoryAction.PROMISE_RECORDED,
        HistoryAction.PROMISE_CANCELLED,
        HistoryAction.DISPUTE_OPENED,
        HistoryAction.DISPUTE_RESOLVED,
        HistoryAction.REPLY_HANDLED,
    }
)

# A step's outcome for a message to the team, by the outcome a customer message would have.
_TO_THE_TEAM = {
    HistoryAction.MESSAGE_SENT: HistoryAction.INTERNAL_NOTIFICATION_SENT,
    HistoryAction.MESSAGE_PARTLY_SENT: HistoryAction.INTERNAL_NOTIFICATION_PARTLY_SENT,
    HistoryAction.MESSAGE_NOT_SENT: HistoryAction.INTERNAL_NOTIFICATION_NOT_SENT,
}
TEAM_STEPS = INTERNAL_ACTIONS


def is_person(actor: str) -> bool:
    return actor not in MACHINE_ACTORS


def is_last_action(action: HistoryAction, actor: str) -> bool:
    """Whether an entry becomes the customer's Last Action: a send to the customer, or a
    person's action. An internal notification is not: it tells the team, not the customer."""
    if action in CUSTOMER_SENDS:
        return True
    return action in PERSONS_ACTIONS and is_person(actor)


def step_outcome_action(action: HistoryAction, step: StepAction | None) -> HistoryAction:
    """The history action of a step's sends: a message to the team has actions of its own."""
    if step in TEAM_STEPS:
        return _TO_THE_TEAM.get(action, action)
    return action


def with_conditions(description: str, conditions: str) -> str:
    """A send's description names the conditions that held, with their values."""
    if not conditions or "conditions met" in description:
        return description
    return f"{description}; conditions met: {conditions}"


class HistoryKind(StrEnum):
    """The history filter's choices: the actions grouped as a person reads them."""

    SENT = "sent"
    NOT_SENT = "not_sent"
    PAUSES = "pauses"
    WORKFLOW = "workflow"
    PEOPLE = "people"
    AUTOMATIONS = "automations"


# Every history action is in exactly one kind (a test holds this as actions are added).
HISTORY_KINDS: dict[HistoryKind, frozenset[HistoryAction]] = {
    HistoryKind.SENT: frozenset(
        {
            HistoryAction.MESSAGE_SENT,
            HistoryAction.MESSAGE_PARTLY_SENT,
            HistoryAction.INTERNAL_NOTIFICATION_SENT,
            HistoryAction.INTERNAL_NOTIFICATION_PARTLY_SENT,
            HistoryAction.DELIVERY_CONFIRMED,
        }
    ),
    HistoryKind.NOT_SENT: frozenset(
        {
            HistoryAction.MESSAGE_NOT_SENT,
            HistoryAction.INTERNAL_NOTIFICATION_NOT_SENT,
            HistoryAction.STEP_SKIPPED,
            HistoryAction.STEP_FAILED,
            HistoryAction.STEPS_MISSED,
            HistoryAction.DELIVERY_UNKNOWN,
            HistoryAction.EMAIL_BOUNCED,
            HistoryAction.EMAIL_DROPPED,
            HistoryAction.EMAIL_SPAM_REPORTED,
            HistoryAction.EMAIL_UNSUBSCRIBED,
            HistoryAction.STEP_DEFERRED,
        }
    ),
    HistoryKind.PAUSES: frozenset(
        {
            HistoryAction.CUSTOMER_PAUSED,
            HistoryAction.CUSTOMER_RESUMED,
            HistoryAction.INVOICE_PAUSED,
            HistoryAction.INVOICE_RESUMED,
        }
    ),
    HistoryKind.WORKFLOW: frozenset(
        {
            HistoryAction.STEP_PERFORMED,
            HistoryAction.ENROLLED,
            HistoryAction.ENROLLMENT_CONFIRMED,
            HistoryAction.WORKFLOW_REASSIGNED,
            HistoryAction.WORKFLOW_CONTINUED,
            HistoryAction.CONTINUE_WITH_SET,
            HistoryAction.ENROLLMENT_COMPLETED,
            HistoryAction.ENROLLMENT_CANCELLED,
            # An approval gate: asked, and ended without a person (deadline, withdrawn).
            HistoryAction.APPROVAL_REQUESTED,
            HistoryAction.APPROVAL_EXPIRED,
            HistoryAction.APPROVAL_WITHDRAWN,
        }
    ),
    HistoryKind.PEOPLE: frozenset(
        {
            HistoryAction.COLLECTION_STATUS_SET,
            HistoryAction.TASK_COMPLETED,
            HistoryAction.SUPPRESSION_LIFTED,
            HistoryAction.APPROVAL_APPROVED,
            HistoryAction.APPROVAL_EDITED,
            HistoryAction.APPROVAL_REJECTED,
            HistoryAction.PROMISE_RECORDED,
            HistoryAction.PROMISE_KEPT,
            HistoryAction.PROMISE_BROKEN,
            HistoryAction.PROMISE_CANCELLED,
            HistoryAction.DISPUTE_OPENED,
            HistoryAction.DISPUTE_RESOLVED,
            HistoryAction.REPLY_RECEIVED,
            HistoryAction.REPLY_HANDLED,
        }
    ),
    HistoryKind.AUTOMATIONS: frozenset(
        {
            HistoryAction.AUTOMATION_FIRED,
            HistoryAction.AUTOMATION_NOT_FIRED,
            HistoryAction.AUTOMATION_LIMITED,
            HistoryAction.AUTOMATIONS_MISSED,
        }
    ),
}

HISTORY_KIND_LABELS: dict[HistoryKind, str] = {
    HistoryKind.SENT: "Messages sent",
    HistoryKind.NOT_SENT: "Messages not sent (skipped, failed, bounced)",
    HistoryKind.PAUSES: "Pauses and resumes",
    HistoryKind.WORKFLOW: "Workflow steps and enrollment changes",
    HistoryKind.PEOPLE: "People's other changes (status, tasks, suppressions, promises, disputes)",
    HistoryKind.AUTOMATIONS: "Automations (fired, not fired, limited)",
}
