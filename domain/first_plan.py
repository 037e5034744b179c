"""Whether a new enrollment's first plan can be made where it is enrolled (the bulk job) instead of
by its workflow: only when that plan would do nothing but start the wait for its next step."""

from __future__ import annotations

from domain.enums import DefinitionKind
from domain.schedules import Plan

# Cadences a fresh enrollment waits in even when nothing is scheduled yet (no open invoice):
# they end only once one of their steps ran.
_WAIT_FOR_INVOICES = (DefinitionKind.INVOICE, DefinitionKind.AUTOPAY)


def first_plan_only_waits(
    plan: Plan,
    kind: DefinitionKind,
    *,
    enabled: bool,
    paused: bool,
    automations_attached: bool,
    open_promise: bool,
) -> bool:
    """True when the workflow's own first plan, at the same instant, would only start its timer.

    Anything else is the workflow's to do: a step due or missed now, a pause (in force, or ended
    and to be recorded as resumed), automations that react to the `enrolled` event, a promise to
    pay to judge and wake for, a switched-off workflow, or a cadence with nothing ahead that
    completes or continues with its successor at once.
    """
    if not enabled or paused or automations_attached or open_promise:
        return False
    if plan.due or plan.missed:
        return False
    return not plan.exhausted or kind in _WAIT_FOR_INVOICES
