"""Who receives a message: ordered, de-duplicated, validated and capped, with the reasons.

A `Recipient` carries one address in its `email` field: an email address for email steps and
internal notifications, an E.164 phone number for SMS (`address` reads better there).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.enums import ContactRole, StepAction

MAX_RECIPIENTS = 15
MAX_EMAIL_LENGTH = 254
_LOCAL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_PHONE = re.compile(r"^\+[1-9][0-9]{7,14}$")
# People type numbers with spaces, dashes, dots and brackets; Twilio wants bare E.164.
_PHONE_SEPARATORS = str.maketrans("", "", " -.()\u00a0")


@dataclass(frozen=True, slots=True)
class Suppressed:
    """Why an address must not be written to again, and since when (until a person lifts it)."""

    reason: str
    since: date

    def words(self) -> str:
        return f"suppressed since {self.since.isoformat()}: {self.reason}"


# Suppressions in force, by normalised address (`normalize_address`).
Suppressions = Mapping[str, Suppressed]
NO_SUPPRESSIONS: Suppressions = {}


def normalize_address(address: str) -> str:
    """One address, one suppression: compared without case or surrounding space (an E.164
    number is unchanged). Lower-case like Postgres's `lower()`, which the table checks."""
    return address.strip().lower()


@dataclass(frozen=True, slots=True)
class ContactInfo:
    id: int
    name: str
    email: str | None
    phone: str | None
    roles: tuple[str, ...]


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
    """One address and where it came from: "contact:<id>", "role:<role>", "email" or "user:<id>"."""

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
    if "\r" in address or "\n" in address:
        return "contains a line break"
    if any(c.isspace() for c in address):
        return "contains a space"
    if len(address) > MAX_EMAIL_LENGTH:
        return f"is longer than {MAX_EMAIL_LENGTH} characters"
    if address.count("@") != 1:
        return "is not an email address (needs exactly one @)"
    local, _, domain = address.partition("@")
    if not local or not domain:
        return "is not an email address (needs exactly one @)"
    if len(local) > 64 or not _LOCAL.match(local) or local.startswith(".") or local.endswith("."):
        return "has an invalid part before the @"
    if ".." in local:
        return "has an invalid part before the @"
    if not _DOMAIN.match(domain):
        return "has an invalid domain"
    return None


def normalize_phone(number: str) -> str:
    """The number without the separators people type: '+1 (415) 555-0100' → '+14155550100'."""
    return number.strip().translate(_PHONE_SEPARATORS)


def validate_phone(number: str) -> str | None:
    """Why a (normalised) number is unusable for SMS, or None: E.164 is + and 8-15 digits."""
    return None if _PHONE.match(number) else "is not an E.164 phone number (+ and 8-15 digits)"


class _Collector:
    """Keeps the first of each address (case-insensitively), in the order offered."""

    def __init__(self, limit: int, suppressed: Suppressions, *, phone: bool = False) -> None:
        self.limit = limit
        self.phone = phone
        self.suppressed = suppressed
        self.kept: list[Recipient] = []
        self.cut: list[Recipient] = []
        self.rejected: list[Rejected] = []
        self.seen: set[str] = set()

    def offer(self, address: str | None, name: str | None, source: str, *, email: str | None = None) -> None:
        """Offer an address; `email` is the contact's email when `address` is its phone (a
        contact whose email is suppressed gets no SMS either: when in doubt, don't)."""
        if address is None or not address.strip():
            return
        as_given = address.strip()
        address = normalize_phone(as_given) if self.phone else as_given
        folded = address.casefold()
        # A suppressed or invalid address stays "seen": offering it again through another
        # route (a role, an extra email) must not smuggle it back in.
        if folded in self.seen:
            return
        self.seen.add(folded)
        suppressed = self.suppressed.get(normalize_address(address))
        if suppressed is None and email:
            suppressed = self.suppressed.get(normalize_address(email))
        if suppressed is not None:
            self.rejected.append(Rejected(as_given, suppressed.words()))
            return
        problem = validate_phone(address) if self.phone else validate_email(address)
        if problem:
            self.rejected.append(Rejected(as_given, problem))
            return
        recipient = Recipient(email=address, name=name or None, source=source)
        (self.kept if len(self.kept) < self.limit else self.cut).append(recipient)

    def reject(self, address: str, reason: str) -> None:
        self.rejected.append(Rejected(address, reason))

    def result(self, nobody: str, *, none_usable: str | None = None) -> RecipientResolution:
        skip = None
        if not self.kept:
            skip = none_usable if self.rejected and none_usable else nobody
            if self.rejected:
                skip += "; rejected: " + ", ".join(f"{r.address} ({r.reason})" for r in self.rejected)
        return RecipientResolution(tuple(self.kept), tuple(self.cut), tuple(self.rejected), skip)


