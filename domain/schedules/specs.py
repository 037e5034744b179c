"""What the scheduler reasons about: definitions, steps, invoices, the enrollment, and occurrences."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from domain.enums import (
    AutopayAnchor,
    CatchUpPolicy,
    CollectionStatus,
    DefinitionKind,
    FrequencyPeriod,
    InvoiceStatus,
    StepAction,
)
from domain.invoices import is_dunnable, is_held, is_owed

MAX_STEPS = 100
MAX_OFFSET_DAYS = 3650
WEEKS_OF_MONTH = (1, 2, 3, 4, -1)


@dataclass(frozen=True, slots=True)
class Frequency:
    """When a customer-kind definition fires: weekly/bi-weekly on a weekday, or monthly.

    Bi-weekly has no phase of its own: the series starts on the first matching weekday on or
    after the enrollment's anchor date, so recomputing it from any instant gives the same dates.
    """

    period: FrequencyPeriod
    weekday: int
    week_of_month: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday}")
        if self.period == FrequencyPeriod.MONTHLY:
            if self.week_of_month not in WEEKS_OF_MONTH:
                raise ValueError(
                    f"a monthly frequency needs week_of_month 1-4 or -1 (last), got {self.week_of_month}"
                )
        elif self.week_of_month is not None:
            raise ValueError("week_of_month applies to monthly frequencies only")


@dataclass(frozen=True, slots=True)
class StepSpec:
    id: int
    position: int
    offset_days: int
    action: StepAction

    def __post_init__(self) -> None:
        if abs(self.offset_days) > MAX_OFFSET_DAYS:
            raise ValueError(
                f"step offset must be within ±{MAX_OFFSET_DAYS} days, got {self.offset_days} (step {self.id})"
            )


@dataclass(frozen=True, slots=True)
class InvoiceSpec:
    id: int
    number: str
    status: InvoiceStatus
    balance_due: Decimal
    issue_date: date
    due_date: date
    discount_end_date: date | None = None
    scheduled_payment_date: date | None = None
    paused: bool = False
    collection_status: str = CollectionStatus.IN_COLLECTION.value
    # The last time it was held by its collection status (disputed, promised, on hold) and came
    # back: (held at, back at). What fell due in between meets the catch-up policy once.
    held_between: tuple[datetime, datetime] | None = None

    @property
    def in_cadence(self) -> bool:
        """Paid, void or written-off invoices, those with nothing left to pay, and those held
        (disputed, on hold, promised) leave; a paused one stays in but is not reminded."""
        return is_dunnable(self.status, self.balance_due, self.collection_status)

    @property
    def set_aside(self) -> bool:
        """Still owed but not reminded for now (paused or held): it comes back when resumed or
        back in collection, so the cadence has work ahead."""
        return is_owed(self.status, self.balance_due) and (
            self.paused or is_held(self.status, self.collection_status)
        )

    def autopay_date(self, anchor: AutopayAnchor) -> date:
        """The day the auto-payment is taken: the scheduled date if known, else the customer's anchor."""
        return autopay_payment(self, anchor)[0]


class AutopayDates(Protocol):
    @property
    def issue_date(self) -> date: ...
    @property
    def due_date(self) -> date: ...
    @property
    def discount_end_date(self) -> date | None: ...
    @property
    def scheduled_payment_date(self) -> date | None: ...


# What an auto-payment date came from, in words a customer reads.
PAYMENT_SOURCE_WORDS = {
    "scheduled": "the scheduled payment date",
    AutopayAnchor.INVOICE_DATE.value: "the invoice date",
    AutopayAnchor.DUE_DATE.value: "the due date",
    AutopayAnchor.DISCOUNT_END.value: "the end of the discount period",
}


def autopay_payment(invoice: AutopayDates, anchor: AutopayAnchor | str) -> tuple[date, str]:
    """The day the auto-payment is taken and what it came from ("scheduled", or the anchor used):
    the scheduled date if known, else the customer's anchor (the due date when the discount end
    it names is unknown). The one rule the schedule and the message context share."""
    if invoice.scheduled_payment_date is not None:
        return invoice.scheduled_payment_date, "scheduled"
    if anchor == AutopayAnchor.INVOICE_DATE:
        return invoice.issue_date, AutopayAnchor.INVOICE_DATE.value
    if anchor == AutopayAnchor.DISCOUNT_END and invoice.discount_end_date is not None:
        return invoice.discount_end_date, AutopayAnchor.DISCOUNT_END.value
    return invoice.due_date, AutopayAnchor.DUE_DATE.value


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """One definition version as the scheduler sees it; steps are kept sorted by (offset, position)."""

    definition_id: int
    kind: DefinitionKind
    steps: tuple[StepSpec, ...]
    frequency: Frequency | None = None
    catch_up: CatchUpPolicy = CatchUpPolicy.SKIP
    continue_with_id: int | None = None

    def __post_init__(self) -> None:
        if len(self.steps) > MAX_STEPS:
            raise ValueError(f"a workflow has at most {MAX_STEPS} steps, got {len(self.steps)}")
        ids = [s.id for s in self.steps]
        if len(set(ids)) != len(ids):
            # The step id is part of every occurrence key: two steps sharing one would collide.
            raise ValueError("step ids must be unique within a workflow")
        if self.kind == DefinitionKind.CUSTOMER and self.frequency is None:
            raise ValueError("a customer-kind workflow needs a frequency")
        ordered = tuple(sorted(self.steps, key=lambda s: (s.offset_days, s.position)))
        object.__setattr__(self, "steps", ordered)


@dataclass(frozen=True, slots=True)
class EnrollmentContext:
    """The enrollment as the scheduler sees it; `anchor_date` is a local date in the org zone."""

    enrollment_id: int
    anchor_date: date
    invoices: tuple[InvoiceSpec, ...] = ()
    autopay_anchor: AutopayAnchor = AutopayAnchor.DUE_DATE


@dataclass(frozen=True, slots=True, order=True)
class Occurrence:
    """One firing of a step, for an invoice (invoice/autopay kinds) or for the customer.

    Occurrences order by instant, then step position, then invoice id (customer-level first);
    the key breaks any remaining tie, so the order is total.
    """

    at: datetime
    step_position: int
    # Derived from invoice_id so that ordering never compares None with an int.
    invoice_rank: int = field(init=False, repr=False)
    key: str
    local_date: date = field(compare=False)
    step_id: int = field(compare=False)
    invoice_id: int | None = field(compare=False)
    action: StepAction = field(compare=False)
    nominal_date: date = field(compare=False)
    # Positions of earlier reminders of the same invoice that the business-day shift put on
    # this occurrence's day: they are not sent, this one speaks for them (rule: never two a day).
    merged_positions: tuple[int, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("an occurrence instant must be timezone-aware")
        object.__setattr__(self, "invoice_rank", -1 if self.invoice_id is None else self.invoice_id)
