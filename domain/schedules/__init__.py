"""Schedules: when each step of a definition fires for an enrollment (pure, DST-correct)."""

from domain.schedules.occurrences import (
    REMINDER_ACTIONS,
    merge_description,
    monthly_weekday,
    occurrence_key,
    occurrences,
)
from domain.schedules.org_calendar import OrgCalendar, customer_calendar, customer_zone, local_instant
from domain.schedules.planning import (
    INVOICE_LOOKBACK,
    ON_TIME_GRACE,
    Plan,
    fresh_cursor,
    is_exhausted,
    plan_next,
    timeline,
)
from domain.schedules.specs import (
    MAX_OFFSET_DAYS,
    MAX_STEPS,
    PAYMENT_SOURCE_WORDS,
    EnrollmentContext,
    Frequency,
    InvoiceSpec,
    Occurrence,
    ScheduleSpec,
    StepSpec,
    autopay_payment,
)

__all__ = [
    "INVOICE_LOOKBACK",
    "MAX_OFFSET_DAYS",
    "MAX_STEPS",
    "ON_TIME_GRACE",
    "PAYMENT_SOURCE_WORDS",
    "REMINDER_ACTIONS",
    "EnrollmentContext",
    "Frequency",
    "InvoiceSpec",
    "Occurrence",
    "OrgCalendar",
    "Plan",
    "ScheduleSpec",
    "StepSpec",
    "autopay_payment",
    "customer_calendar",
    "customer_zone",
    "fresh_cursor",
    "is_exhausted",
    "local_instant",
    "merge_description",
    "monthly_weekday",
    "occurrence_key",
    "occurrences",
    "plan_next",
    "timeline",
]
