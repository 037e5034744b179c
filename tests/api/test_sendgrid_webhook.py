"""SendGrid's Event Webhook: only signed batches get in, each event counts once, statuses only
move forward, and an unreachable address is suppressed, recorded and handed to the specialist."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select

from api.app import create_app
from domain.enums import Role
from models import Contact, Customer, Delivery, DeliveryEvent, HistoryEntry, Task
from models.settings import Settings
from services.webhooks.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.api.conftest import Api

EVENT_AT = 1_767_225_600  # 2026-01-01T00:00:00Z, when the events happened
ADDRESS = "ap@globex.example"


def public_key_of(private: ec.EllipticCurvePrivateKey) -> str:
    """The public key as SendGrid's settings page shows it: base64 DER SubjectPublicKeyInfo."""
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def signature_headers(
    private: ec.EllipticCurvePrivateKey, body: bytes, at: int | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if at is None else at)
    signature = private.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {SIGNATURE_HEADER: base64.b64encode(signature).decode(), TIMESTAMP_HEADER: stamp}


@dataclass
class Hook:
    api: Api
    http: httpx.AsyncClient
    key: ec.EllipticCurvePrivateKey

    async def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.http.post(
            "/webhooks/sendgrid", content=body, headers={"Content-Type": "application/json", **headers}
        )

    async def send(self, events: list[Any], status: int = 200) -> dict[str, Any]:
        """Sign and post a batch as SendGrid would; the receipt."""
        body = json.dumps(events).encode()
        response = await self.post(body, signature_headers(self.key, body))
        assert response.status_code == status, response.text
        receipt: dict[str, Any] = response.json()
        return receipt

    async def refused(self, body: bytes, headers: dict[str, str], status: int, code: str) -> None:
        response = await self.post(body, headers)
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code, response.text


@asynccontextmanager
async def client_for(api: Api, public_key: str | None) -> AsyncIterator[httpx.AsyncClient]:
    """The app as the `api` fixture builds it, with this webhook public key configured."""
    settings = Settings(sendgrid_webhook_public_key=public_key)
    app = create_app(settings, sessions=api.sessions, temporal=api.env.client, task_queue=api.task_queue)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@pytest_asyncio.fixture
async def hook(api: Api) -> AsyncIterator[Hook]:
    private = ec.generate_private_key(ec.SECP256R1())
    async with client_for(api, public_key_of(private)) as http:
        yield Hook(api, http, private)


async def delivery(api: Api, customer_id: int, n: int = 1, status: str = "sent") -> Delivery:
    async with api.sessions() as session:
        row = Delivery(
            idempotency_key=f"enr1:step{n}:inv1:2026-01-01:email",
            occurrence_key=f"enr1:step{n}:inv1:2026-01-01",
            customer_id=customer_id,
            channel="email",
            recipients=[{"address": ADDRESS, "name": "Jane"}],
            subject="Invoice INV-1042",
            text_body="Please pay",
            provider="sendgrid",
            provider_message_id=f"msg{n}Xy7",
            status=status,
        )
        session.add(row)
        await session.commit()
        await session.refresh(row)
        return row


def event(kind: str, of: Delivery, at: int = EVENT_AT, **extra: Any) -> dict[str, Any]:
    """An event as SendGrid posts it, with the custom_args `send` put on the message."""
    return {
        "email": ADDRESS,
        "timestamp": at,
        "event": kind,
        "sg_event_id": f"evt-{kind}-{at}",
        "sg_message_id": f"{of.provider_message_id}.filterdrecv-5645d9c87f-l9r5g-1-5E4F6AAB-11.0",
        "delivery_id": str(of.id),
        "enrollment_id": "",
        "idempotency_key": of.idempotency_key,
        **extra,
    }


async def status_of(api: Api, row: Delivery) -> str:
    async with api.sessions() as session:
        found = await session.get(Delivery, row.id)
        assert found is not None
        return found.status


async def rows(api: Api, model: type[Any], **where: Any) -> list[Any]:
    async with api.sessions() as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list((await session.exec(query)).all())