def _with_role(contacts: Iterable[ContactInfo], role: str) -> list[ContactInfo]:
    return [c for c in contacts if role in c.roles]


def _offer_users(out: _Collector, user_ids: Iterable[int], users: Mapping[int, InternalUser]) -> None:
    for user_id in user_ids:
        user = users.get(user_id)
        if user is None:
            # Deactivated or deleted since the definition named them; say so rather than vanish.
            out.reject(f"user:{user_id}", "no active user with this id")
        else:
            out.offer(user.email, user.name, f"user:{user.id}")


def resolve_email_recipients(
    contacts: Sequence[ContactInfo],
    additional: AdditionalRecipients,
    users: Mapping[int, InternalUser],
    limit: int = MAX_RECIPIENTS,
    suppressed: Suppressions = NO_SUPPRESSIONS,
) -> RecipientResolution:
    """Communication contacts first (in the given order), then the definition's extra emails,
    contacts with the named roles, and internal users; at most `limit`, the rest in `cut`.
    A suppressed address is refused whichever of them it comes from."""
    out = _Collector(limit, suppressed)
    communication = _with_role(contacts, ContactRole.COMMUNICATION)
    for c in communication:
        out.offer(c.email, c.name, f"contact:{c.id}")
    for email in additional.emails:
        out.offer(email, None, "email")
    for role in additional.contact_roles:
        for c in _with_role(contacts, role):
            out.offer(c.email, c.name, f"role:{role}")
    _offer_users(out, additional.user_ids, users)
    names_any = bool(additional.emails or additional.contact_roles or additional.user_ids)
    if not communication and not names_any:
        nobody = (
            "No recipient: the customer has no contact with the communication role and the "
            "workflow names no additional recipients"
        )
    else:
        nobody = (
            "No recipient: no usable email address among the customer's communication contacts "
            "and the workflow's additional recipients"
        )
    return out.result(nobody)


def resolve_internal_recipients(
    user_ids: Sequence[int],
    users: Mapping[int, InternalUser],
    limit: int = MAX_RECIPIENTS,
    *,
    specialist_id: int | None = None,
    suppressed: Suppressions = NO_SUPPRESSIONS,
) -> RecipientResolution:
    """Internal notifications: the assigned AR specialist first, then the definition's internal users."""
    out = _Collector(limit, suppressed)
    ids = [specialist_id, *user_ids] if specialist_id is not None else list(user_ids)
    _offer_users(out, ids, users)
    return out.result(
        "No recipient: no AR specialist is assigned and the workflow names no internal user",
        none_usable=(
            "No recipient: no usable address among the AR specialist and the workflow's internal users"
        ),
    )


def resolve_sms_recipients(
    contacts: Sequence[ContactInfo],
    limit: int = MAX_RECIPIENTS,
    *,
    contact_roles: Sequence[str] = (),
    suppressed: Suppressions = NO_SUPPRESSIONS,
) -> RecipientResolution:
    """SMS goes to the phone numbers (normalised to E.164) of communication contacts, then of
    contacts with the named roles. A contact whose email is suppressed gets no SMS either (when
    in doubt, don't), nor does a suppressed number."""
    out = _Collector(limit, suppressed, phone=True)
    for c in _with_role(contacts, ContactRole.COMMUNICATION):
        out.offer(c.phone, c.name, f"contact:{c.id}", email=c.email)
    for role in contact_roles:
        for c in _with_role(contacts, role):
            out.offer(c.phone, c.name, f"role:{role}", email=c.email)
    return out.result("No recipient: no communication contact has a phone number")


