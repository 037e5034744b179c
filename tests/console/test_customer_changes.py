"""The customer page's changes: contacts (add, remove, lift a suppression), the hierarchy and the
enrollment (enroll, reassign, continue with, cancel), with the API's roles and the CSRF check."""

from __future__ import annotations

from sqlmodel import select

from domain.enums import Role
from models import Contact
from models.repository import suppress_once
from services.common import now
from tests.console.conftest import Console


async def test_a_manager_adds_and_removes_a_contact_and_a_bad_one_is_explained_in_place(
    console: Console,
) -> None:
    customer = await console.api.customer()
    browser = await console.sign_in(Role.AR_MANAGER)
    await browser.get(f"/console/customers/{customer['id']}")
    added = await browser.post(
        f"/console/customers/{customer['id']}/contacts",
        {"name": "Bob Billing", "email": "bob@globex.example", "role_billing": "yes"},
    )
    assert added.status_code == 303
    contacts = await console.api.ok("GET", f"/customers/{customer['id']}/contacts")
    bob = next(c for c in contacts if c["email"] == "bob@globex.example")
    assert bob["roles"] == ["billing"]

    unreachable = await browser.post(f"/console/customers/{customer['id']}/contacts", {"name": "Nobody"})
    assert unreachable.status_code == 422 and 'id="contacts-error"' in unreachable.text
    assert (
        "a contact needs an email or a phone number" in unreachable.text
        and 'value="Nobody"' in unreachable.text
    )
    bad_phone = await browser.post(f"/console/customers/{customer['id']}/contacts", {"phone": "555-1234"})
    assert bad_phone.status_code == 422 and "Phone:" in bad_phone.text

    removed = await browser.post(f"/console/customers/{customer['id']}/contacts/{bob['id']}/remove")
    assert removed.status_code == 303
    left = await console.api.ok("GET", f"/customers/{customer['id']}/contacts")
    assert [c["email"] for c in left] == ["ap@globex.example"]


async def test_support_may_not_change_contacts_and_a_form_without_its_token_is_refused(
    console: Console,
) -> None:
    customer = await console.api.customer()
    support = await console.sign_in(Role.SUPPORT)
    page = (await support.get(f"/console/customers/{customer['id']}")).text
    assert "Add the contact</button>" not in page and "Remove Jane" not in page
    refused = await support.post(
        f"/console/customers/{customer['id']}/contacts", {"email": "x@globex.example"}
    )
    assert refused.status_code == 403 and "Your role (support) may not do this" in refused.text

    manager = await console.sign_in(Role.AR_MANAGER)
    forged = await manager.http.post(
        f"/console/customers/{customer['id']}/contacts", data={"email": "x@globex.example"}
    )
    assert forged.status_code == 403 and "did not come from the console" in forged.text
    contacts = await console.api.ok("GET", f"/customers/{customer['id']}/contacts")
    assert [c["email"] for c in contacts] == ["ap@globex.example"]


async def test_support_lifts_a_suppression_with_a_reason_and_the_page_says_why_nothing_is_sent(
    console: Console,
) -> None:
    customer = await console.api.customer()
    async with console.api.sessions() as session:
        await suppress_once(
            session,
            address="ap@globex.example",
            source="bounce",
            reason="550 no such user",
            since=now(),
            delivery_id=None,
        )
        await session.commit()
    browser = await console.sign_in(Role.SUPPORT)
    page = (await browser.get(f"/console/customers/{customer['id']}")).text
    assert "Nothing is sent to this address until the suppression is lifted." in page
    assert "Lift the suppression of ap@globex.example" in page
    lift = page.split("/suppressions/")[1].split("/lift")[0]

    blank = await browser.post(f"/console/customers/{customer['id']}/suppressions/{lift}/lift")
    assert blank.status_code == 422 and "Say why the address may be written to again." in blank.text
    lifted = await browser.post(
        f"/console/customers/{customer['id']}/suppressions/{lift}/lift", {"lift_reason": "Mailbox fixed"}
    )
    assert lifted.status_code == 303
    async with console.api.sessions() as session:
        contact = (await session.exec(select(Contact).where(Contact.customer_id == customer["id"]))).one()
    assert contact.suppressed_at is None
    history = await console.api.ok("GET", f"/customers/{customer['id']}/history")
    assert "Mailbox fixed" in history["items"][0]["description"]
    assert history["items"][0]["actor"] == "support@acme.example"
    again = await browser.post(
        f"/console/customers/{customer['id']}/suppressions/{lift}/lift", {"lift_reason": "Twice"}
    )
    assert again.status_code == 409 and "already lifted by support@acme.example" in again.text