async def test_a_signed_batch_moves_the_delivery_forward_and_its_replay_changes_nothing(hook: Hook) -> None:
    customer = await hook.api.customer()
    sent = await delivery(hook.api, customer["id"])
    batch = [
        event("processed", sent),
        event("delivered", sent, EVENT_AT + 5),
        event("open", sent, EVENT_AT + 60),
        event("click", sent, EVENT_AT + 90, url="https://pay.example/inv-1042"),
    ]
    first = await hook.send(batch)
    assert first == {"received": 4, "applied": 4, "duplicates": 0, "unmatched": 0, "ignored": 0}
    assert await status_of(hook.api, sent) == "clicked"

    replay = await hook.send(batch)
    assert replay == {"received": 4, "applied": 0, "duplicates": 4, "unmatched": 0, "ignored": 0}
    stored = await rows(hook.api, DeliveryEvent)
    assert sorted(e.event for e in stored) == ["click", "delivered", "open", "processed"]
    assert {e.delivery_id for e in stored} == {sent.id}
    assert await rows(hook.api, HistoryEntry) == [] and await rows(hook.api, Task) == []


async def test_each_event_type_sets_its_status(hook: Hook) -> None:
    customer = await hook.api.customer()
    expected = {
        "delivered": "delivered",
        "open": "opened",
        "click": "clicked",
        "deferred": "deferred",
        "bounce": "bounced",
        "dropped": "dropped",
        "spamreport": "spam_reported",
        "unsubscribe": "unsubscribed",
    }
    deliveries = {kind: await delivery(hook.api, customer["id"], n) for n, kind in enumerate(expected)}
    receipt = await hook.send([event(kind, row) for kind, row in deliveries.items()])
    assert receipt["applied"] == len(expected)
    assert {kind: await status_of(hook.api, row) for kind, row in deliveries.items()} == expected


async def test_a_processed_event_settles_a_delivery_whose_outcome_was_unknown(hook: Hook) -> None:
    customer = await hook.api.customer()
    unknown = await delivery(hook.api, customer["id"], status="unknown")
    async with hook.api.sessions() as session:
        row = await session.get(Delivery, unknown.id)
        assert row is not None
        row.provider_message_id = None  # the answer never came back: only custom_args can match
        session.add(row)
        # The send left a question for the specialist (activities/sending.py).
        session.add(
            Task(
                customer_id=row.customer_id,
                idempotency_key=f"unknown:{row.id}",
                title=f"Check whether message {row.id} reached the customer",
            )
        )
        await session.commit()
    batch = [event("processed", unknown)]
    await hook.send(batch)
    await hook.send(batch)
    async with hook.api.sessions() as session:
        settled = await session.get(Delivery, unknown.id)
    assert settled is not None and settled.status == "sent"
    assert settled.provider_message_id == "msg1Xy7" and settled.sent_at is not None
    history = await rows(hook.api, HistoryEntry)
    assert [h.action for h in history] == ["delivery_confirmed"]
    (question,) = await rows(hook.api, Task)
    assert (question.status, question.completed_by) == ("done", "sendgrid")


async def test_a_status_never_moves_back(hook: Hook) -> None:
    customer = await hook.api.customer()
    sent = await delivery(hook.api, customer["id"])
    await hook.send([event("open", sent, EVENT_AT + 60)])
    # Late and out of order: these happened before the open.
    await hook.send([event("delivered", sent), event("deferred", sent), event("processed", sent)])
    assert await status_of(hook.api, sent) == "opened"
    # A bounce is a failure whatever came before it, and nothing undoes it.
    await hook.send([event("bounce", sent, EVENT_AT + 120, reason="550 mailbox full")])
    await hook.send([event("delivered", sent, EVENT_AT + 180), event("click", sent, EVENT_AT + 200)])
    assert await status_of(hook.api, sent) == "bounced"


