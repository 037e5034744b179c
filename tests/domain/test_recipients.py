"""Recipients: communication contacts first, de-duplicated, validated, at most 15, with reasons."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.enums import StepAction
from domain.recipients import (
    MAX_RECIPIENTS,
    AdditionalRecipients,
    ContactInfo,
    InternalUser,
    RecipientRules,
    Suppressed,
    candidate_addresses,
    recipients_for,
    resolve_email_recipients,
    resolve_internal_recipients,
    resolve_sms_recipients,
    validate_email,
)

BOUNCED = Suppressed(reason="bounce: 550 no such user", since=date(2026, 11, 30))
SUPPRESSED = "suppressed since 2026-11-30: bounce: 550 no such user"

NOBODY = (
    "No recipient: the customer has no contact with the communication role and the "
    "workflow names no additional recipients"
)


def contact(
    i: int,
    email: str | None = None,
    roles: tuple[str, ...] = ("communication",),
    *,
    phone: str | None = None,
) -> ContactInfo:
    return ContactInfo(
        id=i,
        name=f"Contact {i}",
        email=email or f"c{i}@globex.example",
        phone=phone,
        roles=roles,
    )


def test_twenty_communication_contacts_are_capped_to_fifteen_and_the_five_cut_are_named() -> None:
    result = resolve_email_recipients([contact(i) for i in range(20)], AdditionalRecipients(), {})
    assert MAX_RECIPIENTS == 15
    assert [r.email for r in result.recipients] == [f"c{i}@globex.example" for i in range(15)]
    assert [r.email for r in result.cut] == [f"c{i}@globex.example" for i in range(15, 20)]
    assert result.skip_reason is None


def test_additional_recipients_are_the_first_to_be_cut() -> None:
    users = {9: InternalUser(9, "Sam", "sam@acme.example")}
    extra = AdditionalRecipients(emails=("cfo@globex.example",), user_ids=(9,))
    result = resolve_email_recipients([contact(i) for i in range(15)], extra, users)
    assert len(result.recipients) == 15
    assert [(r.email, r.source) for r in result.cut] == [
        ("cfo@globex.example", "email"),
        ("sam@acme.example", "user:9"),
    ]


def test_communication_contacts_come_first_then_emails_roles_and_users_in_order() -> None:
    contacts = [contact(1, roles=("billing",)), contact(2), contact(3, roles=("primary",)), contact(4)]
    users = {9: InternalUser(9, "Sam", "sam@acme.example")}
    extra = AdditionalRecipients(emails=("cfo@globex.example",), contact_roles=("billing",), user_ids=(9,))
    result = resolve_email_recipients(contacts, extra, users)
    assert [(r.email, r.source, r.name) for r in result.recipients] == [
        ("c2@globex.example", "contact:2", "Contact 2"),
        ("c4@globex.example", "contact:4", "Contact 4"),
        ("cfo@globex.example", "email", None),
        ("c1@globex.example", "role:billing", "Contact 1"),
        ("sam@acme.example", "user:9", "Sam"),
    ]


def test_duplicates_across_contacts_emails_and_users_are_removed_case_insensitively_first_wins() -> None:
    contacts = [
        contact(1, "AP@Globex.example"),
        contact(2, "ap@globex.EXAMPLE"),
        contact(3, "AP@GLOBEX.EXAMPLE", roles=("billing",)),
    ]
    users = {5: InternalUser(5, "Sam", "Sam@Acme.example")}
    extra = AdditionalRecipients(
        emails=("Ap@GLOBEX.example", "sam@acme.EXAMPLE"), contact_roles=("billing",), user_ids=(5,)
    )
    result = resolve_email_recipients(contacts, extra, users)
    assert [(r.email, r.source) for r in result.recipients] == [
        ("AP@Globex.example", "contact:1"),
        ("sam@acme.EXAMPLE", "email"),
    ]
    assert result.rejected == () and result.cut == ()


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("not-an-address", "is not an email address (needs exactly one @)"),
        ("a@b@globex.example", "is not an email address (needs exactly one @)"),
        ("@globex.example", "is not an email address (needs exactly one @)"),
        ("ap@", "is not an email address (needs exactly one @)"),
        ("a b@globex.example", "contains a space"),
        ("ap@globex.example\r\nBcc: all@evil.example", "contains a line break"),
        (".ap@globex.example", "has an invalid part before the @"),
        ("a..p@globex.example", "has an invalid part before the @"),
        ("ap@localhost", "has an invalid domain"),
        ("ap@-globex.example", "has an invalid domain"),
        ("ap@" + "a" * 250 + ".com", "is longer than 254 characters"),
    ],
)
def test_invalid_addresses_are_refused_with_a_reason(address: str, reason: str) -> None:
    assert validate_email(address) == reason


@pytest.mark.parametrize(
    "address",
    ["ap@globex.example", "first.last+ar@sub.globex.co.uk", "o'brien@globex.ie", "X_Y-Z@a1-b2.io"],
)
def test_ordinary_addresses_are_accepted(address: str) -> None:
    assert validate_email(address) is None


def test_invalid_and_suppressed_addresses_are_rejected_and_reported() -> None:
    contacts = [
        contact(1, "not-an-address"),
        contact(2, "bounced@globex.example"),
        contact(3),
    ]
    extra = AdditionalRecipients(emails=("a b@x.example", "BOUNCED@globex.example"))
    result = resolve_email_recipients(contacts, extra, {}, suppressed={"bounced@globex.example": BOUNCED})
    assert [r.email for r in result.recipients] == ["c3@globex.example"]
    assert [(r.address, r.reason) for r in result.rejected] == [
        ("not-an-address", "is not an email address (needs exactly one @)"),
        ("bounced@globex.example", SUPPRESSED),
        ("a b@x.example", "contains a space"),
    ]


def test_a_suppressed_address_cannot_come_back_through_a_role() -> None:
    contacts = [contact(1, "ap@globex.example")]
    extra = AdditionalRecipients(contact_roles=("communication",), emails=("AP@globex.example",))
    result = resolve_email_recipients(contacts, extra, {}, suppressed={"ap@globex.example": BOUNCED})
    assert result.recipients == ()
    assert result.skip_reason is not None and "suppressed" in result.skip_reason


def test_no_address_at_all_skips_the_step_with_a_clear_reason() -> None:
    result = resolve_email_recipients([contact(1, roles=("billing",))], AdditionalRecipients(), {})
    assert result.recipients == ()
    assert result.skip_reason == NOBODY


def test_only_unusable_addresses_skip_the_step_and_say_which() -> None:
    result = resolve_email_recipients(
        [contact(1, "nope", roles=("communication",))], AdditionalRecipients(), {}
    )
    assert result.skip_reason is not None
    assert result.skip_reason.startswith("No recipient: no usable email address")
    assert "nope (is not an email address" in result.skip_reason


def test_an_unknown_or_inactive_user_is_reported_not_silently_dropped() -> None:
    result = resolve_email_recipients([contact(1)], AdditionalRecipients(user_ids=(42,)), {})
    assert [r.email for r in result.recipients] == ["c1@globex.example"]
    assert [(r.address, r.reason) for r in result.rejected] == [("user:42", "no active user with this id")]


def test_internal_notifications_go_to_the_specialist_first_then_internal_users() -> None:
    users = {1: InternalUser(1, "Sam", "sam@acme.example"), 2: InternalUser(2, "Kim", "kim@acme.example")}
    result = resolve_internal_recipients([1, 2, 1], users, specialist_id=2)
    assert [(r.email, r.source) for r in result.recipients] == [
        ("kim@acme.example", "user:2"),
        ("sam@acme.example", "user:1"),
    ]
    assert resolve_internal_recipients([], users).skip_reason == (
        "No recipient: no AR specialist is assigned and the workflow names no internal user"
    )


def test_sms_goes_to_e164_numbers_normalised_from_what_people_type() -> None:
    contacts = [
        contact(1, phone="+1 (415) 555-0100"),
        contact(2, phone="555-0100"),
        contact(3, phone="+14155550100"),  # the same number, written differently
        contact(4, phone=None),
        contact(5, phone="+44 20 7946 0958", roles=("billing",)),
        contact(6, "bounced@globex.example", phone="+4915112345678"),
    ]
    suppressed = {"bounced@globex.example": BOUNCED}
    result = resolve_sms_recipients(contacts, contact_roles=("billing",), suppressed=suppressed)
    assert [(r.address, r.source) for r in result.recipients] == [
        ("+14155550100", "contact:1"),
        ("+442079460958", "role:billing"),
    ]
    assert [(r.address, r.reason) for r in result.rejected] == [
        ("555-0100", "is not an E.164 phone number (+ and 8-15 digits)"),
        ("+4915112345678", SUPPRESSED),
    ]


def test_sms_without_any_phone_number_is_skipped() -> None:
    result = resolve_sms_recipients([contact(1)])
    assert result.skip_reason == "No recipient: no communication contact has a phone number"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.emails() | st.text(max_size=30), min_size=0, max_size=40))
def test_never_more_than_fifteen_never_twice_and_nothing_lost(addresses: list[str]) -> None:
    contacts = [contact(i, a) for i, a in enumerate(addresses)]
    result = resolve_email_recipients(contacts, AdditionalRecipients(), {})
    assert len(result.recipients) <= MAX_RECIPIENTS
    kept = [r.email.casefold() for r in [*result.recipients, *result.cut]]
    assert len(kept) == len(set(kept))
    assert all(validate_email(r.email) is None for r in result.recipients)
    given_emails = [c.email.strip() for c in contacts if c.email]
    distinct = {e.casefold() for e in given_emails if e}  # blank addresses are no address at all
    assert len(kept) + len(result.rejected) == len(distinct)
    assert (result.skip_reason is None) == bool(result.recipients)


# --- recipients_for: one rule per kind of step, for the engine and the timeline alike -------

_CONTACTS = [
    ContactInfo(id=1, name="AP", email="ap@acme.example", phone="+12125550100", roles=("communication",)),
    ContactInfo(id=2, name="CFO", email="cfo@acme.example", phone=None, roles=("billing",)),
]
_USERS = {
    7: InternalUser(id=7, name="Sam Specialist", email="sam@ar.example"),
    8: InternalUser(id=8, name="Mia Manager", email="mia@ar.example"),
    9: InternalUser(id=9, name="Cc", email="cc@ar.example"),
}
_RULES = RecipientRules.of(
    {"emails": ["audit@acme.example"], "contact_roles": ["billing"], "user_ids": [9]}, [8], specialist_id=7
)


def _addresses(action: StepAction) -> list[str] | None:
    resolution = recipients_for(action, _RULES, _CONTACTS, _USERS)
    return None if resolution is None else [r.address for r in resolution.recipients]


def test_customer_emails_and_statements_go_to_communication_contacts_then_the_workflows_extras() -> None:
    expected = ["ap@acme.example", "audit@acme.example", "cfo@acme.example", "cc@ar.example"]
    assert _addresses(StepAction.CUSTOMER_EMAIL) == expected
    assert _addresses(StepAction.STATEMENT_EMAIL) == expected


def test_internal_notifications_go_to_the_specialist_first_then_the_workflows_internal_users() -> None:
    assert _addresses(StepAction.INTERNAL_NOTIFICATION) == ["sam@ar.example", "mia@ar.example"]


def test_notify_specialist_goes_to_the_assigned_ar_specialist_only() -> None:
    assert _addresses(StepAction.NOTIFY_SPECIALIST) == ["sam@ar.example"]
    assert _RULES.user_ids(StepAction.NOTIFY_SPECIALIST) == [7]


def test_sms_goes_to_the_communication_contacts_phones() -> None:
    assert _addresses(StepAction.SMS) == ["+12125550100"]


@pytest.mark.parametrize(
    "action",
    [StepAction.TASK, StepAction.NOTE, StepAction.SET_INVOICE_STATUS, StepAction.ASSIGN_SPECIALIST],
)
def test_steps_that_send_no_message_have_no_recipients(action: StepAction) -> None:
    assert _addresses(action) is None


def test_the_users_a_step_needs_loaded_are_exactly_those_it_may_address() -> None:
    assert _RULES.user_ids(StepAction.CUSTOMER_EMAIL) == [9]
    assert _RULES.user_ids(StepAction.INTERNAL_NOTIFICATION) == [7, 8]
    assert _RULES.user_ids(StepAction.SMS) == []
    assert sorted(_RULES.user_ids()) == [7, 8, 9]


def test_a_suppressed_address_is_refused_from_every_source_with_its_reason() -> None:
    """Rule 4: a contact, an additional recipient and an internal user alike."""
    sam = InternalUser(id=7, name="Sam", email="sam@acme.example")
    rules = RecipientRules.of({"emails": ["Extra@Partner.example"], "user_ids": [7]}, [7], specialist_id=None)
    contacts = [contact(1, "ap@globex.example"), contact(2, "ok@globex.example")]
    suppressed = {
        "ap@globex.example": BOUNCED,
        "extra@partner.example": BOUNCED,
        "sam@acme.example": BOUNCED,
    }
    assert candidate_addresses(rules, contacts, {7: sam}) >= set(suppressed)
    email = recipients_for(StepAction.CUSTOMER_EMAIL, rules, contacts, {7: sam}, suppressed)
    assert email is not None
    assert [r.email for r in email.recipients] == ["ok@globex.example"]
    assert [(r.address, r.reason) for r in email.rejected] == [
        ("ap@globex.example", SUPPRESSED),
        ("Extra@Partner.example", SUPPRESSED),
        ("sam@acme.example", SUPPRESSED),
    ]
    internal = recipients_for(StepAction.INTERNAL_NOTIFICATION, rules, contacts, {7: sam}, suppressed)
    assert internal is not None and internal.recipients == ()
    assert internal.skip_reason == (
        "No recipient: no usable address among the AR specialist and the workflow's internal users; "
        f"rejected: sam@acme.example ({SUPPRESSED})"
    )


def test_a_suppressed_ar_specialist_gets_no_notify_specialist_message() -> None:
    """Rule 4 holds for `notify_specialist` too: it writes to the specialist only, never to a
    suppressed address."""
    sam = InternalUser(id=7, name="Sam", email="sam@acme.example")
    rules = RecipientRules.of({}, [], specialist_id=7)
    notified = recipients_for(
        StepAction.NOTIFY_SPECIALIST, rules, [], {7: sam}, {"sam@acme.example": BOUNCED}
    )
    assert notified is not None and notified.recipients == ()
    assert [(r.address, r.reason) for r in notified.rejected] == [("sam@acme.example", SUPPRESSED)]
    assert notified.skip_reason is not None and "sam@acme.example" in notified.skip_reason
