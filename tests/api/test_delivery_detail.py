"""GET /deliveries/{id}: support staff see exactly what was sent, to whom, through which
provider, and every status the message went through."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric import ec
from pytest_httpserver import HTTPServer
from sqlmodel import select

from domain.enums import Role
from models import Delivery, Invoice, OutboxMessage
from models.history import write_history
from tests.api.conftest import Api
from tests.api.test_sendgrid_webhook import client_for, public_key_of, signature_headers

SENT_AT = datetime(2026, 1, 1, 14, 30, tzinfo=UTC)
ADDRESS = "ap@globex.example"


async def engine_sends_first_reminder(api: Api) -> tuple[int, OutboxMessage]:
    """A customer enrolled in the standard cadence, and time moved on until its first reminder
    (three days before due) went out through the outbox: the delivery's id and what was sent."""
    definition = await api.workflow()
    customer = await api.customer()
    await api.invoice(due_in_days=5)
    await api.enroll(customer["id"], definition["id"])

    async def sent() -> list[OutboxMessage]:
        async with api.sessions() as session:
            query = select(OutboxMessage).join(Delivery, OutboxMessage.delivery_id == Delivery.id)  # type: ignore[arg-type]
            found = (await session.exec(query.where(Delivery.customer_id == customer["id"]))).all()
            return list(found)

    for _ in range(4):
        if await sent():
            break
        await api.env.sleep(timedelta(days=1))
    await api.eventually(sent, timeout=30)
    (message,) = await sent()

    async def settled() -> bool:
        history = await api.ok("GET", f"/customers/{customer['id']}/history")
        return any(h["action"] == "message_sent" for h in history["items"])

    await api.eventually(settled, timeout=30)
    return message.delivery_id, message


async def test_support_sees_exactly_what_was_sent(api: Api) -> None:
    delivery_id, message = await engine_sends_first_reminder(api)

    seen = await api.ok("GET", f"/deliveries/{delivery_id}", Role.SUPPORT)

    assert seen["subject"] == message.subject and "INV-1042" in seen["subject"]
    assert seen["text_body"] == message.text_body and seen["text_body"]
    assert seen["html_body"] == message.html_body and seen["html_body"]
    assert [r["address"] for r in seen["recipients"]] == message.to_addresses == [ADDRESS]
    assert seen["attachments"] == []  # the invoice has no PDF: the channel received none
    assert (seen["provider"], seen["provider_message_id"]) == ("outbox", f"outbox-{message.id}")
    assert message.custom_args["delivery_id"] == str(delivery_id)
    assert seen["status"] == "sent" and seen["attempts"] == 1
    history = seen["status_history"]
    assert [(h["status"], h["source"]) for h in history] == [("pending", "delivery"), ("sent", "delivery")]
    assert history[1]["at"] == seen["sent_at"]
    assert f"outbox-{message.id}" in history[1]["note"]
    # The list stays a light summary: the bodies are only on the delivery itself.
    listed = await api.ok("GET", f"/deliveries?customer_id={seen['customer_id']}", Role.SUPPORT)
    assert listed["items"][0]["id"] == delivery_id and "text_body" not in listed["items"][0]


async def test_every_role_that_lists_deliveries_reads_one_and_nobody_without_a_key(api: Api) -> None:
    delivery = await stored_delivery(api)
    for role in Role:
        assert (await api.call("GET", "/deliveries", role)).status_code == 200, role
        seen = await api.ok("GET", f"/deliveries/{delivery.id}", role)
        assert seen["id"] == delivery.id
    response = await api.http.get(f"/deliveries/{delivery.id}")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"


async def test_an_unknown_delivery_is_a_404_naming_it(api: Api) -> None:
    body = await api.refused("GET", "/deliveries/424242", 404, "not_found", Role.SUPPORT)
    assert body["error"]["details"] == {"id": 424242}
    await api.refused("GET", "/deliveries/2147483648", 422, "invalid_input", Role.SUPPORT)
    await api.refused("GET", "/deliveries/0", 422, "invalid_input", Role.SUPPORT)


