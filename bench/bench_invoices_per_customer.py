"""Invoices per customer: the SQL statements and the latency of one `prepare` (pause state,
conditions over the customer's hierarchy, recipients, render, delivery) for a customer whose
3-level hierarchy holds 10 invoices, against one whose hierarchy holds 10,000. Targets: the same
number of statements (ratio == 1.0), latency ratio <= 3."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event
from temporalio.testing import ActivityEnvironment

from activities.contracts import OccurrenceRef, PrepareInput, PrepareResult
from activities.preparation import PreparationActivities
from bench._harness import Services, local_today, seed_definition, seed_enrollments, seed_org, services
from bench._report import figure, machine, median, parse_args, ratio_line, say
from domain.enums import ContactRole, StepAction
from models import Contact, Customer, Invoice, WorkflowStep
from models.base import require_id
from workflows.enrollment_types import enrollment_workflow_id

REPEATS = 7
# The hierarchy: the customer, its children, their children (3 levels).
CHILDREN = 3
GRANDCHILDREN = 3


@dataclass
class Tree:
    root_id: int
    invoices: int
    root_invoices: int


async def seed_tree(svc: Services, label: str, invoices: int) -> Tree:
    """A customer with CHILDREN children of GRANDCHILDREN children each; `invoices` open invoices
    spread evenly over the 13 customers, half of them overdue."""
    today = local_today()
    async with svc.sessions() as session:
        root = Customer(external_id=f"{label}-root", name=f"{label} Holdings", currency="USD")
        session.add(root)
        await session.flush()
        members = [root]
        for c in range(CHILDREN):
            child = Customer(
                external_id=f"{label}-{c}", name=f"{label} child {c}", currency="USD", parent_id=root.id
            )
            session.add(child)
            await session.flush()
            members.append(child)
            for g in range(GRANDCHILDREN):
                grandchild = Customer(
                    external_id=f"{label}-{c}-{g}",
                    name=f"{label} grandchild {c}.{g}",
                    currency="USD",
                    parent_id=child.id,
                )
                session.add(grandchild)
                members.append(grandchild)
        await session.flush()
        session.add(
            Contact(
                customer_id=require_id(root),
                name="Accounts Payable",
                email=f"ap-{label}@customer.example",
                roles=[ContactRole.COMMUNICATION.value],
            )
        )
        root_invoices = 0
        for n in range(invoices):
            owner = members[n % len(members)]
            root_invoices += owner is root
            due = date.fromordinal(today.toordinal() + (-(n % 60) if n % 2 else n % 60 + 1))
            session.add(
                Invoice(
                    external_id=f"{label}-I-{n}",
                    customer_id=require_id(owner),
                    number=f"{label}-{n:05d}",
                    currency="USD",
                    total=Decimal("250.00"),
                    balance_due=Decimal("250.00"),
                    issue_date=due - timedelta(days=30),
                    due_date=due,
                )
            )
        await session.commit()
        assert root.id is not None
        return Tree(root.id, invoices, root_invoices)


async def measure(
    svc: Services, tree: Tree, enrollment_id: int, step: WorkflowStep
) -> tuple[list[float], list[int], PrepareResult]:
    """Median-worthy samples: latency (s) and statement count of REPEATS prepares, each for a
    new occurrence (a repeat for the same key would take the shorter already-created path)."""
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    activities = PreparationActivities(svc.sessions)
    env = ActivityEnvironment()
    # The activities act only for the enrollment's own workflow.
    env.info = replace(env.info, workflow_id=enrollment_workflow_id(enrollment_id))
    latencies: list[float] = []
    counts: list[int] = []
    result: PrepareResult | None = None
    event.listen(svc.engine.sync_engine, "before_cursor_execute", count)
    try:
        for repeat in range(REPEATS + 1):  # the first is a warm-up (caches, prepared statements)
            at = datetime.now(UTC)
            occurrence = OccurrenceRef(
                key=f"bench:{tree.root_id}:{repeat}",
                at=at,
                # A day of its own: the delivery key is customer + step + invoice + day + channel.
                local_date=local_today() - timedelta(days=repeat),
                step_id=require_id(step),
                step_position=0,
                action=StepAction(step.action),
                label=f"statement {repeat}",
            )
            statements = 0
            began = time.perf_counter()
            result = await env.run(
                activities.prepare, PrepareInput(enrollment_id=enrollment_id, occurrence=occurrence, as_of=at)
            )
            if repeat:
                latencies.append(time.perf_counter() - began)
                counts.append(statements)
    finally:
        event.remove(svc.engine.sync_engine, "before_cursor_execute", count)
    assert result is not None
    return latencies, counts, result


async def main() -> None:
    parse_args(__doc__ or "")  # --quick changes nothing: the sizes are the target's
    big = 10_000
    say(f"bench invoices_per_customer: 10 vs {big} invoices in a 3-level hierarchy ({machine()})")
    async with services("none") as svc:
        await seed_org(svc.sessions)
        small_tree = await seed_tree(svc, "small", 10)
        big_tree = await seed_tree(svc, "big", big)
        definition_id = await seed_definition(
            svc.sessions,
            kind="customer",
            frequency={"period": "weekly", "weekday": 1},
            conditions=[
                {"metric": "consolidated_overdue", "operator": "gte", "value": "1"},
                {"metric": "outstanding", "operator": "gte", "value": "1"},
            ],
            steps=[{"offset_days": 0, "action": "statement_email"}],
        )
        async with svc.sessions() as session:
            step = await session.get(WorkflowStep, 1)
        assert step is not None
        small_enrollment, big_enrollment = await seed_enrollments(
            svc.sessions, [small_tree.root_id, big_tree.root_id], definition_id, local_today()
        )
        async with svc.engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
        small_lat, small_counts, small_result = await measure(svc, small_tree, small_enrollment, step)
        big_lat, big_counts, big_result = await measure(svc, big_tree, big_enrollment, step)

    for name, tree, lat, counts, result in (
        ("10 invoices", small_tree, small_lat, small_counts, small_result),
        (f"{big} invoices", big_tree, big_lat, big_counts, big_result),
    ):
        figure(
            f"{name}: outcome",
            f"{result.outcome} ({tree.root_invoices} on the customer itself, the rest on 12 descendants)",
        )
        figure(f"{name}: SQL statements per prepare", f"{counts} (median {median(counts):g})")
        figure(f"{name}: latency median", median(lat) * 1000, "ms")
        figure(f"{name}: latency min / max", f"{min(lat) * 1000:.1f} / {max(lat) * 1000:.1f} ms")
    statement_ratio = median(big_counts) / median(small_counts)
    latency_ratio = median(big_lat) / median(small_lat)
    verdict = "met" if statement_ratio == 1.0 else "MISSED"
    figure("statement count ratio (target == 1.0)", f"{statement_ratio:.3f} {verdict}")
    ratio_line("invoices_per_customer", latency_ratio, "<=", 3.0)


if __name__ == "__main__":
    asyncio.run(main())
