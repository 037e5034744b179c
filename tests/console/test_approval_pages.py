"""The Approvals page: what waits with its message, forms only for a role that may decide, and
a decision through the service of the API's `POST /approvals/{id}/...`."""

from __future__ import annotations

from domain.enums import Role
from tests.api.test_approvals import waiting_approval
from tests.console.conftest import Console


async def test_a_manager_approves_from_the_queue_and_a_specialist_sees_no_form(console: Console) -> None:
    item = await waiting_approval(console.api)
    specialist = await console.sign_in(Role.AR_SPECIALIST)
    shown = (await specialist.get("/console/approvals")).text
    assert 'href="/console/approvals" aria-current="page"' in shown
    assert "Globex" in shown and "INV-1042" in shown and "ar_manager (or above)" in shown
    assert "Approve and send" not in shown and "may not decide this one" in shown
    refused = await specialist.post(f"/console/approvals/{item['id']}/approve")
    assert refused.status_code == 403 and "may not approve" in refused.text

    manager = await console.sign_in(Role.AR_MANAGER)
    assert "Approve and send" in (await manager.get("/console/approvals")).text
    assert (await manager.post(f"/console/approvals/{item['id']}/edit", {"subject": ""})).status_code == 422
    done = await manager.post(f"/console/approvals/{item['id']}/approve", {"note": "ok"})
    assert done.status_code == 303 and done.headers["location"] == "/console/approvals"
    assert "Nothing waits for approval" in (await manager.get("/console/approvals")).text
    again = await manager.post(f"/console/approvals/{item['id']}/reject")
    assert again.status_code == 409 and "already approved" in again.text
    stored = await console.api.ok("GET", f"/approvals/{item['id']}")
    assert stored["state"] == "approved" and stored["decided_by"] == "ar_manager@acme.example"