async def test_a_manager_sets_the_parent_and_bill_to_parent_and_both_pages_show_the_hierarchy(
    console: Console,
) -> None:
    parent = await console.api.customer("QB-P", name="Globex Holdings")
    child = await console.api.customer("QB-C", name="Globex US")
    browser = await console.sign_in(Role.AR_MANAGER)
    await browser.get(f"/console/customers/{child['id']}")
    changed = await browser.post(
        f"/console/customers/{child['id']}/hierarchy",
        {"parent_external_id": "QB-P", "bill_to_parent": "yes", "billing_level": "top"},
    )
    assert changed.status_code == 303, changed.text[-3000:]
    stored = await console.api.ok("GET", f"/customers/{child['id']}")
    assert (stored["parent_id"], stored["bill_to_parent"], stored["billing_level"]) == (
        parent["id"],
        True,
        "top",
    )
    child_page = (await browser.get(f"/console/customers/{child['id']}")).text
    assert "Globex Holdings</a> (QB-P)" in child_page and "the top of its hierarchy" in child_page
    parent_page = (await browser.get(f"/console/customers/{parent['id']}")).text
    assert "Globex US</a> <small>(billed to parent)</small>" in parent_page

    unknown = await browser.post(
        f"/console/customers/{child['id']}/hierarchy",
        {"parent_external_id": "QB-NONE", "bill_to_parent": "no"},
    )
    assert unknown.status_code == 422 and 'id="hierarchy-error"' in unknown.text
    assert "parent QB-NONE does not exist" in unknown.text
    cleared = await browser.post(f"/console/customers/{child['id']}/hierarchy", {"bill_to_parent": "no"})
    assert cleared.status_code == 303
    assert (await console.api.ok("GET", f"/customers/{child['id']}"))["parent_id"] is None


async def test_the_enrollment_is_set_reassigned_continued_and_cancelled_with_the_apis_roles(
    console: Console,
) -> None:
    net30 = await console.api.workflow()
    net15 = await console.api.workflow(name="Net 15 reminders")
    customer = await console.api.customer()
    manager = await console.sign_in(Role.AR_MANAGER)
    support = await console.sign_in(Role.SUPPORT)

    page = (await support.get(f"/console/customers/{customer['id']}")).text
    assert "Not enrolled in any workflow: nothing will be sent." in page and "Enroll</button>" not in page
    await manager.get(f"/console/customers/{customer['id']}")
    enrolled = await manager.post(
        f"/console/customers/{customer['id']}/enroll", {"definition_id": str(net30["id"])}
    )
    assert enrolled.status_code == 303
    (enrollment,) = await console.api.ok("GET", f"/customers/{customer['id']}/enrollments")

    page = (await support.get(f"/console/customers/{customer['id']}")).text
    assert "Reassign</button>" in page and "Cancel the enrollment</button>" not in page
    refused = await support.post(f"/console/enrollments/{enrollment['id']}/cancel", {"cancel_reason": "No"})
    assert refused.status_code == 403
    reassigned = await support.post(
        f"/console/enrollments/{enrollment['id']}/reassign", {"definition_id": str(net15["id"])}
    )
    assert reassigned.status_code == 303
    assert (await console.api.ok("GET", f"/enrollments/{enrollment['id']}"))["enrollment"][
        "definition_id"
    ] == net15["id"]

    itself = await manager.post(
        f"/console/enrollments/{enrollment['id']}/continue-with", {"definition_id": str(net15["id"])}
    )
    assert (
        itself.status_code == 422 and 'id="enrollment-error"' in itself.text and "with itself" in itself.text
    )
    continued = await manager.post(
        f"/console/enrollments/{enrollment['id']}/continue-with", {"definition_id": str(net30["id"])}
    )
    assert continued.status_code == 303
    page = (await manager.get(f"/console/customers/{customer['id']}")).text
    assert "continues with Net 30 reminders" in page

    blank = await manager.post(f"/console/enrollments/{enrollment['id']}/cancel", {"cancel_reason": " "})
    assert blank.status_code == 422 and "Say why the enrollment ends." in blank.text
    cancelled = await manager.post(
        f"/console/enrollments/{enrollment['id']}/cancel", {"cancel_reason": "Closed"}
    )
    assert cancelled.status_code == 303
    status = await console.api.ok("GET", f"/enrollments/{enrollment['id']}")
    assert status["enrollment"]["state"] == "cancelled"
    history = await console.api.ok("GET", f"/customers/{customer['id']}/history")
    assert history["items"][0]["description"] == "Enrollment cancelled by ar_manager@acme.example: Closed"
    gone = await manager.post(f"/console/enrollments/{enrollment['id']}/cancel", {"cancel_reason": "Again"})
    assert gone.status_code == 409 and "is cancelled" in gone.text


async def test_an_unknown_enrollment_or_change_is_a_not_found_page(console: Console) -> None:
    browser = await console.sign_in(Role.AR_MANAGER)
    missing = await browser.post("/console/enrollments/999999/cancel", {"cancel_reason": "x"})
    assert missing.status_code == 404 and "enrollment 999999 does not exist" in missing.text
    nonsense = await browser.post("/console/enrollments/1/explode")
    assert nonsense.status_code == 404 and "Traceback" not in nonsense.text
