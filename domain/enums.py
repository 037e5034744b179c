"""Vocabulary shared by every layer: the closed sets of values arcadence stores and reasons about.

Kept in `domain/` so that pure rules, tables and the API name the same things; the
database enforces each set with a CHECK constraint built from these enums.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AR_MANAGER = "ar_manager"
    AR_SPECIALIST = "ar_specialist"
    SUPPORT = "support"
    VIEWER = "viewer"


class AutopayAnchor(StrEnum):
    INVOICE_DATE = "invoice_date"
    DUE_DATE = "due_date"
    DISCOUNT_END = "discount_end"


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    DISPUTED = "disputed"
    ON_HOLD = "on_hold"
    WRITTEN_OFF = "written_off"


class DefinitionKind(StrEnum):
    INVOICE = "invoice"
    CUSTOMER = "customer"
    ASSIGNMENT = "assignment"
    AUTOPAY = "autopay"


class CatchUpPolicy(StrEnum):
    SKIP = "skip"
    LATEST = "latest"


class StepAction(StrEnum):
    CUSTOMER_EMAIL = "customer_email"
    STATEMENT_EMAIL = "statement_email"
    INTERNAL_NOTIFICATION = "internal_notification"
    SMS = "sms"
    TASK = "task"
    NOTE = "note"
    SET_INVOICE_STATUS = "set_invoice_status"
    ASSIGN_SPECIALIST = "assign_specialist"
    NOTIFY_SPECIALIST = "notify_specialist"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class EnrollmentState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    UNKNOWN = "unknown"
    FAILED = "failed"
    EXPIRED = "expired"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    DROPPED = "dropped"
    DEFERRED = "deferred"
    OPENED = "opened"
    CLICKED = "clicked"
    SPAM_REPORTED = "spam_reported"
    UNSUBSCRIBED = "unsubscribed"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ConditionMetric(StrEnum):
    OUTSTANDING = "outstanding"
    OVERDUE = "overdue"
    OVERDUE_PCT = "overdue_pct"
    CONSOLIDATED_OUTSTANDING = "consolidated_outstanding"
    CONSOLIDATED_OVERDUE = "consolidated_overdue"
    CONSOLIDATED_OVERDUE_PCT = "consolidated_overdue_pct"


class ConditionOperator(StrEnum):
    GTE = "gte"
    LT = "lt"


class FrequencyPeriod(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class ContactRole(StrEnum):
    COMMUNICATION = "communication"
    BILLING = "billing"
    PRIMARY = "primary"
