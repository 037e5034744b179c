"""The AR contact of a workflow: who its emails come from and whom the customer answers,
each field falling back to the organization's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ArContact:
    sender_name: str
    email: str
    reply_to: str | None
    phone: str | None


def ar_contact(
    *,
    org_sender_name: str,
    org_sender_email: str,
    org_reply_to: str | None,
    sender_name: str | None = None,
    email: str | None = None,
    reply_to: str | None = None,
    phone: str | None = None,
) -> ArContact:
    """The workflow's own fields where set, else the organization's. A workflow that sets its
    own email but no reply-to is answered at that email, not at the organization's reply-to."""
    own_reply = reply_to or (email if email else None)
    return ArContact(
        sender_name=sender_name or org_sender_name,
        email=email or org_sender_email,
        reply_to=own_reply or org_reply_to,
        phone=phone,
    )