# Provider events ------------------------------------------------------------------------------


async def stored_delivery(api: Api) -> Delivery:
    """A delivery SendGrid accepted, as the `send` activity leaves it."""
    customer = await api.customer(contacts=[{"name": "Jane", "email": ADDRESS}])
    async with api.sessions() as session:
        row = Delivery(
            idempotency_key="enr1:step1:inv1:2026-01-01:email",
            occurrence_key="enr1:step1:inv1:2026-01-01",
            customer_id=customer["id"],
            channel="email",
            recipients=[{"address": ADDRESS, "name": "Jane"}],
            subject="Invoice INV-1042",
            html_body="<p>Please pay</p>",
            text_body="Please pay",
            provider="sendgrid",
            provider_message_id="msg1Xy7",
            status="sent",
            attempts=1,
            created_at=SENT_AT,
            updated_at=SENT_AT,
            sent_at=SENT_AT,
        )
        session.add(row)
        await session.commit()
        await session.refresh(row)
        return row


def sendgrid_event(kind: str, of: Delivery, after_s: int, **extra: Any) -> dict[str, Any]:
    """An event as SendGrid posts it, `after_s` seconds after the send."""
    at = int(SENT_AT.timestamp()) + after_s
    return {
        "email": ADDRESS,
        "timestamp": at,
        "event": kind,
        "sg_event_id": f"evt-{kind}-{at}",
        "sg_message_id": f"{of.provider_message_id}.filterdrecv-5645d9c87f-l9r5g-1-5E4F6AAB-11.0",
        "delivery_id": str(of.id),
        "idempotency_key": of.idempotency_key,
        **extra,
    }


@pytest_asyncio.fixture
async def post_events(api: Api) -> AsyncIterator[Any]:
    """Sign and post a batch as SendGrid would, to the app configured with its public key."""
    private = ec.generate_private_key(ec.SECP256R1())
    async with client_for(api, public_key_of(private)) as http:

        async def post(events: list[dict[str, Any]]) -> httpx.Response:
            body = json.dumps(events).encode()
            headers = {"Content-Type": "application/json", **signature_headers(private, body)}
            response = await http.post("/webhooks/sendgrid", content=body, headers=headers)
            assert response.status_code == 200, response.text
            return response

        yield post


async def test_provider_events_show_in_the_status_history_in_the_order_they_happened(
    api: Api, post_events: Any
) -> None:
    delivery = await stored_delivery(api)
    # Batched and out of order, as SendGrid sends them; then a replay of the first batch.
    first = [sendgrid_event("delivered", delivery, 60), sendgrid_event("processed", delivery, 5)]
    await post_events(first)
    await post_events([sendgrid_event("open", delivery, 3600), sendgrid_event("open", delivery, 7200)])
    await post_events(first)

    seen = await api.ok("GET", f"/deliveries/{delivery.id}", Role.SUPPORT)

    assert seen["status"] == "opened"
    assert [(h["status"], h["source"], h["event"]) for h in seen["status_history"]] == [
        ("pending", "delivery", None),
        ("sent", "delivery", None),
        ("sent", "provider_event", "processed"),
        ("delivered", "provider_event", "delivered"),
        ("opened", "provider_event", "open"),
        ("opened", "provider_event", "open"),
    ]
    times = [datetime.fromisoformat(h["at"]) for h in seen["status_history"]]
    assert times == sorted(times)
    assert times[2:] == [SENT_AT + timedelta(seconds=s) for s in (5, 60, 3600, 7200)]
    assert (seen["provider"], seen["provider_message_id"]) == ("sendgrid", "msg1Xy7")


