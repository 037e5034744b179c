"""Queries, one module per aggregate: rows loaded by id or by what the callers look for, pages
of rows, and rows turned into the pure `domain` types the rules work on.

The names most callers use are re-exported here; `models.repository.pauses` (pause and resume,
which write the history) is imported by its own name.
"""

from __future__ import annotations

from models.repository.contacts import contact_infos, contacts_of, with_an_email
from models.repository.customers import (
    NOT_ENROLLED,
    bill_to_parent_children_of,
    children_of,
    customer_ids_matching,
    customers_by_external_id,
    customers_by_id,
    customers_page,
    load_customer,
    with_bill_to_parent_children,
)
from models.repository.definitions import (
    all_definitions,
    continuation_successors,
    definition_named,
    definition_names,
    load_definition,
    schedule_spec,
    steps_of,
    template_in_use,
    versions_of,
)
from models.repository.deliveries import (
    deliveries_for_update,
    deliveries_page,
    delivery_by_key,
    delivery_for_update,
    delivery_id_by_key,
    events_of_delivery,
    store_event_once,
)
from models.repository.enrollments import (
    LIVE,
    all_live_enrollments,
    enrollment_context,
    enrollments_of,
    insert_new_enrollments,
    live_enrollment,
    live_enrollments_of_customers,
    live_enrollments_of_definition,
    load_enrollment,
    reserve_enrollment_ids,
)
from models.repository.errors import NotFound
from models.repository.history import history_naming_delivery, history_page
from models.repository.invoices import (
    invoice_spec,
    invoices_by_external_id,
    invoices_page,
    listed_invoices,
    open_balance,
    open_invoices,
    open_invoices_of_customers,
)
from models.repository.organization import (
    calendar_of,
    customer_calendar_of,
    customer_calendars,
    load_organization,
)
from models.repository.paging import paged
from models.repository.suppressions import (
    contacts_with_address,
    suppress_once,
    suppressed_among,
    suppression_for_update,
    suppressions_page,
)
from models.repository.tasks import create_task_once, open_task_by_key, tasks_page
from models.repository.templates import all_templates, template_named
from models.repository.users import (
    active_internal_users,
    all_users,
    existing_user_ids,
    key_by_hash,
    keys_of,
    user_by_email,
)

__all__ = [
    "LIVE",
    "NOT_ENROLLED",
    "NotFound",
    "active_internal_users",
    "all_definitions",
    "all_live_enrollments",
    "all_templates",
    "all_users",
    "bill_to_parent_children_of",
    "calendar_of",
    "children_of",
    "contact_infos",
    "contacts_of",
    "contacts_with_address",
    "continuation_successors",
    "create_task_once",
    "customer_calendar_of",
    "customer_calendars",
    "customer_ids_matching",
    "customers_by_external_id",
    "customers_by_id",
    "customers_page",
    "definition_named",
    "definition_names",
    "deliveries_for_update",
    "deliveries_page",
    "delivery_by_key",
    "delivery_for_update",
    "delivery_id_by_key",
    "enrollment_context",
    "enrollments_of",
    "events_of_delivery",
    "existing_user_ids",
    "history_naming_delivery",
    "history_page",
    "insert_new_enrollments",
    "invoice_spec",
    "invoices_by_external_id",
    "invoices_page",
    "key_by_hash",
    "keys_of",
    "listed_invoices",
    "live_enrollment",
    "live_enrollments_of_customers",
    "live_enrollments_of_definition",
    "load_customer",
    "load_definition",
    "load_enrollment",
    "load_organization",
    "open_balance",
    "open_invoices",
    "open_invoices_of_customers",
    "open_task_by_key",
    "paged",
    "reserve_enrollment_ids",
    "schedule_spec",
    "steps_of",
    "store_event_once",
    "suppress_once",
    "suppressed_among",
    "suppression_for_update",
    "suppressions_page",
    "tasks_page",
    "template_in_use",
    "template_named",
    "user_by_email",
    "versions_of",
    "with_an_email",
    "with_bill_to_parent_children",
]
