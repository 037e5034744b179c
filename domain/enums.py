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


class BillingLevel(StrEnum):
    """Whom a bill-to-parent child is billed to: its direct parent, or the root of its hierarchy."""

    IMMEDIATE = "immediate"
    TOP = "top"


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    DISPUTED = "disputed"
    ON_HOLD = "on_hold"
    WRITTEN_OFF = "written_off"


class CollectionStatus(StrEnum):
    """arcadence's own collection state of an invoice, set by people and steps, never by a sync."""

    IN_COLLECTION = "in_collection"
    ON_HOLD = "on_hold"
    DISPUTED = "disputed"
    PROMISED = "promised"


class DefinitionKind(StrEnum):
    INVOICE = "invoice"
    CUSTOMER = "customer"
    ASSIGNMENT = "assignment"
    AUTOPAY = "autopay"
    # "None": no steps, only automations; an enrollment sleeps until an event or a time trigger.
    AUTOMATIONS = "automations"


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
    # Closed without sending at an approval gate: rejected, expired (skip) or withdrawn.
    WITHHELD = "withheld"


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


class HistoryAction(StrEnum):
    """What a customer history entry records (`history_entry.action`)."""

    # The engine, one step of a cadence.
    MESSAGE_SENT = "message_sent"
    MESSAGE_PARTLY_SENT = "message_partly_sent"
    MESSAGE_NOT_SENT = "message_not_sent"
    # The same three for a message to the team (internal notification, specialist notification).
    INTERNAL_NOTIFICATION_SENT = "internal_notification_sent"
    INTERNAL_NOTIFICATION_PARTLY_SENT = "internal_notification_partly_sent"
    INTERNAL_NOTIFICATION_NOT_SENT = "internal_notification_not_sent"
    STEP_PERFORMED = "step_performed"
    STEP_SKIPPED = "step_skipped"
    STEP_FAILED = "step_failed"
    STEPS_MISSED = "steps_missed"
    DELIVERY_UNKNOWN = "delivery_unknown"
    # Automations: which fired, on which trigger, with the condition values and what each of
    # its actions did (the webhook's answer included).
    AUTOMATION_FIRED = "automation_fired"
    AUTOMATION_NOT_FIRED = "automation_not_fired"
    AUTOMATION_LIMITED = "automation_limited"
    AUTOMATIONS_MISSED = "automations_missed"
    # The enrollment.
    ENROLLED = "enrolled"
    ENROLLMENT_CONFIRMED = "enrollment_confirmed"
    WORKFLOW_REASSIGNED = "workflow_reassigned"
    WORKFLOW_CONTINUED = "workflow_continued"
    CONTINUE_WITH_SET = "continue_with_set"
    ENROLLMENT_COMPLETED = "enrollment_completed"
    ENROLLMENT_CANCELLED = "enrollment_cancelled"
    # People, and what they changed.
    CUSTOMER_PAUSED = "customer_paused"
    CUSTOMER_RESUMED = "customer_resumed"
    INVOICE_PAUSED = "invoice_paused"
    INVOICE_RESUMED = "invoice_resumed"
    COLLECTION_STATUS_SET = "collection_status_set"
    TASK_COMPLETED = "task_completed"
    SUPPRESSION_LIFTED = "suppression_lifted"
    # The provider's webhooks.
    DELIVERY_CONFIRMED = "delivery_confirmed"
    EMAIL_BOUNCED = "email_bounced"
    EMAIL_DROPPED = "email_dropped"
    EMAIL_SPAM_REPORTED = "email_spam_reported"
    EMAIL_UNSUBSCRIBED = "email_unsubscribed"
    # Approval gates (docs/CONTROLS.md): asked, and how each ended, with who decided.
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_APPROVED = "approval_approved"
    APPROVAL_EDITED = "approval_edited"
    APPROVAL_REJECTED = "approval_rejected"
    APPROVAL_EXPIRED = "approval_expired"
    APPROVAL_WITHDRAWN = "approval_withdrawn"
    # Promises to pay and disputes (the collector's controls).
    PROMISE_RECORDED = "promise_recorded"
    PROMISE_KEPT = "promise_kept"
    PROMISE_BROKEN = "promise_broken"
    PROMISE_CANCELLED = "promise_cancelled"
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_RESOLVED = "dispute_resolved"
    # The contact-frequency cap held a message back until the window has room.
    STEP_DEFERRED = "step_deferred"
    # A customer's reply (SendGrid Inbound Parse), and a person marking it handled.
    REPLY_RECEIVED = "reply_received"
    REPLY_HANDLED = "reply_handled"


