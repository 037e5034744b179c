"""The bulk-enroll activity: one batch of customers, enrolled by the enrollment service.

The batch's new enrollments are one transaction of a few statements
(`services.enrollments.enroll_new_customers`: the rules checked by one query each, one
multi-row insert for the rows and one for the history), their workflows started side by side
after the commit. A customer that already has a live enrollment, or bill-to-parent children
that follow it, is then enrolled exactly as the API would (`enroll_customer`), each in its own
unit of work so one refusal never undoes others.
"""

from __future__ import annotations

import asyncio

import structlog
from temporalio import activity
from temporalio.client import Client

from activities.errors import missing_rows_are_final
from models import Contact, Customer
from models.base import require_id
from models.db import SessionFactory
from models.repository import contacts_of
from models.settings import Settings
from services.enrollments import BatchEnrollment, enroll_customer, enroll_new_customers
from services.errors import AfterCommitFailed, ServiceError
from services.unit_of_work import AppState, UnitOfWork, unit_of_work
from workflows.bulk_enroll_types import BulkBatch, CustomerOutcome

log = structlog.get_logger("arcadence.bulk")

# Customers of one batch that are enrolled one by one (a live enrollment, bill-to-parent
# children), side by side (times the workflow's concurrent batches: the database pool and
# Temporal see at most 4 x 8 at once).
CUSTOMERS_AT_ONCE = 8


class BulkActivities:
    def __init__(self, sessions: SessionFactory, client: Client, settings: Settings, task_queue: str) -> None:
        self._state = AppState(settings=settings, sessions=sessions, temporal=client, task_queue=task_queue)

    @activity.defn(name="enroll_batch")
    @missing_rows_are_final
    async def enroll_batch(self, batch: BulkBatch) -> list[CustomerOutcome]:
        outcomes: dict[int, CustomerOutcome] = {}
        written = BatchEnrollment()
        try:
            async with unit_of_work(self._state) as uow:
                written = await enroll_new_customers(
                    uow, batch.definition_id, batch.customer_ids, batch.actor, emails=batch.emails
                )
        except AfterCommitFailed as err:
            # Committed, but some workflows could not be started: the job reports them, a retry is safe.
            for customer_id in written.not_started:
                outcomes[customer_id] = CustomerOutcome(
                    customer_id=customer_id, outcome="failed", reason=err.message
                )
        except ServiceError as err:
            # The whole batch is refused (the definition is disabled, ...): nothing was committed.
            return [
                CustomerOutcome(customer_id=customer_id, outcome="refused", reason=err.message)
                for customer_id in dict.fromkeys(batch.customer_ids)
            ]
        for customer_id, reason in written.refused.items():
            outcomes[customer_id] = CustomerOutcome(customer_id=customer_id, outcome="refused", reason=reason)
        for customer_id, enrollment_id in written.enrolled.items():
            outcomes.setdefault(
                customer_id,
                CustomerOutcome(
                    customer_id=customer_id, outcome="enrolled", reason=f"enrollment {enrollment_id}"
                ),
            )
        activity.heartbeat(len(outcomes))
        outcomes.update(await self._one_by_one(batch, written.one_by_one, done=len(outcomes)))
        return [outcomes[customer_id] for customer_id in dict.fromkeys(batch.customer_ids)]

    async def _one_by_one(
        self, batch: BulkBatch, customer_ids: list[int], done: int
    ) -> dict[int, CustomerOutcome]:
        # Each customer is its own short transaction then a signal-with-start to Temporal: run a
        # few side by side so the batch waits on round trips in parallel, not one after another.
        slots = asyncio.Semaphore(CUSTOMERS_AT_ONCE)

        async def one(customer_id: int) -> CustomerOutcome:
            nonlocal done
            async with slots:
                outcome = await self._enroll_one(batch, customer_id)
            done += 1
            activity.heartbeat(done)
            return outcome

        results = await asyncio.gather(*(one(customer_id) for customer_id in customer_ids))
        return {outcome.customer_id: outcome for outcome in results}

    async def _enroll_one(self, batch: BulkBatch, customer_id: int) -> CustomerOutcome:
        try:
            async with unit_of_work(self._state) as uow:
                customer = await uow.session.get(Customer, customer_id)
                if customer is None:
                    return CustomerOutcome(
                        customer_id=customer_id, outcome="refused", reason="no such customer"
                    )
                email = batch.emails.get(customer_id)
                if email:
                    await _save_email_if_none(uow, customer, email)
                enrollment = await enroll_customer(
                    uow, customer, batch.definition_id, batch.actor, refuse_autopay=True
                )
        except AfterCommitFailed as err:
            # Committed, but the workflow could not be started: the job reports it, a retry is safe.
            return CustomerOutcome(customer_id=customer_id, outcome="failed", reason=err.message)
        except ServiceError as err:
            # Refused before anything was committed (rolled back).
            return CustomerOutcome(customer_id=customer_id, outcome="refused", reason=err.message)
        return CustomerOutcome(
            customer_id=customer_id, outcome="enrolled", reason=f"enrollment {enrollment.id}"
        )


async def _save_email_if_none(uow: UnitOfWork, customer: Customer, email: str) -> None:
    existing = await contacts_of(uow.session, require_id(customer))
    if any(c.email for c in existing):
        return
    uow.session.add(Contact(customer_id=require_id(customer), name="", email=email, roles=["communication"]))
