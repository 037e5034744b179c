"""Customers' replies: received through SendGrid Inbound Parse at a secret URL, tied to the
delivery they answer (its reply token) or to the customer (the sender's address), written to the
history as the `delivery_replied` event, and — when the organization wants it — holding the
customer's automatic messages until a person marks the reply handled."""

from __future__ import annotations

import hmac
from email.parser import HeaderParser

import structlog

from domain import replies as rules
from domain.enums import EventKind, HistoryAction
from domain.history import ENGINE_ACTOR
from domain.pauses import pause_in_force
from models import Delivery, InboundReply, User
from models.base import require_id
from models.history import write_history
from models.repository import live_enrollment, load_customer
from models.repository.automations import write_event
from models.repository.pauses import pause_and_record, resume_and_record
from models.repository.replies import (
    customers_with_contact_email,
    last_deliveries_of,
    organization_row,
    other_replies_holding_pause,
    replies_page,
    reply_for_update,
)
from services.common import now, refresh_after_commit, signal_after_commit
from services.errors import Conflict, NotFound, Unauthorized
from services.schemas.replies import InboundAddress, InboundReceipt, ReplyHandled, ReplyOut
from services.unit_of_work import UnitOfWork
from services.webhooks.inbound_form import parse_inbound_form
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import PauseSignal, ResumeSignal

log = structlog.get_logger("arcadence.replies")
INBOUND_PATH = "/webhooks/sendgrid/inbound"
# Headers kept with a reply (what matching read, and what says it is an automatic answer).
KEPT_HEADERS = ("Message-ID", "In-Reply-To", "References", "Date", "Auto-Submitted", "X-Autoreply")


class BadInboundSecret(Unauthorized):
    code = "invalid_inbound_secret"


async def inbound_address(uow: UnitOfWork) -> InboundAddress:
    org = await organization_row(uow.session)
    return InboundAddress(path=f"{INBOUND_PATH}/{org.inbound_secret}")


async def check_inbound_secret(uow: UnitOfWork, secret: str) -> None:
    """The path's secret, compared in constant time, before the body is parsed."""
    org = await organization_row(uow.session)
    if not secret or not hmac.compare_digest(secret.encode(), org.inbound_secret.encode()):
        raise BadInboundSecret("This is not the organization's inbound address; nothing was stored")


async def receive_reply(uow: UnitOfWork, content_type: str, body: bytes) -> InboundReceipt:
    """Store the reply; tie it to its delivery or customer; pause the customer when asked to."""
    session = uow.session
    org = await organization_row(session)
    form = parse_inbound_form(content_type, body)
    headers = HeaderParser().parsestr(form.get("headers", ""))
    kept = {name: str(headers[name])[:2000] for name in KEPT_HEADERS if headers[name] is not None}
    sender = rules.sender_address(form.get("from", ""))
    named = rules.delivery_named_in(
        org.inbound_secret,
        [kept.get("In-Reply-To", ""), kept.get("References", ""), form.get("to", ""), form.get("cc", "")],
    )
    delivery = await session.get(Delivery, named) if named is not None else None
    customer_id, matched_by = (delivery.customer_id, "token") if delivery is not None else (None, "none")
    if delivery is None and sender:
        customer_id, delivery = await _by_sender(uow, sender)
        matched_by = "sender" if customer_id is not None else "none"
    reply = InboundReply(
        customer_id=customer_id,
        delivery_id=delivery.id if delivery is not None else None,
        matched_by=matched_by,
        from_address=sender[:320],
        from_field=rules.capped(form.get("from"), 998),
        to_field=rules.capped(form.get("to"), 5000),
        subject=rules.capped(form.get("subject"), rules.MAX_SUBJECT).replace("\r", " ").replace("\n", " "),
        text_body=rules.capped(form.get("text")),
        html_text=rules.html_as_text(form.get("html", "")),
        headers=kept,
        received_at=now(),
    )
    session.add(reply)
    await session.flush()
    paused = False
    if customer_id is not None:
        automatic = rules.is_automatic(kept.get("Auto-Submitted"), kept.get("X-Autoreply"))
        paused = await _record_matched(uow, reply, pause=org.replies_pause and not automatic)
    log.info("reply.received", reply_id=reply.id, matched_by=matched_by, customer_id=customer_id)
    return InboundReceipt(
        id=require_id(reply),
        matched_by=matched_by,
        customer_id=customer_id,
        delivery_id=reply.delivery_id,
        paused=paused,
    )


async def _by_sender(uow: UnitOfWork, sender: str) -> tuple[int | None, Delivery | None]:
    """The one customer with a contact at the sender's address (none when several have one), and
    its latest delivery to that address."""
    customers = await customers_with_contact_email(uow.session, sender)
    if len(customers) != 1:
        return None, None
    for delivery in await last_deliveries_of(uow.session, customers[0]):
        if any(str(r.get("address", "")).lower() == sender for r in delivery.recipients):
            return customers[0], delivery
    return customers[0], None