async def test_a_bounce_shows_with_the_providers_reason_and_what_arcadence_did(
    api: Api, post_events: Any
) -> None:
    delivery = await stored_delivery(api)
    reason = "550 5.1.1 The email account that you tried to reach does not exist"
    await post_events(
        [
            sendgrid_event("processed", delivery, 5),
            sendgrid_event("bounce", delivery, 30, reason=reason, type="bounce"),
        ]
    )

    seen = await api.ok("GET", f"/deliveries/{delivery.id}", Role.SUPPORT)

    assert seen["status"] == "bounced"
    history = seen["status_history"]
    assert [(h["status"], h["source"], h["event"]) for h in history] == [
        ("pending", "delivery", None),
        ("sent", "delivery", None),
        ("sent", "provider_event", "processed"),
        ("bounced", "provider_event", "bounce"),
        ("bounced", "history", "email_bounced"),
    ]
    assert history[3]["note"] == reason
    assert "will not be emailed again" in history[4]["note"]


async def test_a_delivery_still_in_flight_ends_its_history_with_its_current_status(api: Api) -> None:
    delivery = await stored_delivery(api)
    async with api.sessions() as session:
        row = await session.get(Delivery, delivery.id)
        assert row is not None
        row.status, row.sent_at, row.provider, row.provider_message_id = "sending", None, None, None
        row.updated_at = SENT_AT + timedelta(seconds=1)
        session.add(row)
        await session.commit()

    seen = await api.ok("GET", f"/deliveries/{delivery.id}", Role.SUPPORT)

    assert [(h["status"], h["at"]) for h in seen["status_history"]] == [
        ("pending", SENT_AT.isoformat().replace("+00:00", "Z")),
        ("sending", (SENT_AT + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")),
    ]


# Attachments ----------------------------------------------------------------------------------


async def test_an_invoice_pdf_that_was_attached_is_listed_by_name(api: Api, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/INV-1042.pdf").respond_with_data(b"%PDF-1.7", content_type="application/pdf")
    definition = await api.workflow()
    customer = await api.customer()
    invoice = await api.invoice(due_in_days=5)
    async with api.sessions() as session:
        row = await session.get(Invoice, invoice["id"])
        assert row is not None
        row.pdf_url = httpserver.url_for("/INV-1042.pdf")  # the API takes https only
        session.add(row)
        await session.commit()
    await api.enroll(customer["id"], definition["id"])

    async def delivered() -> list[dict[str, Any]]:
        page = await api.ok("GET", f"/deliveries?customer_id={customer['id']}&status=sent")
        items: list[dict[str, Any]] = page["items"]
        return items

    for _ in range(4):
        if await delivered():
            break
        await api.env.sleep(timedelta(days=1))
    await api.eventually(delivered, timeout=30)
    (sent,) = await delivered()
    assert any(request.path == "/INV-1042.pdf" for request, _ in httpserver.log)  # it was attached
    seen = await api.ok("GET", f"/deliveries/{sent['id']}", Role.SUPPORT)
    assert seen["attachments"] == ["INV-1042.pdf"]


async def test_a_refused_send_shows_when_it_failed_from_the_steps_record(api: Api) -> None:
    delivery = await stored_delivery(api)
    failed_at = SENT_AT + timedelta(seconds=2)
    error = "sendgrid 400: invalid recipient"
    async with api.sessions() as session:
        row = await session.get(Delivery, delivery.id)
        assert row is not None
        row.status, row.sent_at, row.provider, row.provider_message_id = "failed", None, None, None
        row.last_error = error
        session.add(row)
        # What the enrollment's `record` activity writes after the send (workflows/enrollment.py).
        await write_history(
            session,
            customer_id=row.customer_id,
            action="message_not_sent",
            description=f"Reminder 1 for INV-1042 not sent: failed: {error}",
            actor="arcadence",
            occurred_at=failed_at,
            details={"deliveries": [{"id": row.id, "status": "failed", "provider_message_id": None}]},
            key="occ1:message_not_sent",
        )
        await session.commit()

    seen = await api.ok("GET", f"/deliveries/{delivery.id}", Role.SUPPORT)

    assert seen["status"] == "failed" and seen["last_error"] == error
    history = seen["status_history"]
    assert [(h["status"], h["source"], h["event"]) for h in history] == [
        ("pending", "delivery", None),
        ("failed", "history", "message_not_sent"),
    ]
    assert datetime.fromisoformat(history[1]["at"]) == failed_at and error in history[1]["note"]
