"""The `send` activity: claim the delivery row, call the channel, mark the outcome.

At-most-once where it matters: a retry that finds `sent` sends nothing, and one that finds
`sending` (a crash after the request may have left) marks the delivery `unknown` instead of
risking a duplicate; the provider's webhook settles it later.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.exc import DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels.base import (
    Address,
    Attachment,
    EmailChannel,
    EmailMessage,
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
    SendOutcome,
    SmsChannel,
    SmsMessage,
)
from activities.contracts import CloseDeliveryInput, SendInput, SendResult
from activities.documents import DocumentFetcher, DocumentRefused, DocumentUnavailable
from activities.errors import missing_rows_are_final
from activities.liveness import not_live_reason
from domain.ar_contact import ArContact
from domain.contact_cap import is_customer_facing
from domain.deliveries import is_settled
from domain.enums import Channel, DeliveryStatus, HistoryAction
from domain.invoices import out_of_cadence_reason
from domain.pauses import pause_in_force
from domain.replies import message_id
from models import Delivery, Enrollment, Invoice, OrganizationSettings, Task, WorkflowDefinition
from models.db import SessionFactory, unit_of_work
from models.history import write_history
from models.repository import NotFound, delivery_for_update, load_customer, load_enrollment, load_organization
from models.repository.messages import workflow_ar_contact

log = structlog.get_logger("arcadence.send")


async def _locked_delivery(session: AsyncSession, delivery_id: int) -> Delivery:
    return await delivery_for_update(session, delivery_id)


async def _not_live_reason(session: AsyncSession, delivery: Delivery) -> str | None:
    """Why this delivery's enrollment may not send it (ended, or another workflow's)."""
    if delivery.enrollment_id is None:
        return None
    try:
        enrollment = await load_enrollment(session, delivery.enrollment_id)
    except NotFound:
        return f"enrollment {delivery.enrollment_id} no longer exists"
    return not_live_reason(enrollment)


async def _withheld_reason(session: AsyncSession, delivery: Delivery, as_of: datetime) -> str | None:
    """What changed since the message was prepared (a person's approval may have taken days)
    that keeps it from the customer now: the customer is paused, or its invoice left the
    cadence (paid, disputed, promised, on hold, paused). The rules are `prepare`'s own
    (`domain.pauses`, `domain.invoices`); a message only to the team goes on."""
    if not is_customer_facing(delivery.recipients):
        return None
    customer = await load_customer(session, delivery.customer_id)
    if pause_in_force(customer.paused, customer.paused_until, as_of):
        return f"the customer is paused ({customer.pause_reason or 'no reason'})"
    if delivery.invoice_id is None:
        return None
    invoice = await session.get(Invoice, delivery.invoice_id)
    if invoice is None:
        return "its invoice no longer exists"
    return out_of_cadence_reason(
        invoice.number,
        invoice.status,
        invoice.balance_due,
        paused=invoice.paused,
        collection_status=invoice.collection_status,
    )


# How long a send keeps trying to record a provider's acceptance while Postgres is unreachable
# (the attempt itself may run 2 min: workflows.policies.SEND_ATTEMPT).
MARK_PATIENCE_S = 30.0


async def _invoice_pdf(documents: DocumentFetcher, invoice: Invoice) -> tuple[Attachment, ...]:
    """The invoice's PDF, fetched before anything is sent: a reminder that promises the PDF is
    not sent without it (refused: the step fails with the reason; unreachable: retried)."""
    assert invoice.pdf_url is not None
    try:
        document = await documents.fetch_pdf(invoice.pdf_url)
    except DocumentRefused as err:
        raise ProviderRejected("invoice-pdf", f"the PDF of {invoice.number} was refused: {err}") from err
    except DocumentUnavailable as err:
        raise ProviderUnavailable(
            "invoice-pdf", f"the PDF of {invoice.number} could not be fetched: {err}"
        ) from err
    return (
        Attachment(
            filename=f"{invoice.number}.pdf", content_type=document.content_type, content=document.content
        ),
    )


class SendingActivities:
    def __init__(
        self,
        session_factory: SessionFactory,
        email: EmailChannel,
        sms: SmsChannel,
        documents: DocumentFetcher | None = None,
    ) -> None:
        self._sessions = session_factory
        self._email = email
        self._sms = sms
        self._documents = documents or DocumentFetcher()

    @activity.defn(name="send")
    @missing_rows_are_final
    async def send(self, request: SendInput) -> SendResult:
        claimed = await self._claim(request)
        if isinstance(claimed, SendResult):
            return claimed
        delivery_id = request.delivery_id
        try:
            outcome, attached = await self._call_channel(claimed)
        except ProviderRejected as err:
            await self._settle(delivery_id, DeliveryStatus.FAILED, error=str(err))
            log.warning("delivery.rejected", delivery_id=delivery_id, error=str(err))
            raise ApplicationError(
                f"provider refused the message: {err}", type="ProviderRejected", non_retryable=True
            ) from err
        except ProviderOutcomeUnknown as err:
            await self._mark_unknown(delivery_id, request.as_of, str(err))
            return SendResult(delivery_id=delivery_id, status=DeliveryStatus.UNKNOWN, note=str(err))
        except ProviderUnavailable as err:
            await self._settle(delivery_id, DeliveryStatus.PENDING, error=str(err))
            log.warning("delivery.retry", delivery_id=delivery_id, error=str(err))
            raise ApplicationError(f"provider unavailable: {err}", type="ProviderUnavailable") from err
        except Exception as err:
            # Failed before the request left (e.g. building the message): the claim is released.
            await self._settle(delivery_id, DeliveryStatus.PENDING, error=repr(err))
            raise
        await self._settle(
            delivery_id, DeliveryStatus.SENT, outcome=outcome, at=request.as_of, attachments=attached
        )
        log.info("delivery.sent", delivery_id=delivery_id, provider=outcome.provider)
        return SendResult(
            delivery_id=delivery_id,
            status=DeliveryStatus.SENT,
            provider=outcome.provider,
            provider_message_id=outcome.message_id,
        )

    @activity.defn(name="close_delivery")
    @missing_rows_are_final
    async def close_delivery(self, request: CloseDeliveryInput) -> None:
        async with unit_of_work(self._sessions) as session:
            delivery = await _locked_delivery(session, request.delivery_id)
            if delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
                delivery.status = request.status
                delivery.last_error = request.error
                delivery.updated_at = request.as_of
                session.add(delivery)

    async def _claim(self, request: SendInput) -> Delivery | SendResult:
        async with unit_of_work(self._sessions) as session:
            delivery = await _locked_delivery(session, request.delivery_id)
            status = DeliveryStatus(delivery.status)
            if is_settled(status):
                return SendResult(
                    delivery_id=request.delivery_id,
                    status=status,
                    provider=delivery.provider,
                    provider_message_id=delivery.provider_message_id,
                    note="already settled; nothing sent again",
                )
            if status == DeliveryStatus.SENDING:
                ambiguous = True  # claimed before: the exactly-once rules decide, not liveness
            elif (refused := await _not_live_reason(session, delivery)) is not None:
                # Left `pending`: a re-enrollment on the same day may still send it, once.
                log.info("delivery.not_sent", delivery_id=request.delivery_id, reason=refused)
                return SendResult(delivery_id=request.delivery_id, status=status, note=f"not sent: {refused}")
            elif (withheld := await _withheld_reason(session, delivery, request.as_of)) is not None:
                delivery.status = DeliveryStatus.WITHHELD
                delivery.last_error = f"not sent: {withheld}"
                delivery.updated_at = request.as_of
                session.add(delivery)
                log.info("delivery.withheld", delivery_id=request.delivery_id, reason=withheld)
                return SendResult(
                    delivery_id=request.delivery_id,
                    status=DeliveryStatus.WITHHELD,
                    note=f"not sent: {withheld}",
                )
            else:
                ambiguous = False
                delivery.status = DeliveryStatus.SENDING
                delivery.attempts += 1
                delivery.updated_at = request.as_of
                session.add(delivery)
                await session.flush()
                session.expunge(delivery)
        if ambiguous:
            note = "a previous attempt was interrupted after claiming; it may or may not have been sent"
            await self._mark_unknown(request.delivery_id, request.as_of, note)
            return SendResult(delivery_id=request.delivery_id, status=DeliveryStatus.UNKNOWN, note=note)
        return delivery

    async def _call_channel(self, delivery: Delivery) -> tuple[SendOutcome, list[dict[str, Any]]]:
        """Hand the message to its channel; also says which files went with it (names, sizes)."""
        assert delivery.id is not None
        custom_args = {
            "delivery_id": str(delivery.id),
            "enrollment_id": str(delivery.enrollment_id or ""),
            "idempotency_key": delivery.idempotency_key,
        }
        recipients = [r for r in delivery.recipients if r.get("address")]
        if delivery.channel == Channel.SMS:
            sms = SmsMessage(
                delivery_id=delivery.id,
                idempotency_key=delivery.idempotency_key,
                to=tuple(str(r["address"]) for r in recipients),
                body=delivery.text_body,
                custom_args=custom_args,
            )
            return await self._sms.send_sms(sms), []
        async with self._sessions() as session:
            org = await load_organization(session)
            invoice = await session.get(Invoice, delivery.invoice_id) if delivery.invoice_id else None
            contact = await _ar_contact_of(session, org, delivery.enrollment_id)
        attachments = (
            await _invoice_pdf(self._documents, invoice) if invoice is not None and invoice.pdf_url else ()
        )
        attached = [
            {"filename": a.filename, "content_type": a.content_type, "size": len(a.content or b"")}
            for a in attachments
        ]
        sent = await self._email.send_email(
            EmailMessage(
                delivery_id=delivery.id,
                idempotency_key=delivery.idempotency_key,
                to=tuple(Address(email=str(r["address"]), name=r.get("name")) for r in recipients),
                sender=Address(email=contact.email, name=contact.sender_name),
                reply_to=Address(email=contact.reply_to) if contact.reply_to else None,
                subject=delivery.subject or "",
                html_body=delivery.html_body,
                text_body=delivery.text_body,
                custom_args=custom_args,
                categories=("arcadence", str(delivery.channel)),
                attachments=attachments,
                headers={"Message-ID": message_id(org.inbound_secret, delivery.id, contact.email)},
            )
        )
        return sent, attached

    async def _settle(
        self,
        delivery_id: int,
        status: DeliveryStatus,
        *,
        error: str | None = None,
        outcome: SendOutcome | None = None,
        at: datetime | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> None:
        """Record what happened after the claim, holding on through a short database outage.

        Giving up would leave the row `sending`, and the next attempt would then have to call it
        `unknown` (a person checks) although we know the outcome: the provider accepted it, or
        refused it, or nothing left. So the write is retried in place while the attempt allows.
        """
        delay = 0.25
        loop = asyncio.get_running_loop()
        deadline = loop.time() + MARK_PATIENCE_S
        while True:
            try:
                async with unit_of_work(self._sessions) as session:
                    delivery = await _locked_delivery(session, delivery_id)
                    delivery.status = status
                    if error is not None:
                        delivery.last_error = error[:4000]
                    if outcome is not None:
                        delivery.provider = outcome.provider
                        delivery.provider_message_id = outcome.message_id
                        delivery.sent_at = at
                    if attachments:
                        delivery.attachments = attachments
                    session.add(delivery)
                return
            except (DBAPIError, OSError) as err:
                if loop.time() + delay > deadline:
                    raise
                log.warning("delivery.mark_retry", delivery_id=delivery_id, error=repr(err)[:300])
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _mark_unknown(self, delivery_id: int, as_of: datetime, note: str) -> None:
        """Record the ambiguity and ask a person to check, rather than risk a duplicate."""
        async with unit_of_work(self._sessions) as session:
            delivery = await _locked_delivery(session, delivery_id)
            delivery.status = DeliveryStatus.UNKNOWN
            delivery.last_error = note
            session.add(delivery)
            customer = await load_customer(session, delivery.customer_id)
            await write_history(
                session,
                customer_id=delivery.customer_id,
                enrollment_id=delivery.enrollment_id,
                invoice_id=delivery.invoice_id,
                action=HistoryAction.DELIVERY_UNKNOWN,
                description=f"Delivery {delivery_id} outcome unknown: {note}. Not re-sent (no duplicates).",
                actor="arcadence",
                occurred_at=as_of,
                details={"delivery_id": delivery_id},
                key=f"unknown:{delivery_id}",
                last_action=False,
            )
            session.add(
                Task(
                    customer_id=delivery.customer_id,
                    invoice_id=delivery.invoice_id,
                    assignee_id=customer.specialist_id,
                    idempotency_key=f"unknown:{delivery_id}",
                    title=f"Check whether message {delivery_id} reached {customer.name}",
                    description=note,
                    due_date=as_of.date(),
                )
            )
        log.warning("delivery.unknown", delivery_id=delivery_id, note=note)


async def _ar_contact_of(
    session: AsyncSession, org: OrganizationSettings, enrollment_id: int | None
) -> ArContact:
    """The From / Reply-To of a delivery: its workflow's AR contact, else the organization's."""
    enrollment = await session.get(Enrollment, enrollment_id) if enrollment_id is not None else None
    definition = await session.get(WorkflowDefinition, enrollment.definition_id) if enrollment else None
    return workflow_ar_contact(org, definition)
