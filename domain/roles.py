"""Who may do what, by role: the role sets every check asks (the API's routes, the console's
pages and buttons, the approvals of a gate)."""

from __future__ import annotations

from domain.enums import Role

EVERYONE = frozenset(Role)
MANAGERS = frozenset({Role.OWNER, Role.ADMIN, Role.AR_MANAGER})
ADMINS = frozenset({Role.OWNER, Role.ADMIN})
SUPPORT = MANAGERS | {Role.SUPPORT}
TASK_WORKERS = MANAGERS | {Role.AR_SPECIALIST}

# The roles an approval gate may ask for: a viewer may never decide anything.
APPROVER_ROLES = EVERYONE - {Role.VIEWER}


def approvers_for(required: Role) -> frozenset[Role]:
    """Who may decide an approval that asks for `required`: that role and every role above it
    in the sets above (managers above specialists and support), owners and admins always."""
    if required in ADMINS:
        return ADMINS
    if required == Role.AR_MANAGER:
        return MANAGERS
    if required == Role.AR_SPECIALIST:
        return TASK_WORKERS
    if required == Role.SUPPORT:
        return SUPPORT
    return ADMINS  # a viewer is never asked; if it were, only owners and admins could answer


def may_approve(approver: Role, required: Role) -> bool:
    return approver in approvers_for(required)
