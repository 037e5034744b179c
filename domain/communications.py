"""Whether a customer-facing message has anything in it to pay: nothing owed, nothing sent."""

from __future__ import annotations

from collections.abc import Mapping

from domain.enums import StepAction
from domain.recipients import CUSTOMER_ACTIONS
from domain.templates.context import RenderContext

# Messages to the customer. Internal notifications (to the team or the AR specialist) are sent
# whatever the balance: a team may want to hear about a customer that owes nothing.
CUSTOMER_FACING = CUSTOMER_ACTIONS
SEND_WHEN_NOTHING_OWED = "send_when_nothing_owed"


def sends_when_nothing_owed(parameters: Mapping[str, object] | None) -> bool:
    """The step's explicit opt-in (a thank-you, a welcome message)."""
    return (parameters or {}).get(SEND_WHEN_NOTHING_OWED) is True


def nothing_owed_reason(
    action: StepAction, context: RenderContext, parameters: Mapping[str, object] | None
) -> str | None:
    """Why this message is not sent, when it asks the customer to pay nothing; None to send it.

    A message asks for payment of the invoice it is about, or of the invoices it lists (in any
    currency); paused and held invoices are counted in the totals but not asked for, so a
    communication whose every open invoice is paused or held has nothing in it to pay either.
    """
    if action not in CUSTOMER_FACING or sends_when_nothing_owed(parameters):
        return None
    if context.invoice is not None or context.invoices:
        return None
    totals = context.totals
    if totals.unlisted_count:
        held = "invoice is" if totals.unlisted_count == 1 else "invoices are"
        return (
            f"nothing is owed in collection: the customer's {totals.unlisted_count} open {held} "
            f"paused, on hold or in dispute ({totals.unlisted_text}); "
            f"set '{SEND_WHEN_NOTHING_OWED}' on the step to send anyway"
        )
    return (
        f"nothing is owed: no open invoice, balance {totals.outstanding_text}; "
        f"set '{SEND_WHEN_NOTHING_OWED}' on the step to send anyway"
    )
