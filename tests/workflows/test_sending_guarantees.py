"""Claim, send, mark: a retry never sends twice; continue-as-new keeps the cadence's state."""

from __future__ import annotations

import base64
import contextlib
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

from pytest_httpserver import HTTPServer
from sqlmodel.ext.asyncio.session import AsyncSession
from werkzeug import Response

from activities.channels.base import EmailMessage, SendOutcome
from activities.channels.outbox import OutboxChannel
from activities.channels.sendgrid_email import SendGridEmailChannel
from activities.contracts import SendInput
from activities.documents import DocumentFetcher, parse_networks
from activities.sending import SendingActivities
from models import Delivery, HistoryEntry, Task
from models.base import require_id
from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
)
from tests.workflows.conftest import Engine
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import ContinueWithSignal, PauseSignal

NY = ZoneInfo("America/New_York")
# The tests' document store is a local stub on loopback, which a worker refuses unless allowed.
LOOPBACK_DOCUMENTS = DocumentFetcher(allowed_networks=parse_networks(["127.0.0.1/32", "::1/128"]))


class FailsBeforeTheRequest(OutboxChannel):
    """Raises on the first call, before anything leaves; then behaves."""

    calls = 0

    async def send_email(self, message: EmailMessage) -> SendOutcome:
        type(self).calls += 1
        if type(self).calls == 1:
            raise ConnectionRefusedError("provider not reachable")
        return await super().send_email(message)


class CrashesAfterTheProviderAccepted(OutboxChannel):
    """The provider accepts (the outbox row is written), then the worker 'dies' before marking."""

    async def send_email(self, message: EmailMessage) -> SendOutcome:
        await super().send_email(message)
        raise SystemExit("worker killed after the request left")


async def _one_reminder(session: AsyncSession, cadence: Engine):
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer)
    await make_invoice(session, customer, due_date=today + timedelta(days=2))
    definition = await make_definition(session, steps=[{"offset_days": 0, "action": "customer_email"}])
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    return customer, definition, enrollment


async def test_a_send_retried_after_a_failure_before_the_provider_call_sends_once(
    session: AsyncSession, cadence: Engine
) -> None:
    customer, definition, enrollment = await _one_reminder(session, cadence)
    FailsBeforeTheRequest.calls = 0
    async with cadence.worker(email=FailsBeforeTheRequest(cadence.sessions)) as flaky:
        handle = await flaky.start(enrollment, definition)
        await flaky.advance(handle, timedelta(days=3))

    (delivery,) = await cadence.deliveries(customer.id)
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(await cadence.outbox(customer.id)) == 1


async def test_a_send_retried_after_the_row_was_marked_sent_sends_nothing(
    session: AsyncSession, cadence: Engine
) -> None:
    customer, definition, enrollment = await _one_reminder(session, cadence)
    handle = await cadence.start(enrollment, definition)
    await cadence.advance(handle, timedelta(days=3))
    (delivery,) = await cadence.deliveries(customer.id)

    again = await SendingActivities(
        cadence.sessions, OutboxChannel(cadence.sessions), OutboxChannel(cadence.sessions)
    ).send(SendInput(delivery_id=delivery.id, as_of=await cadence.now()))

    assert again.status == "sent" and "nothing sent again" in again.note
    assert len(await cadence.outbox(customer.id)) == 1


async def test_an_interrupted_send_is_marked_unknown_never_sent_twice_and_a_person_is_asked(
    session: AsyncSession, cadence: Engine
) -> None:
    customer, definition, enrollment = await _one_reminder(session, cadence)
    sending = SendingActivities(
        cadence.sessions, CrashesAfterTheProviderAccepted(cadence.sessions), OutboxChannel(cadence.sessions)
    )
    handle = await cadence.start(enrollment, definition)
    await cadence.terminate_all()  # the test drives the activities itself from here
    async with cadence.sessions() as s:
        delivery = Delivery(
            idempotency_key="manual:1",
            occurrence_key="manual",
            customer_id=customer.id,
            enrollment_id=enrollment.id,
            channel="email",
            recipients=[{"address": "ap@globex.example"}],
            subject="Reminder",
            text_body="Please pay",
        )
        s.add(delivery)
        await s.commit()
    with contextlib.suppress(SystemExit):
        await sending.send(SendInput(delivery_id=delivery.id, as_of=await cadence.now()))
    retried = await sending.send(SendInput(delivery_id=delivery.id, as_of=await cadence.now()))

    assert retried.status == "unknown"
    (row,) = await cadence.rows(Delivery, Delivery.id == delivery.id)
    assert row.status == "unknown"
    assert len(await cadence.outbox(customer.id)) == 1  # the documented window: accepted once, never twice
    assert [
        h.action
        for h in await cadence.rows(HistoryEntry, HistoryEntry.customer_id == customer.id)
        if h.action == "delivery_unknown"
    ]
    assert len(await cadence.rows(Task, Task.customer_id == customer.id)) == 1
    assert handle.id


