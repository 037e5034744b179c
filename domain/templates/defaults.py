"""The templates arcadence ships: polite, escalating reminders, a statement, notifications, SMS."""

from __future__ import annotations

from domain.enums import Channel
from domain.templates.rendering import TemplateSource

_INVOICE_TABLE_HTML = """
<table style="border-collapse:collapse">
  <tr><th align="left">Invoice</th><th align="left">Due</th><th align="right">Balance</th></tr>
  {% for i in invoices %}
  <tr><td>{{ i.number }}</td><td>{{ i.due_date_text }}</td><td align="right">{{ i.balance_due_text }}</td></tr>
  {% endfor %}
</table>"""

_INVOICE_LINES_TEXT = """{% for i in invoices %}
- {{ i.number }}, due {{ i.due_date_text }}: {{ i.balance_due_text }}{% endfor %}"""

_SIGNATURE_HTML = "<p>Kind regards,<br>{{ organization.sender_name }}<br>{{ organization.name }}</p>"
_SIGNATURE_TEXT = "Kind regards,\n{{ organization.sender_name }}\n{{ organization.name }}"
_GREETING = "Dear {{ contact.name if contact else customer.name }},"


def _email(name: str, subject: str, paragraphs: list[str], *, table: bool = False) -> TemplateSource:
    html = [f"<p>{_GREETING}</p>", *(f"<p>{p}</p>" for p in paragraphs)]
    text = [_GREETING, "", *(p + "\n" for p in paragraphs)]
    if table:
        html.append(_INVOICE_TABLE_HTML)
        text.append(_INVOICE_LINES_TEXT + "\n")
    html.append(_SIGNATURE_HTML)
    text.append(_SIGNATURE_TEXT)
    return TemplateSource(
        name=name,
        channel=Channel.EMAIL,
        subject=subject,
        html_body="\n".join(html),
        text_body="\n".join(text),
    )


DEFAULT_TEMPLATES: dict[str, TemplateSource] = {
    "reminder_before_due": _email(
        "Reminder before due date",
        "Invoice {{ invoice.number }} is due on {{ invoice.due_date_text }}",
        [
            "This is a friendly reminder that invoice {{ invoice.number }} for {{ invoice.balance_due_text }} "
            "is due on {{ invoice.due_date_text }}.",
            "If you have already arranged payment, thank you, and please disregard this message.",
        ],
    ),
    "reminder_due_today": _email(
        "Reminder on the due date",
        "Invoice {{ invoice.number }} is due today",
        [
            "Invoice {{ invoice.number }} for {{ invoice.balance_due_text }} is due today.",
            "If payment is already on its way, thank you. If you have any question about this invoice, "
            "simply reply to this email.",
        ],
    ),
    "overdue_1": _email(
        "Overdue reminder 1",
        "Invoice {{ invoice.number }} is now past due",
        [
            "Our records show that invoice {{ invoice.number }} for {{ invoice.balance_due_text }} was due on "
            "{{ invoice.due_date_text }} and is now {{ invoice.days_overdue }} days past due.",
            "We would appreciate your payment at your earliest convenience. If there is an issue with this "
            "invoice, please let us know so that we can help.",
        ],
    ),
    "overdue_2": _email(
        "Overdue reminder 2",
        "Second reminder: invoice {{ invoice.number }} is {{ invoice.days_overdue }} days overdue",
        [
            "We have not yet received payment for invoice {{ invoice.number }} ({{ invoice.balance_due_text }}), "
            "which was due on {{ invoice.due_date_text }}.",
            "Please arrange payment within the next 7 days, or reply to tell us when we can expect it.",
            "Your open invoices with us:",
        ],
        table=True,
    ),
    "overdue_3": _email(
        "Overdue reminder 3 (final notice)",
        "Final notice: invoice {{ invoice.number }} is seriously overdue",
        [
            "Despite our earlier reminders, invoice {{ invoice.number }} for {{ invoice.balance_due_text }} "
            "remains unpaid {{ invoice.days_overdue }} days after its due date.",
            "Please settle the balance immediately. If we do not hear from you, we may have to place your "
            "account on hold. If you are experiencing difficulties, contact us today to agree a payment plan.",
            "Your total outstanding balance is {{ totals.outstanding_text }}, of which "
            "{{ totals.overdue_text }} is overdue.",
        ],
    ),
    # A statement lists what is open; it deliberately carries no payment details.
    "customer_statement": _email(
        "Customer statement",
        "Your statement from {{ organization.name }} as of {{ as_of_text }}",
        [
            "Please find below your statement of open invoices as of {{ as_of_text }}.",
            "Total outstanding: {{ totals.outstanding_text }} ({{ totals.count }} invoices), "
            "of which {{ totals.overdue_text }} is overdue.",
        ],
        table=True,
    ),
    "internal_notification": TemplateSource(
        name="Internal notification",
        channel=Channel.EMAIL,
        subject="[arcadence] {{ customer.name }}: {{ totals.overdue_text }} overdue",
        html_body=(
            "<p>Hello {{ specialist.name if specialist else 'team' }},</p>"
            "<p>{{ customer.name }} ({{ customer.external_id }}) has {{ totals.outstanding_text }} outstanding, "
            "{{ totals.overdue_text }} overdue{% if invoice %}; this step concerns {{ invoice.number }}"
            "{% endif %}.</p>" + _INVOICE_TABLE_HTML
        ),
        text_body=(
            "Hello {{ specialist.name if specialist else 'team' }},\n\n"
            "{{ customer.name }} ({{ customer.external_id }}) has {{ totals.outstanding_text }} outstanding, "
            "{{ totals.overdue_text }} overdue{% if invoice %}; this step concerns {{ invoice.number }}"
            "{% endif %}.\n" + _INVOICE_LINES_TEXT
        ),
    ),
    "sms_reminder": TemplateSource(
        name="SMS reminder",
        channel=Channel.SMS,
        subject=None,
        html_body=None,
        text_body=(
            "{{ organization.name }}: {% if invoice %}invoice {{ invoice.number }} "
            "({{ invoice.balance_due_text }}) was due {{ invoice.due_date_text }}{% else %}"
            "{{ totals.overdue_text }} is overdue on your account{% endif %}. "
            "Questions? Reply to {{ organization.reply_to or organization.sender_email }}."
        ),
    ),
}
