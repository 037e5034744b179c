"""The real SendGrid and Twilio clients, pointed at a local stub: exact payloads, mapped errors."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import parse_qsl

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from activities.channels.base import (
    Address,
    Attachment,
    EmailMessage,
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
    SmsMessage,
)
from activities.channels.sendgrid_email import SendGridEmailChannel
from activities.channels.twilio_sms import TwilioSmsChannel
from workers.embedded.ports import free_port

MESSAGE = EmailMessage(
    delivery_id=41,
    idempotency_key="7:12:40:2026-12-02:email",
    to=(Address("ap@globex.example", "Jane Payables"), Address("cfo@globex.example")),
    sender=Address("ar@acme.example", "Acme AR"),
    reply_to=Address("collections@acme.example"),
    subject="Invoice INV-1042 is due today",
    html_body="<p>Due today</p>",
    text_body="Due today",
    custom_args={"delivery_id": "41", "enrollment_id": "7", "idempotency_key": "7:12:40:2026-12-02:email"},
    categories=("arcadence", "email"),
    attachments=(Attachment("INV-1042.pdf", "application/pdf", b"%PDF-1.4 fake"),),
)


def sendgrid(httpserver: HTTPServer, timeout: float = 5.0) -> SendGridEmailChannel:
    return SendGridEmailChannel("SG.test-key", base_url=httpserver.url_for("").rstrip("/"), timeout=timeout)


async def test_sendgrid_receives_the_exact_payload_and_returns_the_message_id(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/v3/mail/send", method="POST").respond_with_response(
        Response(status=202, headers={"X-Message-Id": "sg-abc123"})
    )

    outcome = await sendgrid(httpserver).send_email(MESSAGE)

    assert (outcome.provider, outcome.message_id) == ("sendgrid", "sg-abc123")
    request, _ = httpserver.log[-1]
    assert request.headers["Authorization"] == "Bearer SG.test-key"
    assert json.loads(request.get_data()) == {
        "personalizations": [
            {"to": [{"email": "ap@globex.example", "name": "Jane Payables"}, {"email": "cfo@globex.example"}]}
        ],
        "from": {"email": "ar@acme.example", "name": "Acme AR"},
        "reply_to": {"email": "collections@acme.example"},
        "subject": "Invoice INV-1042 is due today",
        "content": [
            {"type": "text/plain", "value": "Due today"},
            {"type": "text/html", "value": "<p>Due today</p>"},
        ],
        "custom_args": {
            "delivery_id": "41",
            "enrollment_id": "7",
            "idempotency_key": "7:12:40:2026-12-02:email",
        },
        "categories": ["arcadence", "email"],
        "attachments": [
            {
                "content": base64.b64encode(b"%PDF-1.4 fake").decode(),
                "filename": "INV-1042.pdf",
                "type": "application/pdf",
                "disposition": "attachment",
            }
        ],
    }
    assert "send_at" not in json.loads(request.get_data())


async def test_sendgrid_400_is_a_rejection_with_the_providers_reason(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/v3/mail/send").respond_with_json(
        {"errors": [{"message": "Does not contain a valid address."}]}, status=400
    )
    with pytest.raises(ProviderRejected, match="valid address") as caught:
        await sendgrid(httpserver).send_email(MESSAGE)
    assert caught.value.status == 400


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_sendgrid_throttling_and_outages_are_retryable(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_oneshot_request("/v3/mail/send").respond_with_data("busy", status=status)
    with pytest.raises(ProviderUnavailable) as caught:
        await sendgrid(httpserver).send_email(MESSAGE)
    assert caught.value.status == status


async def test_sendgrid_timeout_after_the_request_left_is_an_unknown_outcome(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response(status=202)

    httpserver.expect_oneshot_request("/v3/mail/send").respond_with_handler(slow)
    with pytest.raises(ProviderOutcomeUnknown):
        await sendgrid(httpserver, timeout=0.3).send_email(MESSAGE)


async def test_sendgrid_unreachable_is_retryable() -> None:
    channel = SendGridEmailChannel("SG.test-key", base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ProviderUnavailable, match="could not connect"):
        await channel.send_email(MESSAGE)


def twilio(httpserver: HTTPServer) -> TwilioSmsChannel:
    return TwilioSmsChannel(
        "AC123", "secret-token", "+15005550006", base_url=httpserver.url_for("").rstrip("/")
    )


SMS = SmsMessage(delivery_id=9, idempotency_key="k", to=("+14155550100",), body="INV-1042 is due")


async def test_twilio_receives_the_form_and_basic_auth_and_returns_the_sid(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(
        "/2010-04-01/Accounts/AC123/Messages.json", method="POST"
    ).respond_with_json({"sid": "SM42", "status": "queued"}, status=201)

    outcome = await twilio(httpserver).send_sms(SMS)

    assert (outcome.provider, outcome.message_id) == ("twilio", "SM42")
    request, _ = httpserver.log[-1]
    assert dict(parse_qsl(request.get_data(as_text=True))) == {
        "To": "+14155550100",
        "From": "+15005550006",
        "Body": "INV-1042 is due",
    }
    assert request.authorization is not None
    assert (request.authorization.username, request.authorization.password) == ("AC123", "secret-token")


async def test_twilio_400_is_a_rejection_and_503_is_retryable(httpserver: HTTPServer) -> None:
    path = "/2010-04-01/Accounts/AC123/Messages.json"
    httpserver.expect_oneshot_request(path).respond_with_json(
        {"code": 21211, "message": "Invalid 'To' Phone Number"}, status=400
    )
    with pytest.raises(ProviderRejected, match="Invalid 'To'"):
        await twilio(httpserver).send_sms(SMS)
    httpserver.expect_oneshot_request(path).respond_with_json({"message": "unavailable"}, status=503)
    with pytest.raises(ProviderUnavailable):
        await twilio(httpserver).send_sms(SMS)
