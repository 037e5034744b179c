"""The real Twilio client, pointed at a local stub: the exact form, and errors by retryability."""

from __future__ import annotations

import asyncio
import threading
from urllib.parse import parse_qsl

import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from activities.channels.base import (
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
    SmsMessage,
)
from activities.channels.factory import build_channels
from activities.channels.twilio_sms import TwilioSmsChannel
from models.settings import Settings
from workers.embedded.ports import free_port

MESSAGES = "/2010-04-01/Accounts/AC123/Messages.json"

SMS = SmsMessage(
    delivery_id=9,
    idempotency_key="7:12:40:2026-12-02:sms",
    to=("+14155550100",),
    body="Acme: invoice INV-1042 is due today",
    custom_args={"delivery_id": "9"},
)


def channel_at(httpserver: HTTPServer, timeout: float = 5) -> TwilioSmsChannel:
    return TwilioSmsChannel(
        "AC123", "secret-token", "+15005550006", base_url=httpserver.url_for(""), timeout=timeout
    )


def sent_forms(httpserver: HTTPServer) -> list[dict[str, str]]:
    return [dict(parse_qsl(request.get_data(as_text=True))) for request, _ in httpserver.log]


async def test_twilio_receives_the_form_with_basic_auth_and_the_sid_comes_back(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_oneshot_request(MESSAGES, method="POST").respond_with_json(
        {"sid": "SM42", "status": "queued"}, status=201
    )

    outcome = await channel_at(httpserver).send_sms(SMS)

    httpserver.check_assertions()
    assert (outcome.provider, outcome.message_id) == ("twilio", "SM42")
    request, _ = httpserver.log[-1]
    assert request.content_type == "application/x-www-form-urlencoded"
    assert sent_forms(httpserver) == [
        {"To": "+14155550100", "From": "+15005550006", "Body": "Acme: invoice INV-1042 is due today"}
    ]
    assert request.authorization is not None
    assert (request.authorization.type, request.authorization.username, request.authorization.password) == (
        "basic",
        "AC123",
        "secret-token",
    )


async def test_each_number_gets_its_own_message_and_the_sids_are_joined(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(MESSAGES).respond_with_json({"sid": "SM1"}, status=201)
    httpserver.expect_ordered_request(MESSAGES).respond_with_json({"sid": "SM2"}, status=201)
    two = SmsMessage(delivery_id=9, idempotency_key="k", to=("+14155550100", "+14155550101"), body="hi")

    outcome = await channel_at(httpserver).send_sms(two)

    assert outcome.message_id == "SM1,SM2"
    assert [form["To"] for form in sent_forms(httpserver)] == ["+14155550100", "+14155550101"]


async def test_a_400_is_a_rejection_with_twilios_reason(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(MESSAGES).respond_with_json(
        {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}, status=400
    )

    with pytest.raises(ProviderRejected, match="Invalid 'To' Phone Number") as caught:
        await channel_at(httpserver).send_sms(SMS)

    assert (caught.value.provider, caught.value.status) == ("twilio", 400)
    assert "21211" in caught.value.detail


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_throttling_and_outages_are_retryable(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_oneshot_request(MESSAGES).respond_with_json(
        {"code": 20503, "message": "Service unavailable", "status": status}, status=status
    )

    with pytest.raises(ProviderUnavailable) as caught:
        await channel_at(httpserver).send_sms(SMS)

    assert caught.value.status == status


async def test_a_refused_connection_is_retryable() -> None:
    closed = TwilioSmsChannel("AC123", "t", "+15005550006", base_url=f"http://127.0.0.1:{free_port()}")

    with pytest.raises(ProviderUnavailable, match="could not connect"):
        await closed.send_sms(SMS)


async def test_no_answer_after_the_request_left_is_an_unknown_outcome(httpserver: HTTPServer) -> None:
    arrived, answer = threading.Event(), threading.Event()

    def held(request: Request) -> Response:
        arrived.set()
        answer.wait(5)
        return Response('{"sid": "SM-late"}', status=201, content_type="application/json")

    httpserver.expect_oneshot_request(MESSAGES).respond_with_handler(held)

    with pytest.raises(ProviderOutcomeUnknown):
        await channel_at(httpserver, timeout=0.5).send_sms(SMS)

    assert arrived.is_set()
    answer.set()
    for _ in range(100):  # let the stub finish, so its request is not logged in the next test
        if httpserver.log:
            break
        await asyncio.sleep(0.02)


async def test_once_one_number_was_texted_a_later_failure_is_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(MESSAGES).respond_with_json({"sid": "SM1"}, status=201)
    httpserver.expect_ordered_request(MESSAGES).respond_with_json({"message": "busy"}, status=503)
    two = SmsMessage(delivery_id=9, idempotency_key="k", to=("+14155550100", "+14155550101"), body="hi")

    # A retry would text the first number twice: a person settles it instead.
    with pytest.raises(ProviderOutcomeUnknown, match="SM1"):
        await channel_at(httpserver).send_sms(two)


async def test_when_every_number_fails_before_acceptance_a_retry_is_still_allowed(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_ordered_request(MESSAGES).respond_with_json({"message": "bad number"}, status=400)
    httpserver.expect_ordered_request(MESSAGES).respond_with_json({"message": "busy"}, status=503)
    two = SmsMessage(delivery_id=9, idempotency_key="k", to=("+1415555", "+14155550101"), body="hi")

    with pytest.raises(ProviderUnavailable) as caught:
        await channel_at(httpserver).send_sms(two)

    assert caught.value.status == 503


def test_settings_choose_twilio_and_name_what_is_missing() -> None:
    chosen = Settings(
        sms_channel="twilio",
        twilio_account_sid="AC123",
        twilio_auth_token=SecretStr("t"),
        twilio_from_number="+15005550006",
    )
    _, sms = build_channels(chosen, None)  # type: ignore[arg-type]
    assert isinstance(sms, TwilioSmsChannel)

    incomplete = Settings(
        sms_channel="twilio", twilio_account_sid="AC123", twilio_auth_token=None, twilio_from_number=None
    )
    with pytest.raises(ValueError, match="ARCADENCE_TWILIO_AUTH_TOKEN, ARCADENCE_TWILIO_FROM_NUMBER"):
        build_channels(incomplete, None)  # type: ignore[arg-type]


async def test_many_sids_are_shortened_to_fit_the_deliverys_message_id(httpserver: HTTPServer) -> None:
    numbers = tuple(f"+1415555010{i}" for i in range(9))
    sids = [f"SM{i:032d}" for i in range(9)]  # real SIDs are 34 characters
    for sid in sids:
        httpserver.expect_ordered_request(MESSAGES).respond_with_json({"sid": sid}, status=201)

    outcome = await channel_at(httpserver).send_sms(
        SmsMessage(delivery_id=9, idempotency_key="k", to=numbers, body="hi")
    )

    assert outcome.message_id == ",".join(sids[:7]) + ",+2 more"
    assert len(outcome.message_id) <= 255