# Who receives each kind of step: the one rule the engine sends by and the timeline shows.
INTERNAL_ACTIONS = frozenset({StepAction.INTERNAL_NOTIFICATION, StepAction.NOTIFY_SPECIALIST})
EMAIL_ACTIONS = frozenset({StepAction.CUSTOMER_EMAIL, StepAction.STATEMENT_EMAIL})
# Messages to the customer's own contacts (the others of a message step go to the team).
CUSTOMER_ACTIONS = EMAIL_ACTIONS | {StepAction.SMS}


@dataclass(frozen=True, slots=True)
class RecipientRules:
    """A workflow's recipient settings, read once from its definition and the customer."""

    additional: AdditionalRecipients
    internal_ids: tuple[int, ...]
    specialist_id: int | None

    @classmethod
    def of(
        cls,
        additional_recipients: Mapping[str, Any] | None,
        internal_recipients: Iterable[Any] | None,
        specialist_id: int | None,
    ) -> RecipientRules:
        extra = additional_recipients or {}
        return cls(
            additional=AdditionalRecipients(
                emails=tuple(str(e) for e in extra.get("emails", [])),
                contact_roles=tuple(str(r) for r in extra.get("contact_roles", [])),
                user_ids=tuple(int(u) for u in extra.get("user_ids", [])),
            ),
            internal_ids=tuple(int(i) for i in internal_recipients or []),
            specialist_id=specialist_id,
        )

    def user_ids(self, action: StepAction | None = None) -> list[int]:
        """The internal users a step of `action` may address (every kind's when None)."""
        internal = [*([self.specialist_id] if self.specialist_id is not None else []), *self.internal_ids]
        if action is None:
            return [*self.additional.user_ids, *internal]
        if action == StepAction.NOTIFY_SPECIALIST:
            return [self.specialist_id] if self.specialist_id is not None else []
        if action in INTERNAL_ACTIONS:
            return internal
        return list(self.additional.user_ids) if action in EMAIL_ACTIONS else []


def candidate_addresses(
    rules: RecipientRules, contacts: Sequence[ContactInfo], users: Mapping[int, InternalUser]
) -> set[str]:
    """Every address a step may write to (contacts' emails and phones, extra emails, users'
    emails), normalised: the ones whose suppressions `recipients_for` needs."""
    found = [*rules.additional.emails, *(u.email for u in users.values())]
    for c in contacts:
        found += [a for a in (c.email, c.phone and normalize_phone(c.phone)) if a]
    return {normalize_address(a) for a in found if a.strip()}


def recipients_for(
    action: StepAction,
    rules: RecipientRules,
    contacts: Sequence[ContactInfo],
    users: Mapping[int, InternalUser],
    suppressed: Suppressions = NO_SUPPRESSIONS,
) -> RecipientResolution | None:
    """Who a step of `action` writes to; None for steps that send no message (tasks, notes…).

    `users` holds the active internal users among `rules.user_ids(action)`; `suppressed` the
    suppressions in force among `candidate_addresses(...)`: a suppressed address is never
    written to, whichever source names it.
    """
    if action == StepAction.NOTIFY_SPECIALIST:
        # The assigned AR specialist only: the workflow's internal users are an internal
        # notification's audience, not this one's.
        if rules.specialist_id is None:
            return RecipientResolution(
                recipients=(), cut=(), rejected=(), skip_reason="No recipient: no AR specialist is assigned"
            )
        return resolve_internal_recipients(
            [], users, specialist_id=rules.specialist_id, suppressed=suppressed
        )
    if action in INTERNAL_ACTIONS:
        return resolve_internal_recipients(
            rules.internal_ids, users, specialist_id=rules.specialist_id, suppressed=suppressed
        )
    if action == StepAction.SMS:
        return resolve_sms_recipients(contacts, suppressed=suppressed)
    if action in EMAIL_ACTIONS:
        return resolve_email_recipients(contacts, rules.additional, users, suppressed=suppressed)
    return None
