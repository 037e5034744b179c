"""When an enrollment's current workflow has ended: the rules the loop asks before it continues
with a successor or completes. Each was patched in once histories existed (docs/REPLAY.md)."""

from __future__ import annotations

from temporalio import workflow

from workflows import policies

with workflow.unsafe.imports_passed_through():
    from activities.contracts import PlanResult
    from domain.enums import DefinitionKind
    from workflows.enrollment_types import CarriedState


def has_ended(plan: PlanResult, carried: CarriedState) -> bool:
    """Nothing will come from this definition: continue with the successor, or complete.

    The last step's own wake-up is the end (no idle day after it), and an invoice or auto-pay
    cadence has ended only once one of its steps ran, not merely because nothing is open now.
    """
    if not plan.exhausted:
        return False
    if plan.due and not workflow.patched(policies.PATCH_END_WITH_LAST_STEP):
        return False
    waits_for_invoices = plan.kind in (DefinitionKind.INVOICE, DefinitionKind.AUTOPAY)
    if waits_for_invoices and carried.performed_here is False:
        return not workflow.patched(policies.PATCH_ENDED_MEANS_RAN)
    return True


def may_switch_now(switched_since_timer: bool) -> bool:
    """Never two switches without a timer between them: a chain of empty workflows waits."""
    return not (switched_since_timer and workflow.patched(policies.PATCH_ONE_SWITCH_PER_WAKE))
