"""The Replies page: what customers wrote back, waiting or handled, and marking one handled
(support and above, the API's own rule) resumes the customer the reply paused."""

from __future__ import annotations

from domain.enums import Role
from models import InboundReply
from tests.api.test_replies import _post_reply, _secret
from tests.console.conftest import Console


async def test_a_waiting_reply_is_listed_and_marking_it_handled_resumes_the_customer(
    console: Console,
) -> None:
    api = console.api
    customer = await api.customer()
    secret = await _secret(api)
    receipt = (await _post_reply(api, secret)).json()
    assert receipt["paused"] is True
    await _post_reply(api, secret, **{"from": "stranger@elsewhere.example", "subject": "Who is this?"})

    viewer = await console.sign_in(Role.VIEWER)
    listed = (await viewer.get("/console/replies")).text
    assert "Re: Invoice INV-1042" in listed and "Globex" in listed and "the customer is paused" in listed
    assert "Mark reply" not in listed  # a viewer reads, never handles
    assert "Who is this?" in (await viewer.get("/console/replies?show=unmatched")).text
    assert (await viewer.post(f"/console/replies/{receipt['id']}/handle")).status_code == 403

    support = await console.sign_in(Role.SUPPORT)
    await support.get("/console/replies")
    assert (await support.post(f"/console/replies/{receipt['id']}/handle")).status_code == 303
    assert (await api.ok("GET", f"/customers/{customer['id']}"))["paused"] is False
    handled = (await support.get("/console/replies?show=handled")).text
    assert "Handled by support@acme.example" in handled
    again = await support.post(f"/console/replies/{receipt['id']}/handle")
    assert again.status_code == 409 and "already handled" in again.text
    assert await api.count(InboundReply) == 2
