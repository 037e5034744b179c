"""The real SendGrid client, pointed at a local stub: the exact payload, and errors by retryability."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import threading

import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from activities.channels.base import (
    Address,
    Attachment,
    EmailMessage,
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
)
from activities.channels.factory import build_channels
from activities.channels.outbox import OutboxChannel
from activities.channels.sendgrid_email import SendGridEmailChannel
from models.settings import Settings
from workers.embedded.ports import free_port

KEY = "7:12:40:2026-12-02:email"
PDF = b"%PDF-1.4 fake invoice"

MESSAGE = EmailMessage(
    delivery_id=41,
    idempotency_key=KEY,
    to=(Address("ap@globex.example", "Jane Payables"), Address("cfo@globex.example")),
    sender=Address("ar@acme.example", "Acme AR"),
    reply_to=Address("collections@acme.example", "Acme Collections"),
    subject="Invoice INV-1042 is due today",
    html_body="<p>Invoice <b>INV-1042</b> is due today</p>",
    text_body="Invoice INV-1042 is due today",
    custom_args={"delivery_id": "41", "enrollment_id": "7", "idempotency_key": KEY},
    categories=("arcadence", "customer_email"),
    attachments=(Attachment("INV-1042.pdf", "application/pdf", content=PDF),),
)


def channel_at(httpserver: HTTPServer, timeout: float = 5) -> SendGridEmailChannel:
    # url_for("") ends with "/": the channel must not turn it into "//v3/mail/send".
    return SendGridEmailChannel("SG.test-key", base_url=httpserver.url_for(""), timeout=timeout)


async def until_answered(httpserver: HTTPServer) -> None:
    """Wait for a held stub to finish, so that its request is not logged in the next test."""
    for _ in range(100):
        if httpserver.log:
            return
        await asyncio.sleep(0.02)


def sent_json(httpserver: HTTPServer) -> dict[str, object]:
    request, _ = httpserver.log[-1]
    body: dict[str, object] = json.loads(request.get_data())
    return body


async def test_sendgrid_receives_exactly_the_rendered_message_and_its_keys(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/v3/mail/send", method="POST").respond_with_response(
        Response(status=202, headers={"X-Message-Id": "sg-abc123"})
    )

    outcome = await channel_at(httpserver).send_email(MESSAGE)

    httpserver.check_assertions()
    assert (outcome.provider, outcome.message_id) == ("sendgrid", "sg-abc123")
    request, _ = httpserver.log[-1]
    assert request.headers["Authorization"] == "Bearer SG.test-key"
    assert request.headers["Content-Type"] == "application/json"
    assert sent_json(httpserver) == {
        "personalizations": [
            {"to": [{"email": "ap@globex.example", "name": "Jane Payables"}, {"email": "cfo@globex.example"}]}
        ],
        "from": {"email": "ar@acme.example", "name": "Acme AR"},
        "reply_to": {"email": "collections@acme.example", "name": "Acme Collections"},
        "subject": "Invoice INV-1042 is due today",
        "content": [
            {"type": "text/plain", "value": "Invoice INV-1042 is due today"},
            {"type": "text/html", "value": "<p>Invoice <b>INV-1042</b> is due today</p>"},
        ],
        "custom_args": {"delivery_id": "41", "enrollment_id": "7", "idempotency_key": KEY},
        "categories": ["arcadence", "customer_email"],
        "attachments": [
            {
                "content": base64.b64encode(PDF).decode("ascii"),
                "filename": "INV-1042.pdf",
                "type": "application/pdf",
                "disposition": "attachment",
            }
        ],
    }


async def test_a_plain_text_message_without_reply_to_sends_only_what_it_has(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/v3/mail/send").respond_with_response(
        Response(status=202, headers={"X-Message-Id": "sg-plain"})
    )
    plain = EmailMessage(
        delivery_id=42,
        idempotency_key="k-42",
        to=(Address("ap@globex.example"),),
        sender=Address("ar@acme.example"),
        reply_to=None,
        subject="Statement",
        html_body=None,
        text_body="Your statement",
        custom_args={"delivery_id": "42"},
        # Not loaded by the caller: not attached (and nothing else breaks).
        attachments=(Attachment("INV-1.pdf", "application/pdf", url="https://files.example/INV-1.pdf"),),
    )

    await channel_at(httpserver).send_email(plain)

    assert sent_json(httpserver) == {
        "personalizations": [{"to": [{"email": "ap@globex.example"}]}],
        "from": {"email": "ar@acme.example"},
        "subject": "Statement",
        "content": [{"type": "text/plain", "value": "Your statement"}],
        "custom_args": {"delivery_id": "42"},
    }


async def test_the_schedule_is_temporals_so_send_at_is_never_set(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/v3/mail/send").respond_with_data("", status=202)

    outcome = await channel_at(httpserver).send_email(MESSAGE)

    assert "send_at" not in sent_json(httpserver)
    assert outcome.message_id is None  # no X-Message-Id header: the webhook's custom_args still match


async def test_the_reply_token_goes_out_as_the_message_id_header(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/v3/mail/send").respond_with_data("", status=202)
    token = "<arcadence.41.0123456789abcdef01234567@acme.example>"

    await channel_at(httpserver).send_email(dataclasses.replace(MESSAGE, headers={"Message-ID": token}))

    assert sent_json(httpserver)["headers"] == {"Message-ID": token}


async def test_a_400_is_a_rejection_that_carries_sendgrids_reason(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/v3/mail/send").respond_with_json(
        {"errors": [{"message": "Does not contain a valid address.", "field": "personalizations.0.to"}]},
        status=400,
    )

    with pytest.raises(ProviderRejected, match="Does not contain a valid address") as caught:
        await channel_at(httpserver).send_email(MESSAGE)

    assert (caught.value.provider, caught.value.status) == ("sendgrid", 400)
    assert "personalizations.0.to" in caught.value.detail


@pytest.mark.parametrize("status", [401, 403, 413])
async def test_other_4xx_answers_are_rejections(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_oneshot_request("/v3/mail/send").respond_with_json({"errors": []}, status=status)

    with pytest.raises(ProviderRejected) as caught:
        await channel_at(httpserver).send_email(MESSAGE)

    assert caught.value.status == status


@pytest.mark.parametrize("status", [429, 500, 502, 503])
async def test_throttling_and_outages_are_retryable(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_oneshot_request("/v3/mail/send").respond_with_data("busy", status=status)

    with pytest.raises(ProviderUnavailable, match="busy") as caught:
        await channel_at(httpserver).send_email(MESSAGE)

    assert caught.value.status == status


async def test_no_answer_after_the_request_left_is_an_unknown_outcome(httpserver: HTTPServer) -> None:
    arrived, answer = threading.Event(), threading.Event()

    def held(request: Request) -> Response:
        arrived.set()
        answer.wait(5)
        return Response(status=202)

    httpserver.expect_oneshot_request("/v3/mail/send").respond_with_handler(held)

    with pytest.raises(ProviderOutcomeUnknown):
        await channel_at(httpserver, timeout=0.5).send_email(MESSAGE)

    assert arrived.is_set()  # the request did arrive: only the webhook can tell what happened
    answer.set()
    await until_answered(httpserver)


async def test_a_refused_connection_is_retryable() -> None:
    closed = SendGridEmailChannel("SG.test-key", base_url=f"http://127.0.0.1:{free_port()}", timeout=0.5)

    with pytest.raises(ProviderUnavailable, match="could not connect"):
        await closed.send_email(MESSAGE)


async def test_a_message_without_recipients_is_rejected_before_any_request(httpserver: HTTPServer) -> None:
    nobody = EmailMessage(
        delivery_id=1,
        idempotency_key="k",
        to=(),
        sender=Address("ar@acme.example"),
        reply_to=None,
        subject="s",
        html_body=None,
        text_body="t",
        custom_args={},
    )

    with pytest.raises(ProviderRejected, match="no recipient"):
        await channel_at(httpserver).send_email(nobody)

    assert httpserver.log == []


def test_settings_choose_sendgrid_and_refuse_it_without_an_api_key() -> None:
    chosen = Settings(email_channel="sendgrid", sendgrid_api_key=SecretStr("SG.x"), sms_channel="outbox")
    email, sms = build_channels(chosen, session_factory=None)  # type: ignore[arg-type]
    assert isinstance(email, SendGridEmailChannel)
    assert isinstance(sms, OutboxChannel)

    with pytest.raises(ValueError, match="ARCADENCE_SENDGRID_API_KEY"):
        build_channels(Settings(email_channel="sendgrid", sendgrid_api_key=None), None)  # type: ignore[arg-type]
