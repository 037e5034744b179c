"""Who receives a message: ordered, de-duplicated, validated, and capped — with the reasons."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from domain.enums import ContactRole

MAX_RECIPIENTS = 15
_LOCAL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_PHONE = re.compile(r"^\+[1-9][0-9]{7,14}$")


@dataclass(frozen=True, slots=True)
class ContactInfo:
    id: int
    name: str
    email: str | None
    phone: str | None
    roles: tuple[str, ...]
    suppressed: bool = False


@dataclass(frozen=True, slots=True)
class InternalUser:
    id: int
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class AdditionalRecipients:
    emails: tuple[str, ...] = ()
    contact_roles: tuple[str, ...] = ()
    user_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Recipient:
    """One address (an email, or a phone number for SMS) and where it came from."""

    email: str
    name: str | None
    source: str

    @property
    def address(self) -> str:
        return self.email


@dataclass(frozen=True, slots=True)
class Rejected:
    address: str
    reason: str


@dataclass(frozen=True, slots=True)
class RecipientResolution:
    recipients: tuple[Recipient, ...]
    cut: tuple[Recipient, ...]
    rejected: tuple[Rejected, ...]
    skip_reason: str | None


def validate_email(address: str) -> str | None:
    """Why an address is unusable, or None when it is fine (a practical RFC 5322 subset)."""
    if any(c in address for c in "\r\n\t ") or len(address) > 254:
        return "contains spaces or line breaks, or is too long"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return "is not an email address"
    if len(local) > 64 or not _LOCAL.match(local) or local.startswith(".") or ".." in local:
        return "has an invalid local part"
    if not _DOMAIN.match(domain):
        return "has an invalid domain"
    return None


def validate_phone(number: str) -> str | None:
    return None if _PHONE.match(number) else "is not an E.164 phone number (+ and 8-15 digits)"


class _Collector:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: list[Recipient] = []
        self.cut: list[Recipient] = []
        self.rejected: list[Rejected] = []
        self.seen: set[str] = set()

    def offer(
        self,
        address: str | None,
        name: str | None,
        source: str,
        *,
        phone: bool = False,
        suppressed: bool = False,
    ) -> None:
        if not address:
            return
        address = address.strip()
        folded = address.casefold()
        if folded in self.seen:
            return
        self.seen.add(folded)
        if suppressed:
            self.rejected.append(Rejected(address, "suppressed (bounced/unsubscribed)"))
            return
        problem = validate_phone(address) if phone else validate_email(address)
        if problem:
            self.rejected.append(Rejected(address, problem))
            return
        recipient = Recipient(email=address, name=name or None, source=source)
        (self.kept if len(self.kept) < self.limit else self.cut).append(recipient)

    def result(self, nobody: str) -> RecipientResolution:
        skip = None
        if not self.kept:
            skip = nobody
            if self.rejected:
                skip += "; rejected: " + ", ".join(f"{r.address} ({r.reason})" for r in self.rejected)
        return RecipientResolution(tuple(self.kept), tuple(self.cut), tuple(self.rejected), skip)


def _with_role(contacts: Iterable[ContactInfo], role: str) -> list[ContactInfo]:
    return [c for c in contacts if role in c.roles]


def resolve_email_recipients(
    contacts: Sequence[ContactInfo],
    additional: AdditionalRecipients,
    users: Mapping[int, InternalUser],
    limit: int = MAX_RECIPIENTS,
) -> RecipientResolution:
    """Communication contacts first, then the definition's additional recipients."""
    out = _Collector(limit)
    for c in _with_role(contacts, ContactRole.COMMUNICATION):
        out.offer(c.email, c.name, f"contact:{c.id}", suppressed=c.suppressed)
    for email in additional.emails:
        out.offer(email, None, "email")
    for role in additional.contact_roles:
        for c in _with_role(contacts, role):
            out.offer(c.email, c.name, f"role:{role}", suppressed=c.suppressed)
    for user_id in additional.user_ids:
        user = users.get(user_id)
        if user is not None:
            out.offer(user.email, user.name, f"user:{user.id}")
    return out.result(
        "No recipient: the customer has no contact with the communication role and the "
        "workflow names no additional recipients"
    )


def resolve_internal_recipients(
    user_ids: Sequence[int], users: Mapping[int, InternalUser], limit: int = MAX_RECIPIENTS
) -> RecipientResolution:
    """Internal notifications: the assigned specialist and the definition's internal users."""
    out = _Collector(limit)
    for user_id in user_ids:
        user = users.get(user_id)
        if user is not None:
            out.offer(user.email, user.name, f"user:{user.id}")
    return out.result("No recipient: no AR specialist is assigned and the workflow names no internal user")


def resolve_sms_recipients(
    contacts: Sequence[ContactInfo], limit: int = MAX_RECIPIENTS
) -> RecipientResolution:
    """SMS goes to communication contacts' phone numbers (E.164)."""
    out = _Collector(limit)
    for c in _with_role(contacts, ContactRole.COMMUNICATION):
        out.offer(c.phone, c.name, f"contact:{c.id}", phone=True, suppressed=c.suppressed)
    return out.result("No recipient: no communication contact has a phone number")
