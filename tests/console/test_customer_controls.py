"""The customer page's promises to pay and disputes: a specialist records and cancels a promise,
opens and resolves a dispute with plain forms; a viewer reads them and gets no form."""

from __future__ import annotations

from datetime import timedelta

from domain.enums import Role
from tests.api.test_promises_and_disputes import _own_promise_workflows  # noqa: F401  (autouse)
from tests.console.conftest import Console


async def test_a_specialist_records_a_promise_and_resolves_a_dispute_on_the_customer_page(
    console: Console,
) -> None:
    customer = await console.api.customer()
    invoice = await console.api.invoice()
    await console.api.enroll(customer["id"], (await console.api.workflow())["id"])
    page_path = f"/console/customers/{customer['id']}"
    browser = await console.sign_in(Role.AR_SPECIALIST)
    page = (await browser.get(page_path)).text
    assert "Promises to pay and disputes" in page and "No promise to pay." in page

    past = str(await console.api.today() - timedelta(days=1))
    refused = await browser.post(
        f"{page_path}/promises", {f"invoice_{invoice['id']}": "yes", "promised_date": past}
    )
    assert (
        refused.status_code == 422
        and 'id="controls-error"' in refused.text
        and "before today" in refused.text
    )
    promised = str(await console.api.today() + timedelta(days=4))
    recorded = await browser.post(f"{page_path}/promises", {"promised_date": promised, "note": "Wire Friday"})
    assert recorded.status_code == 303 and recorded.headers["location"].endswith("#controls-heading")
    page = (await browser.get(page_path)).text
    assert "nothing paid of 2,340.50 USD" in page and "Wire Friday" in page and "Cancel promise" in page
    assert "dunning resumes for INV-1042, task for nobody (no specialist assigned)" in page
    (promise,) = await console.api.ok("GET", f"/customers/{customer['id']}/promises")
    assert promise["whole_balance"] is True
    assert (await browser.post(f"/console/promises/{promise['id']}/cancel")).status_code == 303
    assert (await console.api.ok("GET", f"/customers/{customer['id']}/promises"))[0]["state"] == "cancelled"

    opened = await browser.post(
        f"{page_path}/disputes", {"invoice": str(invoice["id"]), "reason": "quality", "note": "Scratched"}
    )
    assert opened.status_code == 303
    page = (await browser.get(page_path)).text
    assert "Resolve the dispute on INV-1042" in page and "Scratched" in page
    (dispute,) = (await console.api.ok("GET", "/disputes?state=open"))["items"]
    again = await browser.post(f"{page_path}/disputes", {"invoice": str(invoice["id"]), "reason": "quality"})
    assert again.status_code == 409 and "open dispute" in again.text
    resolved = await browser.post(f"/console/disputes/{dispute['id']}/resolve", {"resolution": "rejected"})
    assert resolved.status_code == 303
    assert (await console.api.ok("GET", f"/invoices/{invoice['id']}"))["collection_status"] == "in_collection"

    viewer = await console.sign_in(Role.VIEWER)
    page = (await viewer.get(page_path)).text
    assert "rejected" in page and "Record the promise" not in page and "Open a dispute</button>" not in page
    denied = await viewer.post(f"{page_path}/disputes", {"invoice": str(invoice["id"]), "reason": "quality"})
    assert denied.status_code == 403
