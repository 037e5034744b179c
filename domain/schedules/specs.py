"""What the scheduler reasons about: definitions, steps, invoices and the enrollment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from domain.enums import (
    AutopayAnchor,
    CatchUpPolicy,
    DefinitionKind,
    FrequencyPeriod,
    InvoiceStatus,
    StepAction,
)

MAX_STEPS = 100
MAX_OFFSET_DAYS = 3650
OUT_OF_CADENCE = frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID, InvoiceStatus.WRITTEN_OFF})


@dataclass(frozen=True, slots=True)
class Frequency:
    """When a customer-kind definition fires: weekly/bi-weekly on a weekday, or monthly."""

    period: FrequencyPeriod
    weekday: int
    week_of_month: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
        if self.period == FrequencyPeriod.MONTHLY:
            if self.week_of_month not in (1, 2, 3, 4, -1):
                raise ValueError("monthly frequency needs week_of_month 1-4 or -1 (last)")
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
            raise ValueError(f"step offset must be within ±{MAX_OFFSET_DAYS} days")


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

    @property
    def in_cadence(self) -> bool:
        """Paid, void or written-off invoices, and those with nothing left to pay, leave."""
        return self.status not in OUT_OF_CADENCE and self.balance_due > 0

    def autopay_date(self, anchor: AutopayAnchor) -> date:
        if self.scheduled_payment_date is not None:
            return self.scheduled_payment_date
        if anchor == AutopayAnchor.INVOICE_DATE:
            return self.issue_date
        if anchor == AutopayAnchor.DISCOUNT_END and self.discount_end_date is not None:
            return self.discount_end_date
        return self.due_date


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    definition_id: int
    kind: DefinitionKind
    steps: tuple[StepSpec, ...]
    frequency: Frequency | None = None
    catch_up: CatchUpPolicy = CatchUpPolicy.SKIP
    continue_with_id: int | None = None

    def __post_init__(self) -> None:
        if len(self.steps) > MAX_STEPS:
            raise ValueError(f"a workflow has at most {MAX_STEPS} steps")
        if self.kind == DefinitionKind.CUSTOMER and self.frequency is None:
            raise ValueError("a customer-kind workflow needs a frequency")


@dataclass(frozen=True, slots=True)
class EnrollmentContext:
    enrollment_id: int
    anchor_date: date
    invoices: tuple[InvoiceSpec, ...] = ()
    autopay_anchor: AutopayAnchor = AutopayAnchor.DUE_DATE


@dataclass(frozen=True, slots=True, order=True)
class Occurrence:
    """One firing of a step: for an invoice (invoice/autopay kinds) or for the customer."""

    at: datetime
    step_position: int
    invoice_sort: int
    key: str = field(compare=True)
    local_date: date = field(compare=False)
    step_id: int = field(compare=False)
    invoice_id: int | None = field(compare=False)
    action: StepAction = field(compare=False)
    nominal_date: date = field(compare=False)