async def test_a_bounce_suppresses_the_contact_and_tasks_the_specialist_once(hook: Hook) -> None:
    customer = await hook.api.customer()
    specialist = hook.api.users[Role.AR_SPECIALIST]
    async with hook.api.sessions() as session:
        row = await session.get(Customer, customer["id"])
        assert row is not None
        row.specialist_id = specialist.id
        session.add(row)
        await session.commit()
    sent = await delivery(hook.api, customer["id"])
    reason = "550 5.1.1 The email account that you tried to reach does not exist"
    batch = [event("delivered", sent), event("bounce", sent, EVENT_AT + 30, reason=reason, type="bounce")]
    assert (await hook.send(batch))["applied"] == 2
    assert (await hook.send(batch))["duplicates"] == 2
    # SendGrid reports the same bounce again later: a new event, but nothing new to do.
    await hook.send([event("bounce", sent, EVENT_AT + 3600, reason=reason, type="bounce")])

    assert await status_of(hook.api, sent) == "bounced"
    (contact,) = await rows(hook.api, Contact, customer_id=customer["id"])
    assert contact.suppressed_at is not None and reason in (contact.suppression_reason or "")
    (entry,) = await rows(hook.api, HistoryEntry)
    assert entry.action == "email_bounced" and entry.actor == "sendgrid"
    assert ADDRESS in entry.description and reason in entry.description
    assert entry.details["delivery_id"] == sent.id and entry.details["contact_suppressed"] is True
    (task,) = await rows(hook.api, Task)
    assert task.assignee_id == specialist.id and task.customer_id == customer["id"]
    assert task.title == f"Email to {ADDRESS} bounced: fix the contact"
    assert len(await rows(hook.api, DeliveryEvent)) == 3
    history = await hook.api.ok("GET", f"/customers/{customer['id']}/history")
    assert [h["action"] for h in history["items"]] == ["email_bounced"]


async def test_a_drop_without_an_assigned_specialist_leaves_the_task_unassigned(hook: Hook) -> None:
    customer = await hook.api.customer()
    sent = await delivery(hook.api, customer["id"])
    await hook.send([event("dropped", sent, reason="Bounced Address")])
    (task,) = await rows(hook.api, Task)
    assert task.assignee_id is None and task.title == f"Email to {ADDRESS} was dropped: fix the contact"
    (entry,) = await rows(hook.api, HistoryEntry)
    assert entry.action == "email_dropped" and "Bounced Address" in entry.description


async def test_a_blocked_bounce_fails_the_delivery_but_keeps_the_address(hook: Hook) -> None:
    customer = await hook.api.customer()
    sent = await delivery(hook.api, customer["id"])
    await hook.send([event("bounce", sent, reason="554 blocked by policy", type="blocked")])
    assert await status_of(hook.api, sent) == "bounced"
    (contact,) = await rows(hook.api, Contact, customer_id=customer["id"])
    assert contact.suppressed_at is None
    assert len(await rows(hook.api, HistoryEntry)) == 1 and len(await rows(hook.api, Task)) == 1


async def test_unknown_messages_events_and_entries_are_counted_not_refused(hook: Hook) -> None:
    customer = await hook.api.customer()
    sent = await delivery(hook.api, customer["id"])
    by_message_id_only = {k: v for k, v in event("delivered", sent).items() if k not in ("delivery_id",)}
    by_message_id_only.pop("idempotency_key")
    strangers = event("open", sent)
    strangers.update(sg_message_id="someone-else.filter1.0", delivery_id="999999", idempotency_key="x")
    other_environment = event("click", sent)  # same delivery id, another database's key
    other_environment.update(sg_message_id="staging-msg.filter1.0", idempotency_key="staging:key")
    batch: list[Any] = [
        by_message_id_only,
        strangers,
        other_environment,
        event("group_resubscribe", sent),
        {"event": "open"},  # no timestamp
        "not an event",
        {"event": "open", "timestamp": "yesterday"},
        {"event": "open", "timestamp": 10**30},
    ]
    receipt = await hook.send(batch)
    assert receipt == {"received": 8, "applied": 1, "duplicates": 0, "unmatched": 2, "ignored": 5}
    assert await status_of(hook.api, sent) == "delivered"
    stored = {e.event: e.delivery_id for e in await rows(hook.api, DeliveryEvent)}
    assert stored == {"delivered": sent.id, "open": None, "click": None, "group_resubscribe": sent.id}


