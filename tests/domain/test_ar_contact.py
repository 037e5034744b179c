"""A workflow's AR contact falls back to the organization's, field by field."""

from __future__ import annotations

from domain.ar_contact import ar_contact

ORG = {
    "org_sender_name": "Acme AR",
    "org_sender_email": "ar@acme.example",
    "org_reply_to": "help@acme.example",
}


def test_a_workflow_without_its_own_contact_sends_as_the_organization() -> None:
    contact = ar_contact(**ORG)
    assert (contact.sender_name, contact.email, contact.reply_to, contact.phone) == (
        "Acme AR",
        "ar@acme.example",
        "help@acme.example",
        None,
    )


def test_a_workflow_with_its_own_email_is_answered_there() -> None:
    contact = ar_contact(
        **ORG, sender_name="Enterprise desk", email="enterprise@acme.example", phone="+1 555 0100"
    )
    assert (contact.sender_name, contact.email, contact.reply_to, contact.phone) == (
        "Enterprise desk",
        "enterprise@acme.example",
        "enterprise@acme.example",
        "+1 555 0100",
    )
    assert ar_contact(**ORG, reply_to="desk@acme.example").reply_to == "desk@acme.example"
