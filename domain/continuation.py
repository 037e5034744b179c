"""Continue-with chains: which workflow follows which, and the chains that must be refused."""

from __future__ import annotations

from collections.abc import Mapping

from domain.enums import DefinitionKind


def cannot_continue(kind: DefinitionKind) -> str | None:
    """Why a workflow of `kind` can have no successor, or None when it can.

    A customer-kind workflow (a weekly or monthly statement series) repeats for as long as the
    customer is enrolled: it never ends, so nothing could ever follow it.
    """
    if kind == DefinitionKind.CUSTOMER:
        return "a customer workflow repeats for as long as the customer is enrolled and never ends"
    if kind == DefinitionKind.AUTOMATIONS:
        return "an automations-only workflow has no steps to finish: it waits for events and never ends"
    return None


def continuation_cycle(
    definition_id: int | None, successor_id: int, successors: Mapping[int, int | None]
) -> list[int] | None:
    """The loop that saving `definition_id → successor_id` would close, or None.

    `successors` maps every workflow to the one it continues with today. A new workflow
    (`definition_id` None) cannot close a loop: nothing continues with it yet.
    """
    if definition_id is None:
        return None
    graph = {**successors, definition_id: successor_id}
    chain, current = [definition_id], graph[definition_id]
    while current is not None and current not in chain:
        chain.append(current)
        current = graph.get(current)
    return [*chain, definition_id] if current == definition_id else None