async def test_hostile_values_in_a_signed_batch_are_stored_not_crashed_on(hook: Hook) -> None:
    customer = await hook.api.customer()
    sent = await delivery(hook.api, customer["id"])
    odd = event("open", sent, useragent="nul\x00 and \ud800", score="INF", tags=[[[["deep"]]]])
    # 1e999 is valid JSON that Python reads as infinity, which jsonb cannot store.
    body = json.dumps([odd, event("x" * 500, sent)]).encode().replace(b'"INF"', b"1e999")
    response = await hook.post(body, signature_headers(hook.key, body))
    assert response.status_code == 200, response.text
    assert response.json()["applied"] == 1 and response.json()["ignored"] == 1
    stored = {e.event: e.payload for e in await rows(hook.api, DeliveryEvent)}
    assert stored["open"]["useragent"] == "nul and ?" and stored["open"]["score"] is None
    assert stored["x" * 32]["event"] == "x" * 500


async def test_unsigned_stale_or_altered_requests_are_refused_and_write_nothing(hook: Hook) -> None:
    customer = await hook.api.customer()
    sent = await delivery(hook.api, customer["id"])
    body = json.dumps([event("bounce", sent)]).encode()
    good = signature_headers(hook.key, body)
    stranger = ec.generate_private_key(ec.SECP256R1())

    await hook.refused(body, {}, 401, "bad_signature")
    await hook.refused(body, {SIGNATURE_HEADER: good[SIGNATURE_HEADER]}, 401, "bad_signature")
    await hook.refused(body, {TIMESTAMP_HEADER: good[TIMESTAMP_HEADER]}, 401, "bad_signature")
    await hook.refused(body, signature_headers(stranger, body), 401, "bad_signature")
    await hook.refused(body.replace(b"bounce", b"click_"), good, 401, "bad_signature")
    await hook.refused(body, {**good, SIGNATURE_HEADER: "not base64!"}, 401, "bad_signature")
    await hook.refused(body, {**good, TIMESTAMP_HEADER: "12:00"}, 401, "bad_signature")
    # A different timestamp with the same signature: the timestamp is part of what is signed.
    shifted = str(int(good[TIMESTAMP_HEADER]) - 1)
    await hook.refused(body, {**good, TIMESTAMP_HEADER: shifted}, 401, "bad_signature")
    stale = signature_headers(hook.key, body, at=int(time.time()) - 301)
    await hook.refused(body, stale, 401, "stale_signature")
    future = signature_headers(hook.key, body, at=int(time.time()) + 301)
    await hook.refused(body, future, 401, "stale_signature")
    # An API key is no substitute for SendGrid's signature.
    await hook.refused(body, hook.api.as_(Role.OWNER), 401, "bad_signature")

    assert await rows(hook.api, DeliveryEvent) == []
    assert await status_of(hook.api, sent) == "sent"
    assert await rows(hook.api, HistoryEntry) == [] and await rows(hook.api, Task) == []
    (contact,) = await rows(hook.api, Contact, customer_id=customer["id"])
    assert contact.suppressed_at is None


async def test_without_a_public_key_nothing_is_accepted(api: Api) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    body = b"[]"
    for configured in (None, "", "bm90IGEga2V5"):  # unset, empty, not a key
        async with client_for(api, configured) as http:
            response = await http.post(
                "/webhooks/sendgrid", content=body, headers=signature_headers(private, body)
            )
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "webhook_not_configured"


async def test_a_signed_body_that_is_not_an_event_array_is_a_400(hook: Hook) -> None:
    for body in (b"{not json", b'{"event": "open"}', b"[NaN]", b"\xff\xfe[", b"[" * 100_000):
        headers = signature_headers(hook.key, body)
        await hook.refused(body, headers, 400, "malformed_events")
    assert (await hook.send([])) == {
        "received": 0,
        "applied": 0,
        "duplicates": 0,
        "unmatched": 0,
        "ignored": 0,
    }


async def test_a_body_over_the_cap_is_a_413(hook: Hook) -> None:
    body = b"[" + b'{"event":"open"},' * 70_000 + b"{}]"
    await hook.refused(body, signature_headers(hook.key, body), 413, "body_too_large")
