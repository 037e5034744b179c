"""Occurrences the contact-frequency cap held back: kept in the carried state, performed at their
allowed time (one per allowed slot: `prepare` re-checks the cap each time), never dropped.

The enrollment's commands change only once a deferral happens (`policies.PATCH_CONTACT_CAP`):
histories without one replay as before.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from temporalio import workflow

from workflows import policies

with workflow.unsafe.imports_passed_through():
    from activities.contracts import OccurrenceRef, PlanResult, PrepareResult
    from domain.enums import HistoryAction
    from workflows.enrollment_types import CarriedState, DeferredOccurrence


def keep(carried: CarriedState, occurrence: OccurrenceRef, prepared: PrepareResult) -> bool:
    """Keep a held-back occurrence for later; False on a history from before deferrals."""
    if prepared.deferred_until is None or not workflow.patched(policies.PATCH_CONTACT_CAP):
        return False
    when = str(prepared.details.get("deferred_until_local") or prepared.deferred_until.isoformat())
    carried.deferred = [d for d in carried.deferred if d.occurrence.key != occurrence.key]
    carried.deferred.append(
        DeferredOccurrence(
            occurrence=occurrence,
            until=prepared.deferred_until,
            label=f"{when}: {occurrence.label} (held back by the contact cap)",
        )
    )
    return True


def take_next_due(carried: CarriedState, as_of: datetime) -> OccurrenceRef | None:
    """The oldest held-back occurrence whose time has come (removed from the state), or None:
    taken one at a time, so those not yet performed stay in the state if the loop stops."""
    for index, held in enumerate(carried.deferred):
        if held.until <= as_of:
            del carried.deferred[index]
            # Performed as at its allowed time: not "late", though its own date stays in its keys.
            return dataclasses.replace(held.occurrence, at=held.until)
    return None


def sooner(plan: PlanResult, carried: CarriedState) -> PlanResult:
    """The plan, waking for the first held-back occurrence when it comes before the next step."""
    if not carried.deferred:
        return plan
    first = min(carried.deferred, key=lambda d: d.until)
    if plan.next_at is not None and plan.next_at <= first.until:
        return plan
    return dataclasses.replace(plan, next_at=first.until, next_label=first.label)


async def record_deferral(
    enrollment_id: int,
    occurrence: OccurrenceRef,
    prepared: PrepareResult,
    record: Callable[..., Awaitable[None]],
) -> None:
    """The history entry, once per occurrence and allowed time (it may be held back again)."""
    assert prepared.deferred_until is not None
    details: dict[str, Any] = {"conditions": prepared.conditions, **prepared.details}
    await record(
        enrollment_id,
        HistoryAction.STEP_DEFERRED,
        f"{occurrence.label} {prepared.reason}",
        occurrence,
        details,
        key=f"{occurrence.key}:deferred:{prepared.deferred_until.isoformat()}",
    )
