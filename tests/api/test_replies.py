"""Customers' replies through SendGrid Inbound Parse, and the contact cap's settings: the secret
path, the size cap, matching by the reply token and by the sender, the pause a reply holds until
a person handles it, and bad settings refused with a machine-readable 422."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
import structlog
import uvicorn

from api.limits import INBOUND_MAX_BODY, MiB
from domain.enums import EventKind, HistoryAction, Role
from domain.replies import message_id
from models import Customer, Event, HistoryEntry, InboundReply
from services import replies as reply_service
from tests.api.conftest import Api
from tests.api.test_sendgrid_webhook import delivery, rows

INBOUND = "/webhooks/sendgrid/inbound"


async def _secret(api: Api) -> str:
    address = await api.ok("GET", "/replies/inbound-address", Role.ADMIN)
    path: str = address["path"]
    assert path.startswith(f"{INBOUND}/")
    return path.rpartition("/")[2]


async def _post_reply(
    api: Api, secret: str | None, *, attachment: bytes = b"%PDF-1.4 remittance", **fields: str
) -> httpx.Response:
    """A reply as Inbound Parse posts it: multipart/form-data (with an attachment, left out)."""
    form = {
        "from": "Jane <AP@globex.example>",
        "to": "collections@acme.example",
        "subject": "Re: Invoice INV-1042",
        "text": "We paid on Friday, see attached.",
        "html": "<p>We paid on <b>Friday</b>, see attached.</p><script>alert(1)</script>",
        "headers": "Date: Thu, 3 Dec 2026 09:00:00 -0500\n",
        "charsets": '{"text": "UTF-8", "html": "UTF-8", "subject": "UTF-8", "from": "UTF-8"}',
        **fields,
    }
    files = {"attachment1": ("remittance.pdf", attachment, "application/pdf")}
    path = INBOUND if secret is None else f"{INBOUND}/{secret}"
    return await api.http.post(path, data=form, files=files)


async def test_a_reply_to_a_missing_or_forged_secret_is_refused_and_nothing_is_stored(api: Api) -> None:
    secret = await _secret(api)
    for path in (None, "0" * 64, secret[:-1] + ("0" if secret[-1] != "0" else "1")):
        response = await _post_reply(api, path)
        assert response.status_code == 401, (path, response.text)
        assert response.json()["error"]["code"] == "invalid_inbound_secret"
    assert await api.count(InboundReply) == 0
    # Only owners and admins read the secret path.
    await api.refused("GET", "/replies/inbound-address", 403, "forbidden", Role.SUPPORT)
    # The right secret with something that is not a form: 400, nothing stored.
    response = await api.http.post(f"{INBOUND}/{secret}", json={"from": "x@y.example"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_inbound_form"
    assert await api.count(InboundReply) == 0


async def test_a_reply_with_a_large_attachment_is_stored_without_it_and_one_over_the_cap_is_413(
    api: Api,
) -> None:
    secret = await _secret(api)
    # "Paid, remittance attached" with a 3 MiB PDF: over the API's 1 MiB default, under the inbound cap.
    pdf = b"%PDF-1.4\n" + b"\x00\xff remittance " * (3 * MiB // 14)
    response = await _post_reply(api, secret, attachment=pdf)
    assert response.status_code == 200, response.text
    (stored,) = await rows(api, InboundReply)
    assert stored.text_body == "We paid on Friday, see attached."
    stored_text = [stored.from_field, stored.to_field, stored.subject, stored.text_body, stored.html_text]
    assert not any("PDF" in field or "remittance " in field for field in stored_text)
    assert "remittance.pdf" not in str(stored.headers)

    # Over the inbound cap: 413 with its code and the limit, nothing more stored.
    response = await _post_reply(api, secret, attachment=b"x" * INBOUND_MAX_BODY)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "body_too_large" and error["details"] == {"limit_bytes": INBOUND_MAX_BODY}
    assert await api.count(InboundReply) == 1


async def test_a_reply_whose_charset_is_not_a_text_encoding_is_stored_not_a_500(api: Api) -> None:
    secret = await _secret(api)
    # The charsets come from the sender's mail: codecs Python knows but that do not decode bytes
    # to text (base64, hex, rot13, zlib), and idna, which refuses to replace; read as UTF-8.
    for charset in ("base64", "hex", "rot13", "zlib", "idna", "no-such-charset"):
        charsets = f'{{"text": "{charset}", "subject": "{charset}", "from": "UTF-8"}}'
        response = await _post_reply(
            api, secret, text="Payé vendredi", subject="Re: Facture", charsets=charsets
        )
        assert response.status_code == 200, (charset, response.text)
    stored = await rows(api, InboundReply)
    assert [(r.text_body, r.subject) for r in stored] == [("Payé vendredi", "Re: Facture")] * 6


async def test_an_unexpected_failure_on_the_inbound_address_logs_the_path_without_its_secret(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = await _secret(api)

    async def fails(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the reply could not be stored")

    monkeypatch.setattr(reply_service, "receive_reply", fails)
    transport = httpx.ASGITransport(app=api.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        with structlog.testing.capture_logs() as logged:
            response = await http.post(f"{INBOUND}/{secret}", data={"from": "ap@globex.example"}, files={})
    assert response.status_code == 500 and response.json()["error"]["code"] == "internal_error"
    (entry,) = [e for e in logged if e["event"] == "api.unexpected_error"]
    assert entry["path"] == f"{INBOUND}/<redacted>"
    assert secret not in str(logged)

    # uvicorn's access log (on when the API runs as `arcadence api`) gets the same path; its own
    # logging set-up, which runs after the app is built, keeps the filter.
    uvicorn.Config(api.app, log_level="info")
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    access = logging.getLogger("uvicorn.access")
    keep = Keep()
    access.addHandler(keep)
    try:
        access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.1:5000", "POST", f"{INBOUND}/{secret}?x=1", "1.1", 200)
        access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.1:5000", "GET", "/customers/7", "1.1", 200)
    finally:
        access.removeHandler(keep)
    assert lines == [
        f'10.0.0.1:5000 - "POST {INBOUND}/<redacted>?x=1 HTTP/1.1" 200',
        '10.0.0.1:5000 - "GET /customers/7 HTTP/1.1" 200',
    ]


async def test_a_reply_matched_by_its_token_pauses_the_customer_until_a_person_handles_it(api: Api) -> None:
    secret = await _secret(api)
    customer = await api.customer()
    sent = await delivery(api, customer["id"])
    token = message_id(secret, sent.id, "ar@acme.example")
    # The sender is not a contact: the token alone ties it to the delivery (and the customer).
    received = await _post_reply(
        api,
        secret,
        **{"from": "Treasury <treasury@globex-holding.example>", "headers": f"In-Reply-To: {token}\n"},
    )
    assert received.status_code == 200, received.text
    receipt = received.json()
    assert receipt["matched_by"] == "token" and receipt["delivery_id"] == sent.id
    assert receipt["customer_id"] == customer["id"] and receipt["paused"] is True

    reply = await api.ok("GET", f"/replies/{receipt['id']}", Role.VIEWER)
    assert reply["text_body"] == "We paid on Friday, see attached."
    assert reply["html_text"] == "We paid on Friday, see attached."  # text only, no script
    assert reply["holds_pause"] is True and reply["handled_at"] is None
    (row,) = await rows(api, Customer, id=customer["id"])
    assert row.paused and row.pause_reason.startswith("A reply from the customer awaits handling")
    actions = [h.action for h in await rows(api, HistoryEntry, customer_id=customer["id"])]
    assert HistoryAction.REPLY_RECEIVED in actions and HistoryAction.CUSTOMER_PAUSED in actions
    (replied,) = await rows(api, Event, kind=EventKind.DELIVERY_REPLIED)
    assert (replied.customer_id, replied.delivery_id) == (customer["id"], sent.id)

    waiting = await api.ok("GET", "/replies", Role.VIEWER, params={"handled": "false"})
    assert [r["id"] for r in waiting["items"]] == [receipt["id"]]
    await api.refused("POST", f"/replies/{receipt['id']}/handle", 403, "forbidden", Role.VIEWER, json={})
    handled = await api.ok(
        "POST", f"/replies/{receipt['id']}/handle", Role.SUPPORT, json={"note": "Payment confirmed"}
    )
    assert handled["resumed"] is True and handled["reply"]["handled_by"] == "support@acme.example"
    (row,) = await rows(api, Customer, id=customer["id"])
    assert not row.paused
    assert (await api.ok("GET", "/replies", params={"handled": "false"}))["total"] == 0
    await api.refused("POST", f"/replies/{receipt['id']}/handle", 409, "reply_already_handled", json={})
    await api.refused("POST", "/replies/999999/handle", 404, "reply_not_found", json={})


async def test_a_reply_without_a_token_is_matched_by_its_sender_and_a_stranger_stays_unmatched(
    api: Api,
) -> None:
    secret = await _secret(api)
    customer = await api.customer()
    sent = await delivery(api, customer["id"])
    # A forged token (wrong tag) is no token: the sender's address still finds the customer.
    forged = f"<arcadence.{sent.id}.{'0' * 24}@acme.example>"
    by_sender = (await _post_reply(api, secret, headers=f"References: {forged}\n")).json()
    assert by_sender["matched_by"] == "sender" and by_sender["customer_id"] == customer["id"]
    assert by_sender["delivery_id"] == sent.id  # the latest delivery to that address
    stranger = (await _post_reply(api, secret, **{"from": "someone@elsewhere.example"})).json()
    assert stranger["matched_by"] == "none" and stranger["customer_id"] is None
    unmatched = await api.ok("GET", "/replies", params={"matched": "false"})
    assert [r["id"] for r in unmatched["items"]] == [stranger["id"]]
    assert await rows(api, Event, kind=EventKind.DELIVERY_REPLIED) != []

    # A person pauses the customer meanwhile: handling the reply leaves that pause alone.
    await api.ok("POST", f"/customers/{customer['id']}/resume", Role.SUPPORT)
    await api.ok("POST", f"/customers/{customer['id']}/pause", Role.SUPPORT, json={"reason": "Dispute call"})
    handled = await api.ok("POST", f"/replies/{by_sender['id']}/handle", Role.SUPPORT, json={})
    assert handled["resumed"] is False
    (row,) = await rows(api, Customer, id=customer["id"])
    assert row.paused and row.pause_reason == "Dispute call"

    # With replies_pause off, a reply is recorded but pauses nothing; an out-of-office never does.
    await api.ok("PUT", "/settings", json={"name": "Acme", "replies_pause": False})
    other = await api.customer("QB-2", contacts=[{"name": "Bo", "email": "bo@initech.example"}])
    quiet = (await _post_reply(api, secret, **{"from": "bo@initech.example"})).json()
    assert quiet["customer_id"] == other["id"] and quiet["paused"] is False
    await api.ok("PUT", "/settings", json={"name": "Acme"})
    auto = (
        await _post_reply(
            api, secret, **{"from": "bo@initech.example", "headers": "Auto-Submitted: auto-replied\n"}
        )
    ).json()
    assert auto["customer_id"] == other["id"] and auto["paused"] is False
    (row,) = await rows(api, Customer, id=other["id"])
    assert not row.paused


async def test_bad_contact_cap_settings_are_refused_with_422(api: Api) -> None:
    customer = await api.customer()
    bad: list[tuple[str, str, dict[str, Any]]] = [
        ("PUT", "/settings", {"name": "Acme", "contact_cap_count": 0}),
        ("PUT", "/settings", {"name": "Acme", "contact_cap_count": "2"}),
        ("PUT", "/settings", {"name": "Acme", "contact_cap_count": 2, "contact_cap_days": 0}),
        ("PUT", "/settings", {"name": "Acme", "contact_cap_days": 400}),
        ("PUT", "/settings", {"name": "Acme", "replies_pause": "yes"}),
        ("PUT", f"/customers/{customer['id']}/contact-cap", {"count": 101}),
        ("PUT", f"/customers/{customer['id']}/contact-cap", {"count": 1, "days": -7}),
        ("PUT", f"/customers/{customer['id']}/contact-cap", {"count": 1, "every": 7}),
    ]
    for method, path, body in bad:
        await api.refused(method, path, 422, role=Role.ADMIN, json=body)
    settings = await api.ok("PUT", "/settings", json={"name": "Acme", "contact_cap_count": 2})
    assert (settings["contact_cap_count"], settings["contact_cap_days"], settings["replies_pause"]) == (
        2,
        7,
        True,
    )
    own = await api.ok("GET", f"/customers/{customer['id']}/contact-cap", Role.VIEWER)
    assert own["in_force"] == "at most 2 messages in 7 days"
    own = await api.ok("PUT", f"/customers/{customer['id']}/contact-cap", json={"count": 1, "days": 14})
    assert own["in_force"] == "at most 1 message in 14 days"
    await api.refused(
        "PUT", f"/customers/{customer['id']}/contact-cap", 403, "forbidden", Role.SUPPORT, json={}
    )
