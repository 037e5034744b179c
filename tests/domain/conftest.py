"""Shared builders for the pure domain tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.enums import DefinitionKind, InvoiceStatus, StepAction
from domain.schedules import EnrollmentContext, InvoiceSpec, ScheduleSpec, StepSpec


def steps(*offsets: int, action: StepAction = StepAction.CUSTOMER_EMAIL) -> tuple[StepSpec, ...]:
    return tuple(
        StepSpec(id=100 + i, position=i, offset_days=o, action=action) for i, o in enumerate(offsets)
    )


def invoice(
    id: int = 1,
    due: date = date(2026, 12, 1),
    *,
    status: InvoiceStatus = InvoiceStatus.OPEN,
    balance: str = "1000.00",
    paused: bool = False,
    **extra: object,
) -> InvoiceSpec:
    return InvoiceSpec(
        id=id,
        number=f"INV-{1000 + id}",
        status=status,
        balance_due=Decimal(balance),
        issue_date=date(2026, 11, 1),
        due_date=due,
        paused=paused,
        **extra,  # type: ignore[arg-type]
    )


def invoice_spec(*offsets: int, **kw: object) -> ScheduleSpec:
    return ScheduleSpec(definition_id=1, kind=DefinitionKind.INVOICE, steps=steps(*offsets), **kw)  # type: ignore[arg-type]


def context(*invoices: InvoiceSpec, anchor: date = date(2026, 11, 1)) -> EnrollmentContext:
    return EnrollmentContext(enrollment_id=7, anchor_date=anchor, invoices=invoices)
