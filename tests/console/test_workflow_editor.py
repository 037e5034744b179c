"""The workflow editor: create and edit a workflow from the console, clone it, read its versions.
Saving goes through `services.definitions` (the API's own service and schema), for the API's roles;
refusals are shown next to the field they concern."""

from __future__ import annotations

import html
from typing import Any

from domain.enums import Role
from tests.console.conftest import Browser, Console
from tests.console.test_template_pages import TEMPLATE


def two_steps(template_id: int | str = "") -> dict[str, Any]:
    """The editor's fields for an invoice workflow: an email 3 days before due, a task 7 after."""
    return {
        "name": "Gentle net 30",
        "description": "Two touches",
        "kind": "invoice",
        "enabled": "on",
        "catch_up": "latest",
        "frequency_period": "",
        "frequency_weekday": "0",
        "frequency_week_of_month": "",
        "cond-0-metric": "overdue",
        "cond-0-operator": "gte",
        "cond-0-value": "50",
        "step-0-days": "3",
        "step-0-when": "before",
        "step-0-action": "customer_email",
        "step-0-template_id": str(template_id),
        "step-0-parameters": "",
        "step-0-cond-0-metric": "outstanding",
        "step-0-cond-0-operator": "lt",
        "step-0-cond-0-value": "10000",
        "step-1-days": "7",
        "step-1-when": "after",
        "step-1-action": "task",
        "step-1-template_id": "",
        "step-1-parameters": "title=Call the customer\ndue_in_days=2",
        "step-1-cond-0-metric": "",  # a row left blank is no condition
        "step-1-cond-0-operator": "gte",
        "step-1-cond-0-value": "",
        "additional_emails": "ar-copy@acme.example, cfo@acme.example",
        "additional_roles": "billing",
        "continue_with_id": "",
    }


async def post(browser: Browser, path: str, fields: dict[str, Any], **kwargs: Any) -> Any:
    return await browser.http.post(path, data={"csrf_token": browser.csrf, **fields}, **kwargs)


async def test_a_manager_creates_a_workflow_with_two_steps_a_template_and_conditions(
    console: Console,
) -> None:
    template = await console.api.ok("POST", "/templates", status=201, json=TEMPLATE)
    manager = await console.sign_in(Role.AR_MANAGER)
    form = (await manager.get("/console/workflows/new")).text
    assert '<label for="step-0-days">Days' in form and '<label for="name">Name</label>' in form
    fields = {
        **two_steps(template["id"]),
        "internal_recipients": [str(console.api.users[Role.AR_SPECIALIST].id)],
    }
    created = await post(manager, "/console/workflows", fields)
    assert created.status_code == 303, created.text
    definition_id = int(created.headers["location"].split("/")[-1].split("?")[0])

    stored = await console.api.ok("GET", f"/workflows/{definition_id}")
    assert stored["name"] == "Gentle net 30" and stored["catch_up"] == "latest" and stored["version"] == 1
    assert stored["conditions"] == [{"metric": "overdue", "operator": "gte", "value": "50"}]
    assert stored["additional_recipients"] == {
        "emails": ["ar-copy@acme.example", "cfo@acme.example"],
        "contact_roles": ["billing"],
        "user_ids": [],
    }
    assert stored["internal_recipients"] == [console.api.users[Role.AR_SPECIALIST].id]
    first, second = stored["steps"]
    assert (first["offset_days"], first["action"], first["template_id"]) == (
        -3,
        "customer_email",
        template["id"],
    )
    assert first["conditions"] == [{"metric": "outstanding", "operator": "lt", "value": "10000"}]
    assert (second["offset_days"], second["action"], second["template_id"]) == (7, "task", None)
    assert (
        second["parameters"] == {"title": "Call the customer", "due_in_days": 2}
        and second["conditions"] == []
    )

    page = (await manager.get(created.headers["location"])).text
    assert "Saved (version 1)." in page and "3 days before the due date" in page
    assert (
        "Friendly (email)" in page and "Overdue at least 50" in page and "Outstanding less than 10000" in page
    )
    assert f'href="/console/workflows/{definition_id}/edit"' in page


