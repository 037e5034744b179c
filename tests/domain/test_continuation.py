"""Continue-with chains: a loop is refused when saved, and a never-ending series has no successor."""

from __future__ import annotations

from domain.continuation import cannot_continue, continuation_cycle
from domain.enums import DefinitionKind


def test_a_workflow_continuing_with_its_own_successors_predecessor_is_a_loop() -> None:
    # A(1) → B(2) exists; saving B → A closes A → B → A.
    assert continuation_cycle(2, 1, {1: 2, 2: None}) == [2, 1, 2]


def test_a_longer_loop_is_found_and_named_in_order() -> None:
    # 1 → 2 → 3 exist; saving 3 → 1 closes 3 → 1 → 2 → 3.
    assert continuation_cycle(3, 1, {1: 2, 2: 3, 3: None}) == [3, 1, 2, 3]


def test_a_chain_that_ends_is_no_loop() -> None:
    assert continuation_cycle(1, 2, {1: None, 2: 3, 3: None}) is None


def test_a_workflow_continuing_with_itself_is_a_loop() -> None:
    assert continuation_cycle(4, 4, {4: None}) == [4, 4]


def test_a_new_workflow_cannot_close_a_loop() -> None:
    assert continuation_cycle(None, 1, {1: 2, 2: 1}) is None


def test_an_old_loop_elsewhere_does_not_hang_the_check() -> None:
    assert continuation_cycle(5, 1, {1: 2, 2: 1, 5: None}) is None


def test_a_customer_series_never_ends_so_nothing_can_follow_it() -> None:
    assert cannot_continue(DefinitionKind.CUSTOMER) is not None
    for kind in (DefinitionKind.INVOICE, DefinitionKind.ASSIGNMENT, DefinitionKind.AUTOPAY):
        assert cannot_continue(kind) is None
