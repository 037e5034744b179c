"""Business days never stack two reminders for one invoice on one day: the later step is sent."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.enums import DefinitionKind, StepAction
from domain.schedules import OrgCalendar, ScheduleSpec, StepSpec, merge_description, occurrences, timeline
from tests.domain.conftest import context, invoice

BUSINESS = OrgCalendar(business_days_only=True)
US_BUSINESS = OrgCalendar(business_days_only=True, holiday_country="US")
AFTER = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2027, 3, 1, tzinfo=UTC)


def spec(*steps: tuple[int, StepAction]) -> ScheduleSpec:
    return ScheduleSpec(
        definition_id=1,
        kind=DefinitionKind.INVOICE,
        steps=tuple(
            StepSpec(id=100 + i, position=i, offset_days=o, action=a) for i, (o, a) in enumerate(steps)
        ),
    )


EMAIL = StepAction.CUSTOMER_EMAIL


def test_two_reminders_shifted_onto_one_monday_become_the_later_step() -> None:
    # Due Thu 3 Dec 2026: +2 is Sat 5 Dec, +4 is Mon 7 Dec; the weekend moves step 2 onto Monday.
    found = occurrences(
        spec((0, EMAIL), (2, EMAIL), (4, EMAIL)),
        context(invoice(due=date(2026, 12, 3))),
        BUSINESS,
        after=AFTER,
        until=UNTIL,
    )
    sent = [(o.step_position, o.local_date) for o in found]
    assert sent == [(0, date(2026, 12, 3)), (2, date(2026, 12, 7))]
    assert found[1].merged_positions == (1,)
    assert merge_description(found[1]) == (
        "Step 2 merged into step 3: both fell on Mon 07 Dec 2026 after the business-day shift "
        "(weekends and holidays)"
    )


def test_a_holiday_shift_merges_too() -> None:
    # Due Wed 23 Dec 2026: +2 is Fri 25 Dec (Christmas, US), +5 is Mon 28 Dec.
    cadence = spec((0, EMAIL), (2, EMAIL), (5, EMAIL))
    ctx = context(invoice(due=date(2026, 12, 23)))
    merged = occurrences(cadence, ctx, US_BUSINESS, after=AFTER, until=UNTIL)
    sent = [(o.step_position, o.local_date) for o in merged]
    assert sent == [(0, date(2026, 12, 23)), (2, date(2026, 12, 28))]
    assert merged[1].merged_positions == (1,)
    # Without the holiday calendar Christmas is a Friday like any other: nothing merges.
    plain = occurrences(cadence, ctx, BUSINESS, after=AFTER, until=UNTIL)
    assert [o.step_position for o in plain] == [0, 1, 2]
    assert all(o.merged_positions == () for o in plain)


def test_each_invoice_merges_on_its_own() -> None:
    found = occurrences(
        spec((1, EMAIL), (3, EMAIL)),
        context(invoice(1, due=date(2026, 12, 3)), invoice(2, due=date(2026, 12, 1))),
        BUSINESS,
        after=AFTER,
        until=UNTIL,
    )
    # Invoice 1: +1 Fri 4, +3 Sun 6 -> Mon 7 (no merge). Invoice 2: +1 Wed 2, +3 Fri 4.
    assert sorted((o.invoice_id, o.local_date) for o in found) == [
        (1, date(2026, 12, 4)),
        (1, date(2026, 12, 7)),
        (2, date(2026, 12, 2)),
        (2, date(2026, 12, 4)),
    ]
    assert all(o.merged_positions == () for o in found)


def test_steps_meant_for_the_same_day_and_non_reminders_are_not_merged() -> None:
    # Sat 5 + Sun 6 both shift to Mon 7; a task on Sat 5 and the email on Mon 7 both stay,
    # and two emails with the same offset were meant for the same day: both stay.
    found = occurrences(
        spec((2, StepAction.TASK), (2, EMAIL), (2, StepAction.SMS), (4, StepAction.NOTE)),
        context(invoice(due=date(2026, 12, 3))),
        BUSINESS,
        after=AFTER,
        until=UNTIL,
    )
    assert [o.step_position for o in found] == [0, 1, 2, 3]
    assert all(o.local_date == date(2026, 12, 7) for o in found)
    assert all(o.merged_positions == () for o in found)


def test_without_business_days_only_nothing_shifts_and_nothing_merges() -> None:
    found = occurrences(
        spec((0, EMAIL), (2, EMAIL), (4, EMAIL)),
        context(invoice(due=date(2026, 12, 3))),
        OrgCalendar(),
        after=AFTER,
        until=UNTIL,
    )
    assert [o.local_date for o in found] == [date(2026, 12, 3), date(2026, 12, 5), date(2026, 12, 7)]


def test_the_timeline_shows_the_merge() -> None:
    found = timeline(
        spec((0, EMAIL), (2, EMAIL), (4, EMAIL)),
        context(invoice(due=date(2026, 12, 3))),
        BUSINESS,
        after=AFTER,
        limit=5,
    )
    assert [o.merged_positions for o in found] == [(), (1,)]