async def test_adding_and_removing_a_step_without_javascript_saves_nothing(console: Console) -> None:
    manager = await console.sign_in(Role.AR_MANAGER)
    await manager.get("/console/workflows/new")
    added = await post(manager, "/console/workflows", {**two_steps(), "op": "add-step"})
    assert added.status_code == 200 and 'id="step-2-days"' in added.text
    assert 'name="step-2-days" type="number" min="0" max="3650" required value="0" autofocus' in added.text
    assert 'hx-post="/console/workflows" hx-target="#workflow-form" hx-select="#workflow-form"' in added.text
    assert 'value="Gentle net 30"' in added.text and "title=Call the customer" in added.text
    condition = await post(manager, "/console/workflows", {**two_steps(), "op": "add-step-1-cond"})
    assert 'id="step-1-cond-0-metric"' in condition.text  # the blank row, offered again
    assert 'id="frequency_period"' not in added.text  # an invoice workflow has no frequency
    customer = await post(manager, "/console/workflows", {**two_steps(), "kind": "customer", "op": "refresh"})
    assert 'id="frequency_period"' in customer.text and "Before or after each scheduled run" in customer.text
    removed = await post(manager, "/console/workflows", {**two_steps(), "op": "remove-step-0"})
    assert 'id="step-1-days"' not in removed.text and "title=Call the customer" in removed.text
    assert await console.api.ok("GET", "/workflows") == []


async def test_refusals_are_shown_next_to_the_field_they_concern_and_nothing_is_saved(
    console: Console,
) -> None:
    template = await console.api.ok("POST", "/templates", status=201, json=TEMPLATE)
    await console.api.workflow(name="Gentle net 30")
    manager = await console.sign_in(Role.AR_MANAGER)
    await manager.get("/console/workflows/new")

    duplicate = await post(manager, "/console/workflows", two_steps())
    assert duplicate.status_code == 409
    assert (
        '<p class="error" id="name-error" role="alert">a workflow named &#39;Gentle net 30&#39; exists'
        in duplicate.text
    )
    assert 'aria-describedby="name-error" aria-invalid="true"' in duplicate.text

    fields = {**two_steps(), "name": "Other", "step-0-days": "soon", "cond-0-value": "-5"}
    schema = await post(manager, "/console/workflows", fields)
    assert schema.status_code == 422 and "Traceback" not in schema.text
    assert 'id="steps-0-offset_days-error" role="alert">Input should be a valid integer' in schema.text
    assert 'id="conditions-error" role="alert">Input should be greater than or equal to 0' in schema.text
    assert 'value="soon"' in schema.text  # what was typed is kept
    customer = await post(manager, "/console/workflows", {**two_steps(), "name": "Other", "kind": "customer"})
    assert 'id="frequency-error" role="alert">a customer-kind workflow needs a frequency' in customer.text

    service = await post(
        manager,
        "/console/workflows",
        {**two_steps(), "name": "Other", "step-1-template_id": str(template["id"])},
    )
    assert service.status_code == 422
    assert (
        'id="steps-1-template_id-error" role="alert">a task step sends no message, so no template'
        in service.text
    )

    parameters = await post(
        manager, "/console/workflows", {**two_steps(), "name": "Other", "step-1-parameters": "just words"}
    )
    assert parameters.status_code == 422
    assert 'id="steps-1-parameters-error" role="alert">write each parameter as name=value' in parameters.text
    signed = await post(manager, "/console/workflows", {**two_steps(), "name": "Other", "step-0-days": "-3"})
    assert 'id="steps-0-offset_days-error" role="alert">count the days without a sign' in signed.text
    assert [d["name"] for d in await console.api.ok("GET", "/workflows")] == ["Gentle net 30"]


async def test_an_edit_is_a_new_version_and_the_old_version_reads_as_it_was(console: Console) -> None:
    definition = await console.api.workflow()
    manager = await console.sign_in(Role.AR_MANAGER)
    form = (await manager.get(f"/console/workflows/{definition['id']}/edit")).text
    assert 'value="Net 30 reminders"' in form and "title=Call the customer" in form
    assert "Saving makes version 2" in form and 'name="kind" value="invoice"' in form
    fields = {**two_steps(), "name": "Net 30 reminders"}
    saved = await post(manager, f"/console/workflows/{definition['id']}", fields)
    assert (
        saved.status_code == 303
        and saved.headers["location"] == f"/console/workflows/{definition['id']}?saved=1"
    )
    stored = await console.api.ok("GET", f"/workflows/{definition['id']}")
    assert stored["version"] == 2 and [s["offset_days"] for s in stored["steps"]] == [-3, 7]
    assert stored["updated_by"] == "ar_manager@acme.example"

    versions = (await manager.get(f"/console/workflows/{definition['id']}/versions")).text
    assert (
        "2 versions" in versions
        and f'href="/console/workflows/{definition["id"]}/versions/1">Version 1' in versions
    )
    old = (await manager.get(f"/console/workflows/{definition['id']}/versions/1")).text
    assert "version 1</h1>" in old and "The workflow is now at version 2" in old
    assert "14 days after the due date" in old and "Edit Net 30 reminders" not in old
    assert "Restore version 1</button>" in old
    current = (await manager.get(f"/console/workflows/{definition['id']}/versions/2")).text
    assert "Restore version" not in current
    restored = await manager.post(f"/console/workflows/{definition['id']}/versions/1/restore")
    assert restored.status_code == 303
    again = await console.api.ok("GET", f"/workflows/{definition['id']}")
    assert again["version"] == 3 and [s["offset_days"] for s in again["steps"]] == [-3, 7, 14]
    viewer = await console.sign_in(Role.VIEWER)
    assert (
        "Restore version" not in (await viewer.get(f"/console/workflows/{definition['id']}/versions/1")).text
    )
    refused = await viewer.post(f"/console/workflows/{definition['id']}/versions/1/restore")
    assert refused.status_code == 403
    assert (await console.api.ok("GET", f"/workflows/{definition['id']}"))["version"] == 3
    missing = await manager.get(f"/console/workflows/{definition['id']}/versions/9")
    assert missing.status_code == 404 and "has no version 9" in missing.text

    await manager.get(f"/console/workflows/{definition['id']}/edit")
    kind = await post(manager, f"/console/workflows/{definition['id']}", {**fields, "kind": "assignment"})
    assert (
        kind.status_code == 409
        and 'id="kind-error" role="alert">the kind of a workflow cannot change' in kind.text
    )


