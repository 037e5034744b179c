"""Tables, settings and database access. Importing this package registers every table."""

from models.approvals import Approval
from models.automations import Automation, AutomationRun, AutomationVersion, Event, WorkflowAutomation
from models.customers import Contact, Customer
from models.definitions import (
    MAX_STEPS,
    Template,
    WorkflowDefinition,
    WorkflowDefinitionVersion,
    WorkflowStep,
)
from models.deliveries import Delivery, DeliveryEvent, OutboxMessage, Task
from models.enrollments import Enrollment, HistoryEntry
from models.invoices import Invoice
from models.organization import OrganizationSettings
from models.promises import Dispute, PromiseInvoice, PromiseToPay
from models.replies import InboundReply
from models.suppressions import Suppression
from models.users import ApiKey, User

__all__ = [
    "MAX_STEPS",
    "ApiKey",
    "Approval",
    "Automation",
    "AutomationRun",
    "AutomationVersion",
    "Contact",
    "Customer",
    "Delivery",
    "DeliveryEvent",
    "Dispute",
    "Enrollment",
    "Event",
    "HistoryEntry",
    "InboundReply",
    "Invoice",
    "OrganizationSettings",
    "OutboxMessage",
    "PromiseInvoice",
    "PromiseToPay",
    "Suppression",
    "Task",
    "Template",
    "User",
    "WorkflowAutomation",
    "WorkflowDefinition",
    "WorkflowDefinitionVersion",
    "WorkflowStep",
]
