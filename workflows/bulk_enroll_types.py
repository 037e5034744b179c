"""Input, progress and outcomes of a bulk enrollment job."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_BULK = 10_000
BATCH_SIZE = 50
CONCURRENT_BATCHES = 4


def bulk_job_workflow_id(job_id: str) -> str:
    return f"bulk-enroll-{job_id}"


@dataclass(kw_only=True)
class BulkEnrollInput:
    job_id: str
    definition_id: int
    customer_ids: list[int]
    actor: str
    # Emails supplied with the request, saved for customers that have no contact address.
    emails: dict[int, str] = field(default_factory=dict)


@dataclass(kw_only=True)
class CustomerOutcome:
    customer_id: int
    outcome: str  # enrolled | reassigned | unchanged | refused | failed
    reason: str = ""


@dataclass(kw_only=True)
class BulkBatch:
    job_id: str
    definition_id: int
    customer_ids: list[int]
    actor: str
    emails: dict[int, str] = field(default_factory=dict)


@dataclass(kw_only=True)
class BulkProgress:
    job_id: str
    definition_id: int
    total: int
    done: int
    counts: dict[str, int]
    finished: bool
    outcomes: list[CustomerOutcome] = field(default_factory=list)