class SuppressionSource(StrEnum):
    """What made an address unreachable (the provider event), or a person."""

    BOUNCE = "bounce"
    DROPPED = "dropped"
    SPAM_REPORT = "spamreport"
    UNSUBSCRIBE = "unsubscribe"
    GROUP_UNSUBSCRIBE = "group_unsubscribe"


class EventKind(StrEnum):
    """What happened to a customer, as the `event` table stores it: the triggers of automations."""

    INVOICE_CREATED = "invoice_created"
    INVOICE_PAID = "invoice_paid"
    DUE_DATE_MOVED = "due_date_moved"
    DELIVERY_BOUNCED = "delivery_bounced"
    DELIVERY_DROPPED = "delivery_dropped"
    DELIVERY_OPENED = "delivery_opened"
    DELIVERY_REPLIED = "delivery_replied"
    CUSTOMER_PAUSED = "customer_paused"
    CUSTOMER_RESUMED = "customer_resumed"
    ENROLLED = "enrolled"
    WORKFLOW_COMPLETED = "workflow_completed"
    PROMISE_BROKEN = "promise_broken"
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_RESOLVED = "dispute_resolved"


class TimeTrigger(StrEnum):
    """Automation triggers that are instants, planned like steps."""

    DAYS_FROM_DUE = "days_from_due"
    THRESHOLD_CROSSED = "threshold_crossed"
    WEEKDAY = "weekday"
    MONTHLY_DATE = "monthly_date"


class AutomationAction(StrEnum):
    """What an automation does: every step action, and what only automations do."""

    CUSTOMER_EMAIL = "customer_email"
    STATEMENT_EMAIL = "statement_email"
    INTERNAL_NOTIFICATION = "internal_notification"
    SMS = "sms"
    TASK = "task"
    NOTE = "note"
    SET_INVOICE_STATUS = "set_invoice_status"
    ASSIGN_SPECIALIST = "assign_specialist"
    NOTIFY_SPECIALIST = "notify_specialist"
    PAUSE_CUSTOMER = "pause_customer"
    RESUME_CUSTOMER = "resume_customer"
    MOVE_TO_WORKFLOW = "move_to_workflow"
    CANCEL_ENROLLMENT = "cancel_enrollment"
    CALL_WEBHOOK = "call_webhook"


class ApprovalState(StrEnum):
    """Where an approval gate stands: waiting, or how it ended."""

    PENDING = "pending"
    APPROVED = "approved"
    EDITED = "edited"  # approved with a person's new subject/body
    REJECTED = "rejected"
    EXPIRED = "expired"  # the deadline passed; the step's `on_expiry` said what followed
    WITHDRAWN = "withdrawn"  # the enrollment was cancelled or reassigned while it waited


class ApprovalDecision(StrEnum):
    """What a person decides on an approval that waits."""

    APPROVE = "approve"
    REJECT = "reject"
    EDIT = "edit"


class OnExpiry(StrEnum):
    """What an approval gate does when nobody decided by its deadline."""

    SKIP = "skip"
    SEND = "send"


class PromiseState(StrEnum):
    """A promise to pay: open until it is kept (paid in full in time), broken or cancelled."""

    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class DisputeState(StrEnum):
    """A dispute on an invoice: open, then upheld (the customer is right) or rejected."""

    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"


class DisputeReason(StrEnum):
    WRONG_AMOUNT = "wrong_amount"
    NOT_RECEIVED = "not_received"
    QUALITY = "quality"
    ALREADY_PAID = "already_paid"
    DUPLICATE = "duplicate"
    OTHER = "other"
