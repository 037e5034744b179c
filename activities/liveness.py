"""Whether an activity may still act for an enrollment: it is live in Postgres, and this is its
workflow. A cancelled run that never got its signal, or an old run signalled by mistake, then
ends without sending (see docs/DECISIONS.md, "One workflow per enrollment")."""

from __future__ import annotations

from temporalio import activity

from domain.enums import EnrollmentState
from models import Enrollment

LIVE = (EnrollmentState.ACTIVE, EnrollmentState.PAUSED)


def calling_workflow_id() -> str | None:
    """The workflow this activity runs for (None outside an activity, e.g. a direct call)."""
    try:
        return activity.info().workflow_id
    except RuntimeError:
        return None


def runs_elsewhere(enrollment: Enrollment) -> str | None:
    """Why the calling workflow is not this enrollment's workflow, if it is not."""
    caller = calling_workflow_id()
    if caller is None or not enrollment.workflow_id or caller == enrollment.workflow_id:
        return None
    return f"enrollment {enrollment.id} runs in workflow {enrollment.workflow_id}, not {caller}"


def not_live_reason(enrollment: Enrollment) -> str | None:
    """Why nothing may be done for this enrollment any more, or None if it is live here."""
    if enrollment.state not in LIVE:
        return f"the enrollment is {enrollment.state}"
    return runs_elsewhere(enrollment)
