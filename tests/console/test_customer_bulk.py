"""The customer list's filters (workflow, enrollment state, paused) and its Set workflow: the
bulk enrollment job, followed on its page until each customer's outcome is shown."""

from __future__ import annotations

import asyncio
import re

from domain.enums import Role
from tests.console.conftest import Browser, Console

JOB = re.compile(r"/console/bulk/([0-9a-f]{16})$")


async def _finished(browser: Browser, job: str) -> str:
    """The progress block, asked for as htmx does, until it says the job is finished."""
    for _ in range(300):
        block = await browser.get(f"/console/bulk/{job}/progress", headers={"HX-Request": "true"})
        assert block.status_code == 200
        if '<h2 id="progress-heading">Finished' in block.text:
            assert "hx-trigger" not in block.text  # it stops asking
            return block.text
        assert 'hx-trigger="every 1s"' in block.text
        await asyncio.sleep(0.1)
    raise AssertionError("the bulk job never finished")


async def test_the_list_filters_by_workflow_and_enrollment_state(console: Console) -> None:
    net30 = await console.api.workflow()
    net15 = await console.api.workflow(name="Net 15 reminders")
    globex = await console.api.customer("QB-1", name="Globex")
    initech = await console.api.customer("QB-2", name="Initech")
    await console.api.customer("QB-3", name="Umbrella")
    await console.api.enroll(globex["id"], net30["id"])
    await console.api.enroll(initech["id"], net15["id"])
    browser = await console.sign_in(Role.VIEWER)

    in_net30 = (await browser.get("/console/customers", params={"workflow": net30["id"]})).text
    assert "Globex" in in_net30 and "Initech" not in in_net30 and "Umbrella" not in in_net30
    not_enrolled = (await browser.get("/console/customers", params={"enrollment": "none"})).text
    assert "Umbrella" in not_enrolled and "Globex" not in not_enrolled
    active = (await browser.get("/console/customers", params={"enrollment": "active"})).text
    assert "Globex" in active and "Initech" in active and "Umbrella" not in active
    assert "<td>Net 15 reminders</td>" in active
    nothing = (
        await browser.get("/console/customers", params={"workflow": net15["id"], "enrollment": "none"})
    ).text
    assert "No customer matches these filters" in nothing
    bad = await browser.get("/console/customers", params={"enrollment": "sideways"})
    assert bad.status_code == 422
    assert "Set workflow</button>" not in active and "can read customers but not set their workflow" in active


async def test_a_manager_sets_the_workflow_of_ticked_customers_and_reads_each_outcome(
    console: Console,
) -> None:
    net30 = await console.api.workflow()
    globex = await console.api.customer("QB-1", name="Globex")
    autopay = await console.api.customer("QB-2", name="Initech", autopay=True)
    await console.api.customer("QB-3", name="Umbrella")
    browser = await console.sign_in(Role.AR_MANAGER)
    page = (await browser.get("/console/customers")).text
    assert 'aria-label="Select Globex"' in page and "Set workflow</button>" in page

    body = (
        f"csrf_token={browser.csrf}&definition_id={net30['id']}&scope=selected"
        f"&customer={globex['id']}&customer={autopay['id']}"
    )
    started = await browser.http.post(
        "/console/customers/set-workflow",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert started.status_code == 303
    found = JOB.search(started.headers["location"])
    assert found
    job_page = (await browser.get(started.headers["location"])).text
    assert "Set workflow for 2 customers" in job_page and "<progress" in job_page

    finished = await _finished(browser, found.group(1))
    assert 'value="2"' in finished and "2 of 2 done" in finished
    assert "1 enrolled" in finished and "1 refused" in finished
    initech_row = finished.split("Initech</a>")[1].split("</tr>")[0]
    assert "refused" in initech_row and "auto-pay" in initech_row
    enrollments = await console.api.ok("GET", f"/customers/{globex['id']}/enrollments")
    assert [e["definition_id"] for e in enrollments] == [net30["id"]]


async def test_set_workflow_needs_customers_a_manager_and_its_token(console: Console) -> None:
    net30 = await console.api.workflow()
    customer = await console.api.customer()
    manager = await console.sign_in(Role.AR_MANAGER)
    await manager.get("/console/customers")
    none_ticked = await manager.post(
        "/console/customers/set-workflow", {"definition_id": str(net30["id"]), "scope": "selected"}
    )
    assert none_ticked.status_code == 422 and "Tick the customers" in none_ticked.text
    no_workflow = await manager.post(
        "/console/customers/set-workflow", {"scope": "selected", "customer": str(customer["id"])}
    )
    assert no_workflow.status_code == 422 and "Choose the workflow to set." in no_workflow.text
    forged = await manager.http.post(
        "/console/customers/set-workflow",
        data={"definition_id": str(net30["id"]), "scope": "matching"},
    )
    assert forged.status_code == 403

    support = await console.sign_in(Role.SUPPORT)
    refused = await support.post(
        "/console/customers/set-workflow", {"definition_id": str(net30["id"]), "scope": "matching"}
    )
    assert refused.status_code == 403 and "Your role (support) may not do this" in refused.text
    assert await console.api.ok("GET", f"/customers/{customer['id']}/enrollments") == []
    unknown = await support.get("/console/bulk/0123456789abcdef")
    assert unknown.status_code == 404 and "bulk job 0123456789abcdef does not exist" in unknown.text
