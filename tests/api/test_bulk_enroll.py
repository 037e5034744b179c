"""Bulk enrollment: 2,000 customers, answered at once, a job with progress and outcomes."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import func, select

from domain.enums import Role
from models import Contact, Enrollment
from tests.api.conftest import WORKFLOW, Api
from workflows.bulk_enroll_types import BATCH_SIZE, CONCURRENT_BATCHES


async def test_bulk_enroll_of_more_customers_than_its_batches_run_at_once_reports_each_outcome(
    api: Api,
) -> None:
    # 449 customers: nine batches of 50 (the last one short), more than the four that run side by
    # side, so batches wait for a slot and progress is reported while they do.
    workflow = await api.ok("POST", "/workflows", status=201, json=WORKFLOW)
    batch = [{"external_id": f"B-{i}", "name": f"Customer {i}", "autopay": i == 7} for i in range(449)]
    synced = await api.ok("POST", "/customers/batch", json={"customers": batch})
    ids: list[int] = [item["id"] for item in synced["items"]]
    assert len(ids) > BATCH_SIZE * CONCURRENT_BATCHES
    autopay_id, no_contact_id = ids[7], ids[8]

    job = await api.ok(
        "POST",
        "/enrollments/bulk",
        status=202,
        json={
            "definition_id": workflow["id"],
            "customer_ids": [*ids, 999_999],
            "emails": {str(no_contact_id): "ap@eight.example"},
        },
    )
    assert job["total"] == 450

    progress: dict[str, Any] = {}
    for _ in range(600):
        progress = await api.ok("GET", f"/enrollments/bulk/{job['job_id']}?outcomes=true", Role.VIEWER)
        if progress["finished"]:
            break
        await asyncio.sleep(0.2)
    assert progress["finished"] and progress["done"] == 450
    assert progress["counts"] == {"enrolled": 448, "refused": 2}
    refused = {o["customer_id"]: o["reason"] for o in progress["outcomes"] if o["outcome"] == "refused"}
    assert "auto-pay" in refused[autopay_id] and refused[999_999] == "no such customer"
    async with api.sessions() as session:
        live = (await session.exec(select(func.count()).select_from(Enrollment))).one()
        saved = (await session.exec(select(Contact.email).where(Contact.customer_id == no_contact_id))).all()
    assert live == 448
    assert saved == ["ap@eight.example"]


async def test_bulk_requests_are_bounded_and_checked_before_starting(api: Api) -> None:
    too_many = await api.call(
        "POST", "/enrollments/bulk", json={"definition_id": 1, "customer_ids": list(range(1, 10_002))}
    )
    assert too_many.status_code == 422
    unknown = await api.call("POST", "/enrollments/bulk", json={"definition_id": 424242, "customer_ids": [1]})
    assert unknown.status_code == 404
    assert (await api.call("GET", "/enrollments/bulk/0123456789abcdef")).status_code == 404