async def test_a_clone_is_a_new_workflow_with_the_same_steps(console: Console) -> None:
    definition = await console.api.workflow()
    manager = await console.sign_in(Role.AR_MANAGER)
    page = (await manager.get(f"/console/workflows/{definition['id']}")).text
    assert 'value="Net 30 reminders (copy)"' in page
    cloned = await manager.post(f"/console/workflows/{definition['id']}/clone", {"name": "Net 30 (EU)"})
    assert cloned.status_code == 303 and cloned.headers["location"].endswith("?cloned=1")
    copies = {d["name"]: d for d in await console.api.ok("GET", "/workflows")}
    assert [s["offset_days"] for s in copies["Net 30 (EU)"]["steps"]] == [-3, 7, 14]
    again = await manager.post(f"/console/workflows/{definition['id']}/clone", {"name": "Net 30 (EU)"})
    assert again.status_code == 409 and 'id="clone-error" role="alert">a workflow named' in again.text


async def test_a_viewer_or_support_sees_no_edit_controls_and_the_server_refuses_them(
    console: Console,
) -> None:
    definition = await console.api.workflow()
    for role in (Role.VIEWER, Role.SUPPORT):
        browser = await console.sign_in(role)
        listing = (await browser.get("/console/workflows")).text
        assert "New workflow" not in listing
        page = (await browser.get(f"/console/workflows/{definition['id']}")).text
        assert "Net 30 reminders" in page and "/edit" not in page and "Clone" not in page
        assert f"Your role ({role.value}) can read this workflow but not change it" in page
        for method, path in (
            ("GET", "/console/workflows/new"),
            ("GET", f"/console/workflows/{definition['id']}/edit"),
        ):
            refused = await browser.http.request(method, path)
            assert refused.status_code == 403 and f"Your role ({role.value}) may not do this" in refused.text
        for path in (
            "/console/workflows",
            f"/console/workflows/{definition['id']}",
            f"/console/workflows/{definition['id']}/clone",
        ):
            refused = await post(browser, path, {**two_steps(), "name": "Sneaky"})
            assert refused.status_code == 403
    assert [d["name"] for d in await console.api.ok("GET", "/workflows")] == ["Net 30 reminders"]
    assert (await console.api.ok("GET", f"/workflows/{definition['id']}"))["version"] == 1


async def test_a_workflow_change_without_the_csrf_token_is_refused(console: Console) -> None:
    definition = await console.api.workflow()
    manager = await console.sign_in(Role.AR_MANAGER)
    for path in (
        "/console/workflows",
        f"/console/workflows/{definition['id']}",
        f"/console/workflows/{definition['id']}/clone",
    ):
        forged = await manager.http.post(path, data={**two_steps(), "name": "Forged"})
        assert forged.status_code == 403 and "did not come from the console" in forged.text
    assert [d["name"] for d in await console.api.ok("GET", "/workflows")] == ["Net 30 reminders"]
    unknown = await manager.get("/console/workflows/999999")
    assert unknown.status_code == 404 and "workflow definition 999999 does not exist" in html.unescape(
        unknown.text
    )


