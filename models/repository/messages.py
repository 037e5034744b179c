"""The template context of one communication, from the database: the one function the engine
and the template preview both call, so a preview shows exactly what would be sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from domain import recipients as rcp
from domain import templates as tpl
from domain.ar_contact import ArContact, ar_contact
from domain.enums import StepAction
from models import Customer, Invoice, OrganizationSettings, User, WorkflowDefinition
from models.base import require_id
from models.repository.contacts import contact_infos
from models.repository.hierarchy import bill_to_customer, covered_customer_ids
from models.repository.invoices import listed_invoices, open_balance
from models.repository.suppressions import suppressed_among
from models.repository.users import active_internal_users


@dataclass(frozen=True, slots=True)
class RecipientInputs:
    """What the recipient rule (`domain.recipients.recipients_for`) needs, read from Postgres."""

    rules: rcp.RecipientRules
    contacts: list[rcp.ContactInfo]
    users: dict[int, rcp.InternalUser]
    suppressed: rcp.Suppressions

    def resolve(self, action: StepAction) -> rcp.RecipientResolution | None:
        return rcp.recipients_for(action, self.rules, self.contacts, self.users, self.suppressed)


async def recipient_inputs(
    session: AsyncSession,
    customer: Customer,
    definition: WorkflowDefinition,
    action: StepAction | None = None,
) -> RecipientInputs:
    """The inputs of the recipient rule for a step of `action` (None: for every step, as the
    timeline shows them): the workflow's recipient settings, the contacts of the customer billed
    for this one (a bill-to-parent child's messages go to its bill-to customer), the active
    internal users named, and the suppressions in force among all their addresses. The engine and
    the timeline both call this, so the timeline names whom the send would write to."""
    rules = rcp.RecipientRules.of(
        definition.additional_recipients, definition.internal_recipients, customer.specialist_id
    )
    users = await active_internal_users(session, rules.user_ids(action) if action else rules.user_ids())
    contacts: list[rcp.ContactInfo] = []
    if action is None or action not in rcp.INTERNAL_ACTIONS:
        billed = await bill_to_customer(session, customer)
        contacts = await contact_infos(session, require_id(billed))
    suppressed = await suppressed_among(session, rcp.candidate_addresses(rules, contacts, users))
    return RecipientInputs(rules=rules, contacts=contacts, users=users, suppressed=suppressed)


def workflow_ar_contact(org: OrganizationSettings, definition: WorkflowDefinition | None) -> ArContact:
    """The AR contact of a workflow's messages (From, Reply-To, `ar_contact` in templates)."""
    own: dict[str, str | None] = {}
    if definition is not None:
        own = {
            "sender_name": definition.ar_sender_name,
            "email": definition.ar_email,
            "reply_to": definition.ar_reply_to,
            "phone": definition.ar_phone,
        }
    return ar_contact(
        org_sender_name=org.sender_name, org_sender_email=org.sender_email, org_reply_to=org.reply_to, **own
    )


async def message_context(
    session: AsyncSession,
    *,
    org: OrganizationSettings,
    customer: Customer,
    today: date,
    invoice: Invoice | None = None,
    definition: WorkflowDefinition | None = None,
) -> tpl.RenderContext:
    """The context of a message to `customer` on `today` (the organization's local date) covering
    the invoices of the customers it is billed for (itself and the children billed to it, by the
    hierarchy rule): the MAX_LISTED_INVOICES oldest due in the cadence listed, paused and held ones
    counted in the totals but not listed, invoices in other currencies counted apart."""
    customer_ids = await covered_customer_ids(session, require_id(customer))
    specialist = await session.get(User, customer.specialist_id) if customer.specialist_id else None
    invoices = await listed_invoices(session, customer_ids, tpl.MAX_LISTED_INVOICES)
    balance = await open_balance(session, customer_ids, customer.currency, today)
    return tpl.build_context(
        org,
        customer,
        invoices,  # the ones to list; `balance` sums all of them (paused and held count, unlisted)
        invoice=invoice,
        balance=balance,
        contact=None,
        specialist=specialist,
        as_of=today,
        # An auto-pay customer's invoice message says when its payment is taken, and why then.
        payment=tpl.payment_view(invoice, customer.autopay_anchor, customer.locale)
        if customer.autopay and invoice is not None
        else None,
        ar=workflow_ar_contact(org, definition),
    )