async def test_continue_as_new_keeps_cursor_pause_and_continue_with(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer)
    definition = await make_definition(
        session,
        kind="customer",
        frequency={"period": "weekly", "weekday": today.weekday()},
        steps=[{"offset_days": 0, "action": "statement_email"}],
    )
    successor = await make_definition(
        session, kind="assignment", steps=[{"offset_days": 1, "action": "note"}]
    )
    await make_invoice(session, customer, due_date=today - timedelta(days=1))
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition, max_steps_per_run=2)
    first_run = (await handle.query(EnrollmentWorkflow.status)).enrollment_id
    await handle.signal(
        EnrollmentWorkflow.continue_with,
        ContinueWithSignal(definition_id=successor.id, actor="ar@acme.example"),
    )
    await cadence.wait_for(handle, lambda s: s.continue_with_id == successor.id)

    await cadence.advance(handle, timedelta(days=15))  # two statements, then a fresh run

    status = await handle.query(EnrollmentWorkflow.status)
    assert status.enrollment_id == first_run
    assert status.steps_done >= 2
    assert status.continue_with_id == successor.id
    history = await handle.fetch_history()
    assert history.events[0].workflow_execution_started_event_attributes.continued_execution_run_id != ""
    sent_before = len(await cadence.outbox(customer.id))
    customer.paused, customer.paused_by, customer.pause_reason = True, "support@acme.example", "dispute"
    session.add(customer)
    await session.commit()
    await handle.signal(EnrollmentWorkflow.pause, PauseSignal(actor="support@acme.example", reason="dispute"))
    await cadence.wait_for(handle, lambda s: s.paused)
    await cadence.advance(handle, timedelta(days=15))
    status = await handle.query(EnrollmentWorkflow.status)
    assert status.paused and status.continue_with_id == successor.id
    assert len(await cadence.outbox(customer.id)) == sent_before


async def _reminder_with_a_pdf(
    session: AsyncSession,
    cadence: Engine,
    httpserver: HTTPServer,
    number: str,
    message_id: str,
    documents: DocumentFetcher | None,
) -> int:
    """A due-date reminder for an invoice whose PDF the local stub serves, sent through SendGrid
    (the stub too) by a worker fetching documents with `documents`; returns the customer id."""
    httpserver.expect_request(f"/invoices/{number}.pdf").respond_with_data(
        b"%PDF-1.7 invoice", content_type="application/pdf"
    )
    httpserver.expect_request("/v3/mail/send", method="POST").respond_with_response(
        Response(status=202, headers={"X-Message-Id": message_id})
    )
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer)
    await make_invoice(
        session,
        customer,
        number=number,
        due_date=today + timedelta(days=2),
        pdf_url=httpserver.url_for(f"/invoices/{number}.pdf"),
    )
    definition = await make_definition(session, steps=[{"offset_days": 0, "action": "customer_email"}])
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    sendgrid = SendGridEmailChannel("SG.key", base_url=httpserver.url_for("").rstrip("/"))

    async with cadence.worker(email=sendgrid, documents=documents) as real:
        handle = await real.start(enrollment, definition)
        await real.advance(handle, timedelta(days=3))
    return require_id(customer)


async def test_an_invoice_reminder_carries_the_invoice_pdf(
    session: AsyncSession, cadence: Engine, httpserver: HTTPServer
) -> None:
    customer_id = await _reminder_with_a_pdf(
        session, cadence, httpserver, "INV-9", "sg-pdf", documents=LOOPBACK_DOCUMENTS
    )

    (delivery,) = await cadence.deliveries(customer_id)
    assert (delivery.status, delivery.provider_message_id) == ("sent", "sg-pdf")
    sent = [json.loads(r.get_data()) for r, _ in httpserver.log if r.path == "/v3/mail/send"]
    assert sent[0]["attachments"] == [
        {
            "content": base64.b64encode(b"%PDF-1.7 invoice").decode(),
            "filename": "INV-9.pdf",
            "type": "application/pdf",
            "disposition": "attachment",
        }
    ]


async def test_a_reminder_whose_pdf_is_refused_is_not_sent_and_says_why(
    session: AsyncSession, cadence: Engine, httpserver: HTTPServer
) -> None:
    """The PDF link points at an internal address (here loopback, not allowed): the worker does
    not fetch it, and the reminder that promises the PDF is not sent without it."""
    # The default fetcher: public addresses only.
    customer_id = await _reminder_with_a_pdf(
        session, cadence, httpserver, "INV-10", "sg-never", documents=None
    )

    assert [r.path for r, _ in httpserver.log] == []  # neither the PDF nor the mail was requested
    (delivery,) = await cadence.deliveries(customer_id)
    assert delivery.status == "failed"
    assert "the PDF of INV-10 was refused" in (delivery.last_error or "")
    assert "loopback" in (delivery.last_error or "")
    entries = [h for h in await cadence.history(customer_id) if h.action == "message_not_sent"]
    assert len(entries) == 1
    assert "the PDF of INV-10 was refused" in entries[0].description
    assert "a loopback address" in entries[0].description
