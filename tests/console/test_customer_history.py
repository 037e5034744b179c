"""The customer history, filtered by kind of action and by days in the organization's zone, and
paged, on the customer page and on the API's `GET /customers/{id}/history` (the same service)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.enums import HistoryAction, Role
from models.history import write_history
from tests.api.conftest import Api
from tests.console.conftest import Console

# 2026-03-10 02:00 UTC is still 2026-03-09 in New York (the organization's zone).
ENTRIES = [
    (
        HistoryAction.MESSAGE_SENT,
        datetime(2026, 3, 2, 15, tzinfo=UTC),
        "Reminder 1 sent to ap@globex.example",
    ),
    (HistoryAction.STEP_SKIPPED, datetime(2026, 3, 5, 15, tzinfo=UTC), "Reminder 2 skipped: disputed"),
    (HistoryAction.CUSTOMER_PAUSED, datetime(2026, 3, 10, 2, tzinfo=UTC), "Paused: promise to pay Friday"),
    (HistoryAction.CUSTOMER_RESUMED, datetime(2026, 3, 12, 15, tzinfo=UTC), "Resumed"),
    (
        HistoryAction.MESSAGE_SENT,
        datetime(2026, 3, 20, 15, tzinfo=UTC),
        "Reminder 3 sent to ap@globex.example",
    ),
]


async def _customer_with_history(api: Api) -> dict[str, Any]:
    customer = await api.customer()
    async with api.sessions() as session:
        for action, at, description in ENTRIES:
            await write_history(
                session,
                customer_id=customer["id"],
                action=action,
                description=description,
                actor="support@acme.example",
                occurred_at=at,
                last_action=False,
            )
        await session.commit()
    return customer


def _descriptions(body: dict[str, Any]) -> list[str]:
    return [item["description"] for item in body["items"]]


async def test_the_api_filters_the_history_by_kind_and_by_days_in_the_organizations_zone(
    console: Console,
) -> None:
    customer = await _customer_with_history(console.api)
    path = f"/customers/{customer['id']}/history"
    sent = await console.api.ok("GET", path, params={"kind": "sent"})
    assert _descriptions(sent) == [ENTRIES[4][2], ENTRIES[0][2]] and sent["total"] == 2
    not_sent = await console.api.ok("GET", path, params={"kind": "not_sent"})
    assert _descriptions(not_sent) == [ENTRIES[1][2]]
    # The pause at 02:00 UTC on the 10th happened on the 9th in New York.
    ninth = await console.api.ok("GET", path, params={"since": "2026-03-09", "until": "2026-03-09"})
    assert _descriptions(ninth) == [ENTRIES[2][2]]
    pauses = await console.api.ok("GET", path, params={"kind": "pauses", "since": "2026-03-10"})
    assert _descriptions(pauses) == [ENTRIES[3][2]]
    first_page = await console.api.ok("GET", path, params={"since": "2026-03-01", "limit": 2})
    second_page = await console.api.ok("GET", path, params={"since": "2026-03-01", "limit": 2, "offset": 2})
    assert first_page["total"] == 5 and _descriptions(first_page) == [ENTRIES[4][2], ENTRIES[3][2]]
    assert _descriptions(second_page) == [ENTRIES[2][2], ENTRIES[1][2]]


async def test_the_api_refuses_an_unknown_kind_a_non_date_and_a_range_ending_before_it_starts(
    console: Console,
) -> None:
    customer = await _customer_with_history(console.api)
    path = f"/customers/{customer['id']}/history"
    await console.api.refused("GET", path, 422, "invalid_input", params={"kind": "everything"})
    await console.api.refused("GET", path, 422, "invalid_input", params={"since": "2026-13-01"})
    backwards = await console.api.refused(
        "GET", path, 422, "invalid_date_range", params={"since": "2026-03-10", "until": "2026-03-01"}
    )
    assert backwards["error"]["details"] == {"since": "2026-03-10", "until": "2026-03-01"}
    edges = {"since": "0001-01-01", "until": "9999-12-31"}
    assert (await console.api.ok("GET", path, params=edges))["total"] >= len(ENTRIES)


async def test_the_customer_page_filters_its_history_and_pages_through_the_filtered_entries(
    console: Console,
) -> None:
    customer = await _customer_with_history(console.api)
    browser = await console.sign_in(Role.SUPPORT)
    url = f"/console/customers/{customer['id']}"
    everything = (await browser.get(url)).text
    assert '<label for="history-kind">Show</label>' in everything and ">Messages sent</option>" in everything
    assert all(description in everything for _, _, description in ENTRIES)
    sent = (await browser.get(url, params={"kind": "sent"})).text
    assert ENTRIES[0][2] in sent and ENTRIES[4][2] in sent and ENTRIES[2][2] not in sent
    assert '<option value="sent" selected>' in sent and "2 entries matching the filter" in sent
    march_ninth = (await browser.get(url, params={"since": "2026-03-09", "until": "2026-03-09"})).text
    assert ENTRIES[2][2] in march_ninth and ENTRIES[3][2] not in march_ninth
    assert 'value="2026-03-09"' in march_ninth
    none = (await browser.get(url, params={"kind": "people"})).text
    assert "Nothing in the history matches this filter" in none and "Show everything</a>" in none


async def test_the_history_pager_keeps_the_filter(console: Console) -> None:
    customer = await console.api.customer()
    async with console.api.sessions() as session:
        for day in range(1, 26):
            await write_history(
                session,
                customer_id=customer["id"],
                action=HistoryAction.MESSAGE_SENT,
                description=f"Reminder of March {day}",
                actor="arcadence",
                occurred_at=datetime(2026, 3, day, 15, tzinfo=UTC),
                last_action=False,
            )
        await session.commit()
    browser = await console.sign_in(Role.VIEWER)
    url = f"/console/customers/{customer['id']}"
    first = (await browser.get(url, params={"kind": "sent"})).text
    assert "Page 1 of 2" in first and "Reminder of March 25" in first and "Reminder of March 5<" not in first
    assert 'href="?kind=sent&amp;history=2#history-heading">Older' in first
    second = (await browser.get(url, params={"kind": "sent", "history": 2})).text
    assert "Page 2 of 2" in second and "Reminder of March 5<" in second
    assert 'href="?kind=sent#history-heading">← Newer' in second


async def test_a_filter_the_form_cannot_send_is_explained_next_to_it(console: Console) -> None:
    customer = await _customer_with_history(console.api)
    browser = await console.sign_in(Role.VIEWER)
    url = f"/console/customers/{customer['id']}"
    backwards = await browser.get(url, params={"since": "2026-03-10", "until": "2026-03-01"})
    assert backwards.status_code == 200
    assert 'id="history-error" role="alert">The “To” day is before the “From” day.' in backwards.text
    nonsense = await browser.get(url, params={"kind": "everything", "since": "yesterday"})
    assert nonsense.status_code == 200 and 'id="history-error"' in nonsense.text
    assert ENTRIES[0][2] in nonsense.text  # shown unfiltered
    too_long = await browser.get(url, params={"kind": "x" * 300, "until": "2026-03-01" * 30})
    assert too_long.status_code == 200 and 'id="history-error"' in too_long.text
