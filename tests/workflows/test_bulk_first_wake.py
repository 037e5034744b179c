"""A bulk-enrolled enrollment's first plan is made by the bulk job: its workflow starts with the
timer to its first step, and that step is sent at its time, once (issue 18, item 2)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.api.enums.v1 import EventType

from domain.enums import HistoryAction
from models import Enrollment, HistoryEntry
from tests.api.conftest import NY, Api
from tests.workflows.test_automations import _own_workflow_ids, _rows, _skip, _waits  # noqa: F401
from tests.workflows.test_round_trips import _local_activities


async def test_a_bulk_enrolled_customer_starts_with_the_timer_to_its_first_reminder_and_gets_it_on_time(
    api: Api,
) -> None:
    workflow = await api.workflow()  # three days before the due date, then 7 and 14 after
    customer = await api.customer("QB-B1")
    await api.invoice("QB-B1", due_in_days=10)

    progress = await api.bulk_enroll(workflow["id"], [customer["id"]])

    assert progress["counts"] == {"enrolled": 1}
    (row,) = await _rows(api, Enrollment, Enrollment.customer_id == customer["id"])
    await _waits(api, row.workflow_id)
    history = list((await api.env.client.get_workflow_handle(row.workflow_id).fetch_history()).events)
    timer = next(i for i, e in enumerate(history) if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED)
    assert _local_activities(history[:timer]) == 0  # no plan at start: the bulk job made it
    # Nor its search attributes again: the start gave them, the first wake-up included (the one
    # upsert is Temporal's own TemporalChangeVersion, for the `first-wake` patch).
    upserts = [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        for e in history[:timer]
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    assert [set(fields) for fields in upserts] == [{"TemporalChangeVersion"}]
    started = history[0].workflow_execution_started_event_attributes.search_attributes.indexed_fields
    assert {"CustomerId", "DefinitionId", "EnrollmentState", "NextStepAt"} <= set(started)
    first = await api.today() + timedelta(days=7)
    assert row.next_step_at is not None and row.next_step_at.date() == first

    await _skip(api, timedelta(days=6))
    await asyncio.sleep(0.2)
    assert not await _rows(api, HistoryEntry, HistoryEntry.action == HistoryAction.MESSAGE_SENT)
    await _skip(api, timedelta(days=2))

    async def reminded() -> bool:
        return bool(await _rows(api, HistoryEntry, HistoryEntry.action == HistoryAction.MESSAGE_SENT))

    await api.eventually(reminded, timeout=20)
    await _waits(api, row.workflow_id)
    sent = await _rows(api, HistoryEntry, HistoryEntry.action == HistoryAction.MESSAGE_SENT)
    assert len(sent) == 1 and sent[0].occurred_at.astimezone(NY).date() == first