async def test_a_monthly_statement_workflow_is_saved_and_cannot_continue_with_another(
    console: Console,
) -> None:
    other = await console.api.workflow()
    manager = await console.sign_in(Role.AR_MANAGER)
    await manager.get("/console/workflows/new")
    statement = {
        **two_steps(),
        "name": "Monthly statement",
        "kind": "customer",
        "frequency_period": "monthly",
        "frequency_weekday": "1",
        "frequency_week_of_month": "2",
        "step-0-days": "0",
        "step-0-when": "after",
        "step-0-action": "statement_email",
        "continue_with_id": str(other["id"]),
    }
    refused = await post(manager, "/console/workflows", statement)
    assert refused.status_code == 422
    assert (
        'id="continue_with_id-error" role="alert">this workflow cannot continue with another' in refused.text
    )
    created = await post(manager, "/console/workflows", {**statement, "continue_with_id": ""})
    assert created.status_code == 303, created.text
    stored = {d["name"]: d for d in await console.api.ok("GET", "/workflows")}["Monthly statement"]
    assert stored["frequency"] == {"period": "monthly", "weekday": 1, "week_of_month": 2}
    page = (await manager.get(created.headers["location"])).text
    assert "Monthly on the 2nd Tuesday" in page and "on each scheduled run" in page


async def test_a_workflow_that_would_loop_through_continue_with_is_refused_at_that_field(
    console: Console,
) -> None:
    first = await console.api.workflow()
    second = await console.api.workflow(name="Follow-up", continue_with_id=first["id"])
    manager = await console.sign_in(Role.AR_MANAGER)
    form = (await manager.get(f"/console/workflows/{first['id']}/edit")).text
    assert f'<option value="{first["id"]}"' not in form.split('id="continue_with_id"')[1]  # not itself
    looped = await post(
        manager,
        f"/console/workflows/{first['id']}",
        {**two_steps(), "name": "Net 30 reminders", "continue_with_id": str(second["id"])},
    )
    assert looped.status_code == 422
    assert (
        'id="continue_with_id-error" role="alert">continuing with that workflow would loop forever'
        in looped.text
    )
    assert (await console.api.ok("GET", f"/workflows/{first['id']}"))["version"] == 1


async def test_a_forged_editor_form_is_refused_as_input_never_with_a_server_error(console: Console) -> None:
    manager = await console.sign_in(Role.AR_MANAGER)
    await manager.get("/console/workflows/new")
    odd = {
        **two_steps(),
        "step-a-cond-0-metric": "overdue",
        "step-" + "9" * 5000 + "-action": "task",
        "cond-" + "1" * 5000 + "-metric": "overdue",
        "step-0-template_id": "x" * 50,
        "step-1-action": "launch_rockets",
        "internal_recipients": ["0", "abc"],
    }
    forged = await post(manager, "/console/workflows", odd)
    assert forged.status_code == 422 and "Traceback" not in forged.text
    assert 'id="steps-1-action-error" role="alert">Input should be' in forged.text
    assert 'id="steps-0-template_id-error"' in forged.text and 'id="internal_recipients-error"' in forged.text
    for op in ("remove-step-" + "9" * 5000, "add-step-" + "9" * 5000 + "-cond", "explode"):
        answered = await post(manager, "/console/workflows", {**two_steps(), "name": "", "op": op})
        assert answered.status_code == 422 and 'id="name-error"' in answered.text
    assert await console.api.ok("GET", "/workflows") == []


async def test_a_step_gate_is_set_in_the_editor_shown_on_the_workflow_and_refused_when_malformed(
    console: Console,
) -> None:
    manager = await console.sign_in(Role.AR_MANAGER)
    form = (await manager.get("/console/workflows/new")).text
    assert '<label for="step-0-approval_role">Approval before sending' in form
    gated = {
        **two_steps(),
        "step-0-approval_role": "ar_manager",
        "step-0-approval_hours": "24",
        "step-0-approval_expiry": "send",
    }
    created = await post(manager, "/console/workflows", gated)
    assert created.status_code == 303, created.text
    stored = await console.api.ok("GET", created.headers["location"].split("?")[0].replace("/console", ""))
    assert stored["steps"][0]["parameters"] == {
        "approval": {"role": "ar_manager", "timeout_hours": 24, "on_expiry": "send"}
    }
    page = (await manager.get(created.headers["location"])).text
    assert "Approval by ar_manager (or above) within 24 hours, else sent anyway" in page
    edit = (await manager.get(created.headers["location"].split("?")[0] + "/edit")).text
    assert '<option value="ar_manager" selected>' in edit and 'value="24"' in edit

    refused = await post(
        manager, "/console/workflows", {**gated, "name": "Gated task", "step-1-approval_role": "admin"}
    )
    assert refused.status_code == 422 and "approval is only for customer emails" in html.unescape(
        refused.text
    )
