"""The approvals API: the queue shows what waits with its rendered message; only a role at or
above the gate's may decide; a decided approval cannot be decided again; bad bodies are 422s."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.enums import Role
from tests.api.conftest import Api

NY = ZoneInfo("America/New_York")
GATE = {"role": "ar_manager", "timeout_hours": 48, "on_expiry": "skip"}


def _gated(approval: Any = GATE, action: str = "customer_email") -> dict[str, Any]:
    return {
        "name": "Key accounts",
        "kind": "invoice",
        "steps": [{"offset_days": -1, "action": action, "parameters": {"approval": approval}}],
    }


async def _skip_to(api: Api, target: datetime) -> None:
    while (now := await api.env.get_current_time()) < target:
        # The time-skipping server at times holds a sleep long after the skip: read the clock again.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(api.env.sleep(target - now), timeout=5)


async def waiting_approval(api: Api) -> dict[str, Any]:
    """A customer whose gated reminder is prepared and waits for an AR manager."""
    workflow = await api.workflow(**_gated())
    customer = await api.customer()
    await api.invoice(due_in_days=2)
    await api.enroll(customer["id"], workflow["id"])
    tomorrow = await api.today() + timedelta(days=1)
    await _skip_to(api, datetime.combine(tomorrow, time(14, 35), NY))

    async def waiting() -> bool:
        page = await api.ok("GET", "/approvals?state=pending", role=Role.VIEWER)
        return bool(page["items"])

    await api.eventually(waiting, timeout=20)
    page = await api.ok("GET", "/approvals?state=pending", role=Role.VIEWER)
    [item] = page["items"]
    return dict(item)


async def test_only_a_manager_or_above_decides_once_and_bad_bodies_are_refused(api: Api) -> None:
    item = await waiting_approval(api)
    assert item["customer_name"] == "Globex" and item["role"] == "ar_manager"
    assert "INV-1042" in item["text_body"] and item["subject"]
    path = f"/approvals/{item['id']}"

    body = await api.refused("POST", f"{path}/approve", 403, "not_allowed_to_approve", role=Role.SUPPORT)
    assert set(body["error"]["details"]["allowed"]) == {"owner", "admin", "ar_manager"}
    await api.refused("POST", f"{path}/approve", 403, "not_allowed_to_approve", role=Role.AR_SPECIALIST)
    await api.refused("POST", f"{path}/approve", 403, "forbidden", role=Role.VIEWER)
    await api.refused("POST", f"{path}/edit", 422, role=Role.AR_MANAGER, json={})
    await api.refused("POST", f"{path}/edit", 422, role=Role.AR_MANAGER, json={"subject": "a\r\nBcc: x"})
    await api.refused("POST", f"{path}/edit", 422, role=Role.AR_MANAGER, json={"text": "hi", "cc": "x"})
    await api.refused("POST", f"{path}/approve", 422, role=Role.AR_MANAGER, json={"note": 5})
    await api.refused("POST", "/approvals/999999/approve", 404, role=Role.AR_MANAGER)

    decided = await api.ok("POST", f"{path}/approve", role=Role.AR_MANAGER, json={"note": "fine"})
    assert decided["approval"]["state"] == "approved" and decided["will_send"] is True
    assert decided["approval"]["decided_by"] == api.users[Role.AR_MANAGER].email

    await api.refused("POST", f"{path}/reject", 409, "approval_not_pending", role=Role.ADMIN)
    await api.refused("POST", f"{path}/edit", 409, "approval_not_pending", json={"text": "late"})
    assert (await api.ok("GET", "/approvals?state=pending"))["items"] == []
    assert (await api.ok("GET", path))["state"] == "approved"
    await api.refused("GET", "/approvals?state=waiting", 422)


async def test_a_step_gate_that_is_not_well_formed_is_refused_with_what_is_wrong(api: Api) -> None:
    cases = [
        ({**GATE, "role": "boss"}, "customer_email", "role must be one of"),
        ({**GATE, "role": "viewer"}, "customer_email", "role must be one of"),
        ({**GATE, "timeout_hours": 0}, "customer_email", "timeout_hours must be a whole number"),
        ({**GATE, "timeout_hours": 24 * 31}, "customer_email", "timeout_hours must be a whole number"),
        ({**GATE, "on_expiry": "escalate"}, "customer_email", "on_expiry must be skip or send"),
        ({**GATE, "who": "x"}, "customer_email", "unknown field(s) who"),
        (GATE, "task", "approval is only for customer emails"),
        ("ar_manager", "customer_email", "approval must be an object"),
    ]
    for approval, action, words in cases:
        body = await api.refused("POST", "/workflows", 422, json=_gated(approval, action))
        assert words in str(body["error"]), (approval, body)
    refused = await api.refused(
        "POST",
        "/workflows",
        422,
        json={**_gated(), "steps": [{"offset_days": 0, "action": "customer_email", "parameters": {"x": {}}}]},
    )
    assert "only approval may be an object" in str(refused["error"])
    created = await api.ok("POST", "/workflows", status=201, json=_gated())
    assert created["steps"][0]["parameters"]["approval"] == GATE