async def _record_matched(uow: UnitOfWork, reply: InboundReply, *, pause: bool) -> bool:
    """History, the `delivery_replied` event, and the pause; returns whether this reply paused."""
    session, customer_id, at = uow.session, reply.customer_id, reply.received_at
    assert customer_id is not None
    reply_id = require_id(reply)
    enrollment = await live_enrollment(session, customer_id, lock=True)
    answers = f" (answers delivery {reply.delivery_id})" if reply.delivery_id else ""
    await write_history(
        session,
        customer_id=customer_id,
        enrollment_id=enrollment.id if enrollment else None,
        action=HistoryAction.REPLY_RECEIVED,
        description=f"Reply {reply_id} from {reply.from_address or 'an unknown sender'}{answers}: "
        f"{reply.subject or '(no subject)'}",
        actor=reply.from_address[:254] or ENGINE_ACTOR,
        occurred_at=at,
        details={"reply_id": reply_id, "delivery_id": reply.delivery_id, "matched_by": reply.matched_by},
        key=f"reply:{reply_id}:received",
    )
    await write_event(
        session,
        customer_id=customer_id,
        kind=EventKind.DELIVERY_REPLIED,
        occurred_at=at,
        actor=reply.from_address[:254] or ENGINE_ACTOR,
        delivery_id=reply.delivery_id,
        payload={"reply_id": reply_id, "from": reply.from_address, "subject": reply.subject[:200]},
        source_key=f"reply:{reply_id}",
    )
    customer = await load_customer(session, customer_id, lock=True)
    paused_now = False
    if pause and not pause_in_force(customer.paused, customer.paused_until, at):
        reason = rules.pause_reason(reply_id, reply.from_address)
        await pause_and_record(
            session,
            customer,
            until=None,
            reason=reason,
            actor=ENGINE_ACTOR,
            occurred_at=at,
            enrollment=enrollment,
        )
        reply.holds_pause = paused_now = True
    elif pause and rules.is_reply_pause(customer.pause_reason):
        reply.holds_pause = True  # it joins the pause an earlier reply holds
    session.add(reply)
    if enrollment is not None:
        if paused_now:
            signal = PauseSignal(actor=ENGINE_ACTOR, reason=customer.pause_reason or "", until=None)
            signal_after_commit(uow, enrollment.workflow_id, EnrollmentWorkflow.pause, signal)
        else:
            refresh_after_commit(uow, enrollment, "a reply from the customer")
    return paused_now


async def list_replies(
    uow: UnitOfWork, handled: bool | None, matched: bool | None, limit: int, offset: int
) -> tuple[list[InboundReply], int]:
    return await replies_page(uow.session, handled, matched, limit, offset)


async def get_reply(uow: UnitOfWork, reply_id: int) -> InboundReply:
    reply = await uow.session.get(InboundReply, reply_id)
    if reply is None:
        raise NotFound(f"reply {reply_id} does not exist", code="reply_not_found", details={"id": reply_id})
    return reply


async def handle_reply(uow: UnitOfWork, reply_id: int, note: str, actor: User) -> ReplyHandled:
    """Mark the reply handled; the customer resumes if its pause is still the replies' and no
    other unhandled reply holds it."""
    session = uow.session
    reply = await reply_for_update(session, reply_id)
    if reply is None:
        raise NotFound(f"reply {reply_id} does not exist", code="reply_not_found", details={"id": reply_id})
    if reply.handled_at is not None:
        raise Conflict(
            f"reply {reply_id} was already handled by {reply.handled_by}",
            code="reply_already_handled",
            details={"id": reply_id, "handled_at": reply.handled_at.isoformat()},
        )
    at = now()
    reply.handled_at, reply.handled_by = at, actor.email
    session.add(reply)
    resumed = False
    if reply.customer_id is not None:
        enrollment = await live_enrollment(session, reply.customer_id, lock=True)
        words = f": {note}" if note else ""
        await write_history(
            session,
            customer_id=reply.customer_id,
            enrollment_id=enrollment.id if enrollment else None,
            action=HistoryAction.REPLY_HANDLED,
            description=f"Reply {reply_id} from {reply.from_address} handled by {actor.email}{words}",
            actor=actor.email,
            occurred_at=at,
            details={"reply_id": reply_id, "note": note},
        )
        customer = await load_customer(session, reply.customer_id, lock=True)
        still_the_replies = customer.paused and rules.is_reply_pause(customer.pause_reason)
        others = await other_replies_holding_pause(session, reply.customer_id, reply_id)
        if reply.holds_pause and still_the_replies and others == 0:
            await resume_and_record(
                session,
                customer,
                description=f"Resumed: reply {reply_id} handled by {actor.email}",
                actor=actor.email,
                occurred_at=at,
                enrollment=enrollment,
            )
            resumed = True
            if enrollment is not None:
                signal_after_commit(
                    uow, enrollment.workflow_id, EnrollmentWorkflow.resume, ResumeSignal(actor=actor.email)
                )
    log.info("reply.handled", reply_id=reply_id, actor=actor.email, resumed=resumed)
    return ReplyHandled(reply=ReplyOut.model_validate(reply), resumed=resumed)
