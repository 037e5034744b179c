"""A bulk batch is written in a few statements, and every enrollment rule still holds for each
of its customers: auto-pay refused, a live enrollment reassigned, bill-to-parent children
following their parent, one history entry and one workflow per new enrollment."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, func, select

from domain.enums import HistoryAction
from models import Customer, Enrollment, HistoryEntry
from models.automations import Event
from models.db import create_engine, session_factory
from models.settings import Settings
from services.enrollments import BatchEnrollment, enroll_new_customers
from services.unit_of_work import AppState, unit_of_work
from tests.api.conftest import Api
from workflows.enrollment_types import enrollment_workflow_id


async def test_each_customer_of_a_bulk_batch_is_enrolled_by_the_same_rules_as_one_enrolled_alone(
    api: Api,
) -> None:
    strict = await api.workflow(name="Strict")
    gentle = await api.workflow(name="Gentle")
    synced = await api.ok(
        "POST",
        "/customers/batch",
        json={
            "customers": [
                {"external_id": "N1", "name": "New one"},
                {"external_id": "N2", "name": "New two"},
                {"external_id": "AP", "name": "Pays itself", "autopay": True},
                {"external_id": "MV", "name": "Moves over"},
                {"external_id": "P", "name": "Parent"},
                {"external_id": "C", "name": "Child", "parent_external_id": "P", "bill_to_parent": True},
            ]
        },
    )
    ids = {i["external_id"]: i["id"] for i in synced["items"]}
    before = await api.enroll(ids["MV"], gentle["id"])

    progress = await api.bulk_enroll(strict["id"], [ids[x] for x in ("N1", "N2", "AP", "MV", "P")])

    outcomes = {o["customer_id"]: o for o in progress["outcomes"]}
    assert progress["counts"] == {"enrolled": 4, "refused": 1}
    assert outcomes[ids["AP"]]["outcome"] == "refused" and "auto-pay" in outcomes[ids["AP"]]["reason"]
    async with api.sessions() as session:
        live = {
            e.customer_id: e
            for e in (await session.exec(select(Enrollment).where(col(Enrollment.state) == "active"))).all()
        }
        history = (
            await session.exec(
                select(HistoryEntry).where(col(HistoryEntry.customer_id).in_(list(ids.values())))
            )
        ).all()
        customers = {c.id: c for c in (await session.exec(select(Customer))).all()}
    # Everyone but the auto-pay customer is in the bulk job's workflow, the child through its parent.
    assert {x for x, i in ids.items() if i in live} == {"N1", "N2", "MV", "P", "C"}
    assert all(live[ids[x]].definition_id == strict["id"] for x in ("N1", "N2", "MV", "P", "C"))
    assert live[ids["C"]].individually_enrolled is False
    # The customer already enrolled keeps its enrollment, moved to the new workflow.
    assert live[ids["MV"]].id == before["id"]
    actions: dict[str, list[str]] = {x: [] for x in ids}
    by_id = {i: x for x, i in ids.items()}
    for entry in history:
        actions[by_id[entry.customer_id]].append(entry.action)
    enrolled = HistoryAction.ENROLLED.value
    # One entry each for this job; the moved one says it was reassigned.
    assert actions["N1"] == [enrolled] and actions["N2"] == [enrolled] and actions["P"] == [enrolled]
    assert actions["C"] == [enrolled]
    assert actions["AP"] == []
    assert sorted(actions["MV"]) == sorted([enrolled, HistoryAction.WORKFLOW_REASSIGNED.value])
    for x in ("N1", "N2"):
        entry = next(e for e in history if e.customer_id == ids[x])
        assert entry.enrollment_id == live[ids[x]].id
        assert customers[ids[x]].last_action == "Enrolled in 'Strict' by " + entry.actor
        assert await api.workflow_running(live[ids[x]].workflow_id)


async def test_a_customer_enrolled_twice_by_bulk_keeps_its_one_enrollment_and_is_confirmed(api: Api) -> None:
    workflow = await api.workflow(name="Strict")
    synced = await api.ok("POST", "/customers/batch", json={"customers": [{"external_id": "A", "name": "A"}]})
    customer_id = synced["items"][0]["id"]

    first = await api.bulk_enroll(workflow["id"], [customer_id])
    second = await api.bulk_enroll(workflow["id"], [customer_id])

    assert first["counts"] == {"enrolled": 1} and second["counts"] == {"enrolled": 1}
    async with api.sessions() as session:
        rows = (await session.exec(select(Enrollment).where(Enrollment.customer_id == customer_id))).all()
        actions = (
            await session.exec(select(HistoryEntry.action).where(HistoryEntry.customer_id == customer_id))
        ).all()
    assert len(rows) == 1
    assert sorted(actions) == sorted([HistoryAction.ENROLLED.value, HistoryAction.ENROLLMENT_CONFIRMED.value])


async def test_a_bulk_batch_is_written_in_the_same_few_statements_whatever_its_size(
    api: Api, db_engine: AsyncEngine
) -> None:
    workflow = await api.workflow(name="Strict")
    batch = [{"external_id": f"B-{i}", "name": f"Customer {i}", "autopay": i == 3} for i in range(45)]
    synced = await api.ok("POST", "/customers/batch", json={"customers": batch})
    ids = [item["id"] for item in synced["items"]]
    # An engine of its own, so that only the batch's statements are counted (not the worker's).
    engine = create_engine(db_engine.url.render_as_string(hide_password=False))
    state = AppState(
        settings=Settings(),
        sessions=session_factory(engine),
        temporal=api.env.client,
        task_queue=api.task_queue,
    )
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    async def written(customer_ids: list[int]) -> tuple[int, BatchEnrollment]:
        statements.clear()
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            async with unit_of_work(state) as uow:
                out = await enroll_new_customers(uow, workflow["id"], customer_ids, "ops@acme.example")
                used = len(statements)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        return used, out

    try:
        small, few = await written(ids[:5])
        large, many = await written(ids[5:])
    finally:
        await engine.dispose()

    assert small == large  # one query per rule, one insert per table: not one per customer
    assert len(few.enrolled) == 4 and len(many.enrolled) == 40
    assert ids[3] in few.refused and few.one_by_one == [] and many.one_by_one == []
    async with api.sessions() as session:
        entries = (
            await session.exec(
                select(func.count()).select_from(HistoryEntry).where(col(HistoryEntry.customer_id).in_(ids))
            )
        ).one()
        enrolled_events = (
            await session.exec(
                select(func.count())
                .select_from(Event)
                .where(col(Event.customer_id).in_(ids), Event.kind == "enrolled")
            )
        ).one()
    assert entries == 44
    assert enrolled_events == 44  # the automations' `enrolled` trigger, one per new enrollment
    for enrollment_id in list(few.enrolled.values())[:2]:
        assert await api.workflow_running(enrollment_workflow_id(enrollment_id))
