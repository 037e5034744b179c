"""Recipients: communication contacts first, de-duplicated, validated, at most 15, with reasons."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.recipients import (
    AdditionalRecipients,
    ContactInfo,
    InternalUser,
    resolve_email_recipients,
    resolve_internal_recipients,
    resolve_sms_recipients,
    validate_email,
)


def contact(
    i: int, email: str | None = None, roles: tuple[str, ...] = ("communication",), **kw: object
) -> ContactInfo:
    return ContactInfo(
        id=i, name=f"Contact {i}", email=email or f"c{i}@globex.example", phone=None, roles=roles, **kw
    )  # type: ignore[arg-type]


def test_twenty_communication_contacts_are_capped_to_fifteen_and_the_cut_is_named() -> None:
    result = resolve_email_recipients([contact(i) for i in range(20)], AdditionalRecipients(), {})
    assert len(result.recipients) == 15
    assert [r.email for r in result.cut] == [f"c{i}@globex.example" for i in range(15, 20)]
    assert result.skip_reason is None


def test_communication_contacts_come_first_then_additional_recipients_in_order() -> None:
    contacts = [contact(1, roles=("billing",)), contact(2), contact(3, roles=("primary",))]
    users = {9: InternalUser(9, "Sam", "sam@acme.example")}
    extra = AdditionalRecipients(emails=("cfo@globex.example",), contact_roles=("billing",), user_ids=(9,))
    result = resolve_email_recipients(contacts, extra, users)
    assert [r.email for r in result.recipients] == [
        "c2@globex.example",
        "cfo@globex.example",
        "c1@globex.example",
        "sam@acme.example",
    ]
    assert [r.source for r in result.recipients] == ["contact:2", "email", "role:billing", "user:9"]


def test_duplicates_are_removed_case_insensitively_first_one_wins() -> None:
    contacts = [contact(1, "AP@Globex.example"), contact(2, "ap@globex.EXAMPLE")]
    extra = AdditionalRecipients(emails=("Ap@GLOBEX.example",))
    result = resolve_email_recipients(contacts, extra, {})
    assert [r.email for r in result.recipients] == ["AP@Globex.example"]


def test_invalid_and_suppressed_addresses_are_rejected_with_a_reason() -> None:
    contacts = [
        contact(1, "not-an-address"),
        contact(2, "bounced@globex.example", suppressed=True),
        contact(3),
    ]
    result = resolve_email_recipients(contacts, AdditionalRecipients(emails=("a b@x.example",)), {})
    assert [r.email for r in result.recipients] == ["c3@globex.example"]
    reasons = {r.address: r.reason for r in result.rejected}
    assert reasons["not-an-address"] == "is not an email address"
    assert reasons["bounced@globex.example"].startswith("suppressed")
    assert "spaces" in reasons["a b@x.example"]


def test_no_address_at_all_is_an_explicit_skip_reason() -> None:
    result = resolve_email_recipients([contact(1, roles=("billing",))], AdditionalRecipients(), {})
    assert result.recipients == ()
    assert result.skip_reason is not None and result.skip_reason.startswith("No recipient")


def test_internal_notifications_go_to_the_specialist_and_internal_users() -> None:
    users = {1: InternalUser(1, "Sam", "sam@acme.example"), 2: InternalUser(2, "Kim", "kim@acme.example")}
    assert [r.email for r in resolve_internal_recipients([1, 2, 1], users).recipients] == [
        "sam@acme.example",
        "kim@acme.example",
    ]
    assert resolve_internal_recipients([], users).skip_reason is not None


def test_sms_needs_an_e164_phone_number() -> None:
    contacts = [
        ContactInfo(1, "A", None, "+14155550100", ("communication",)),
        ContactInfo(2, "B", None, "555-0100", ("communication",)),
    ]
    result = resolve_sms_recipients(contacts)
    assert [r.address for r in result.recipients] == ["+14155550100"]
    assert result.rejected[0].address == "555-0100"


def test_header_injection_in_an_address_is_refused() -> None:
    assert validate_email("ap@globex.example\r\nBcc: all@evil.example") is not None
    assert validate_email("ap@globex.example") is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.emails(), min_size=0, max_size=40))
def test_never_more_than_fifteen_and_nothing_lost(emails: list[str]) -> None:
    contacts = [contact(i, e) for i, e in enumerate(emails)]
    result = resolve_email_recipients(contacts, AdditionalRecipients(), {})
    assert len(result.recipients) <= 15
    kept = [r.email.casefold() for r in [*result.recipients, *result.cut]]
    assert len(kept) == len(set(kept))
    assert len(kept) + len(result.rejected) == len({e.casefold() for e in emails})
