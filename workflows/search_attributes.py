"""Custom search attributes that let an engineer find an enrollment in the Temporal UI."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
DEFINITION_ID = SearchAttributeKey.for_keyword("DefinitionId")
ENROLLMENT_STATE = SearchAttributeKey.for_keyword("EnrollmentState")
NEXT_STEP_AT = SearchAttributeKey.for_datetime("NextStepAt")

ALL_KEYS = (CUSTOMER_ID, DEFINITION_ID, ENROLLMENT_STATE, NEXT_STEP_AT)
