"""The templates arcadence ships: polite reminders that firm up, a statement, an internal note, an SMS.

Each email has an HTML and a text body written from the same paragraphs. Reminders work with
or without a step invoice (customer-level steps have none). The statement shows what is open
and nothing about how to pay.
"""

from __future__ import annotations

from typing import Literal

from domain.enums import Channel
from domain.templates.rendering import TemplateSource

_GREETING = "Dear {{ contact.name if contact else customer.name }},"


def _days(count: str) -> str:
    """'1 day' / '10 days' for a jinja expression."""
    return f"{{{{ {count} }}}} day{{{{ '' if {count} == 1 else 's' }}}}"


_DAYS_OVERDUE = _days("invoice.days_overdue")
_ROW_OVERDUE = "{% if i.is_overdue %} (" + _days("i.days_overdue") + " overdue){% endif %}"

_INVOICE_TABLE_HTML = (
    '<table role="presentation" cellpadding="6" style="border-collapse:collapse;border:1px solid #ddd">\n'
    '  <tr style="background:#f5f5f5"><th align="left">Invoice</th><th align="left">Issued</th><th align="left">Due</th><th align="right">Balance due</th></tr>\n'
    "  {%- for i in invoices %}\n"
    "  <tr><td>{{ i.number }}</td><td>{{ i.issue_date_text }}</td><td>{{ i.due_date_text }}"
    + _ROW_OVERDUE
    + '</td><td align="right">{{ i.balance_due_text }}</td></tr>\n'
    "  {%- endfor %}\n"
    '  {%- if totals.more_count %}\n  <tr><td colspan="3">{{ totals.more_count }} more open invoices, not listed</td><td align="right">{{ totals.more_text }}</td></tr>\n  {%- endif %}\n'
    '  {%- if totals.unlisted_count %}\n  <tr><td colspan="3">{{ totals.unlisted_count }} invoice{{ "" if totals.unlisted_count == 1 else "s" }} paused, on hold or in dispute, not listed (included in the total)</td><td align="right">{{ totals.unlisted_text }}</td></tr>\n  {%- endif %}\n'
    '  <tr><td colspan="3"><strong>Total outstanding</strong></td><td align="right"><strong>{{ totals.outstanding_text }}</strong></td></tr>\n'
    '  {%- if totals.other_currency_count %}\n  <tr><td colspan="4">{{ totals.other_currency_count }} invoice{{ "" if totals.other_currency_count == 1 else "s" }} in {{ totals.other_currencies_text }} not added into this total (another currency)</td></tr>\n  {%- endif %}\n'
    "</table>"
)

_INVOICE_LINES_TEXT = (
    "{% for i in invoices %}- {{ i.number }}, issued {{ i.issue_date_text }}, due {{ i.due_date_text }}"
    + _ROW_OVERDUE
    + ": {{ i.balance_due_text }}\n{% endfor %}"
    "{% if totals.more_count %}- {{ totals.more_count }} more open invoices, not listed: {{ totals.more_text }}\n{% endif %}"
    "{% if totals.unlisted_count %}- {{ totals.unlisted_count }} invoice{{ '' if totals.unlisted_count == 1 else 's' }} paused, on hold or in dispute, not listed (included in the total): {{ totals.unlisted_text }}\n{% endif %}"
    "\nTotal outstanding: {{ totals.outstanding_text }}"
    "{% if totals.other_currency_count %}\n{{ totals.other_currency_count }} invoice{{ '' if totals.other_currency_count == 1 else 's' }} in {{ totals.other_currencies_text }} not added into this total (another currency){% endif %}"
)

_SIGNATURE_HTML = (
    "<p>Kind regards,<br>{{ organization.sender_name }}<br>{{ organization.name }}"
    "{% if organization.reply_to %}<br>{{ organization.reply_to }}{% endif %}</p>"
)
_SIGNATURE_TEXT = (
    "Kind regards,\n{{ organization.sender_name }}\n{{ organization.name }}"
    "{% if organization.reply_to %}\n{{ organization.reply_to }}{% endif %}"
)
_PDF_HTML = '{% if invoice and invoice.pdf_url %} You can download a copy of <a href="{{ invoice.pdf_url }}">invoice {{ invoice.number }}</a>.{% endif %}'
_PDF_TEXT = (
    "{% if invoice and invoice.pdf_url %} A copy of the invoice is at {{ invoice.pdf_url }}{% endif %}"
)


def _email(
    name: str,
    subject: str,
    paragraphs: list[str],
    *,
    table: Literal["always", "without_invoice", "never"] = "never",
    pdf: bool = False,
) -> TemplateSource:
    """An email whose HTML and text bodies say the same thing; paragraphs hold no markup.

    `table` lists the open invoices always, or only when the step has no invoice of its own
    (a customer-level reminder must still say what is due). With `pdf`, the first paragraph
    ends with a link to the invoice's PDF when there is one.
    """
    html_paragraphs = [p + (_PDF_HTML if pdf and n == 0 else "") for n, p in enumerate(paragraphs)]
    text_paragraphs = [p + (_PDF_TEXT if pdf and n == 0 else "") for n, p in enumerate(paragraphs)]
    html = [f"<p>{_GREETING}</p>", *(f"<p>{p}</p>" for p in html_paragraphs)]
    text = [_GREETING, *text_paragraphs]
    if table == "always":
        html.append(_INVOICE_TABLE_HTML)
        text.append(_INVOICE_LINES_TEXT)
    elif table == "without_invoice":
        html.append("{% if not invoice %}" + _INVOICE_TABLE_HTML + "{% endif %}")
        text.append("{% if not invoice %}" + _INVOICE_LINES_TEXT + "\n\n{% endif %}")
    html.append(_SIGNATURE_HTML)
    return TemplateSource(
        name=name,
        channel=Channel.EMAIL,
        subject=subject,
        html_body="\n".join(html) + "\n",
        # The conditional table brings its own blank line, so that none is left when it is absent.
        text_body="\n\n".join(text) + ("" if table == "without_invoice" else "\n\n") + _SIGNATURE_TEXT + "\n",
    )


_QUESTIONS = "If you have any question about {% if invoice %}this invoice{% else %}your account{% endif %}, simply reply to this email and we will be glad to help."

DEFAULT_TEMPLATES: dict[str, TemplateSource] = {
    "reminder_before_due": _email(
        "Reminder before the due date",
        "{% if invoice %}Reminder: invoice {{ invoice.number }} is due on {{ invoice.due_date_text }}{% else %}Reminder: upcoming invoices from {{ organization.name }}{% endif %}",
        [
            "{% if invoice %}This is a friendly reminder that invoice {{ invoice.number }} for {{ invoice.balance_due_text }} is due on {{ invoice.due_date_text }}{% if invoice.days_until_due %}, in "
            + _days("invoice.days_until_due")
            + "{% endif %}.{% else %}This is a friendly reminder of your open invoices with {{ organization.name }}.{% endif %}",
            "If you have already arranged payment, thank you, and please disregard this message. "
            + _QUESTIONS,
        ],
        table="without_invoice",
        pdf=True,
    ),
    "reminder_due_today": _email(
        "Reminder on the due date",
        "{% if invoice %}Invoice {{ invoice.number }} is due today{% else %}Your invoices from {{ organization.name }} are due{% endif %}",
        [
            "{% if invoice %}Invoice {{ invoice.number }} for {{ invoice.balance_due_text }} is due today, {{ invoice.due_date_text }}.{% else %}This is a friendly reminder that your balance of {{ totals.outstanding_text }} with {{ organization.name }} is due.{% endif %}",
            "If payment is already on its way, thank you. " + _QUESTIONS,
        ],
        table="without_invoice",
        pdf=True,
    ),
    "overdue_1": _email(
        "Overdue reminder 1 (friendly)",
        "{% if invoice %}Invoice {{ invoice.number }} is now past due{% else %}Your account with {{ organization.name }} is past due{% endif %}",
        [
            "{% if invoice %}Our records show that invoice {{ invoice.number }} for {{ invoice.balance_due_text }} was due on {{ invoice.due_date_text }} and is now "
            + _DAYS_OVERDUE
            + " past due.{% else %}Our records show {{ totals.overdue_text }} past due on your account.{% endif %}",
            "Perhaps this has simply slipped through the cracks: we would appreciate your payment at your earliest convenience. If there is an issue with {% if invoice %}this invoice{% else %}your invoices{% endif %}, please let us know so that we can sort it out together.",
            "If you have paid in the last few days, thank you, and please disregard this reminder.",
        ],
        table="without_invoice",
        pdf=True,
    ),
    "overdue_2": _email(
        "Overdue reminder 2 (firmer)",
        "{% if invoice %}Second reminder: invoice {{ invoice.number }} is "
        + _DAYS_OVERDUE
        + " overdue{% else %}Second reminder: {{ totals.overdue_text }} overdue on your account{% endif %}",
        [
            "{% if invoice %}We have not yet received payment for invoice {{ invoice.number }} ({{ invoice.balance_due_text }}), which was due on {{ invoice.due_date_text }}, despite our earlier reminder.{% else %}We have not yet received payment of the {{ totals.overdue_text }} now overdue on your account, despite our earlier reminder.{% endif %}",
            "Please arrange payment within the next 7 days, or reply to this email to tell us when we can expect it. If something prevents payment, such as a query about the invoice, let us know now so that we can resolve it.",
            "For reference, here are your open invoices with us:",
        ],
        table="always",
    ),
    "overdue_3": _email(
        "Overdue reminder 3 (final notice)",
        "{% if invoice %}Final notice: invoice {{ invoice.number }} is "
        + _DAYS_OVERDUE
        + " overdue{% else %}Final notice: {{ totals.overdue_text }} overdue on your account{% endif %}",
        [
            "{% if invoice %}Despite our previous reminders, invoice {{ invoice.number }} for {{ invoice.balance_due_text }} remains unpaid "
            + _DAYS_OVERDUE
            + " after its due date of {{ invoice.due_date_text }}.{% else %}Despite our previous reminders, {{ totals.overdue_text }} remains overdue on your account.{% endif %}",
            "This is our final notice. Please settle the overdue balance immediately. If we do not hear from you, we may have to place your account on hold and take further steps to recover the amount due.",
            "If you are experiencing difficulties, contact us today: we would much rather agree a payment plan with you.",
            "Your total outstanding balance is {{ totals.outstanding_text }}, of which {{ totals.overdue_text }} is overdue:",
        ],
        table="always",
    ),
    # A statement informs; it deliberately carries no payment instructions, bank details or links.
    "customer_statement": _email(
        "Customer statement",
        "Your statement from {{ organization.name }} as of {{ as_of_text }}",
        [
            "Please find below your statement of open invoices as of {{ as_of_text }}.",
            "{% if invoices %}Your balance is {{ totals.outstanding_text }}{% if totals.overdue > 0 %}, of which {{ totals.overdue_text }} is overdue{% endif %}.{% else %}You have no open invoices with us. Thank you!{% endif %}",
            "If anything on this statement does not match your records, simply reply to this email.",
        ],
        table="always",
    ),
    "internal_notification": TemplateSource(
        name="Internal notification",
        channel=Channel.EMAIL,
        subject="[{{ organization.name }}] {{ customer.name }}: {{ totals.overdue_text }} overdue{% if invoice %} ({{ invoice.number }}){% endif %}",
        html_body=(
            "<p>Hello {{ specialist.name if specialist else 'team' }},</p>\n"
            "<p>This is a collections update for <strong>{{ customer.name }}</strong> (customer {{ customer.external_id }}) as of {{ as_of_text }}.</p>\n"
            "<ul><li>Outstanding: {{ totals.outstanding_text }}</li><li>Overdue: {{ totals.overdue_text }}</li><li>Open invoices: {{ totals.count }}{% if totals.unlisted_count %} ({{ totals.unlisted_count }} paused, on hold or in dispute){% endif %}</li></ul>\n"
            "{% if invoice %}<p>This step concerns invoice {{ invoice.number }} ({{ invoice.balance_due_text }}, due {{ invoice.due_date_text }}{% if invoice.is_overdue %}, "
            + _DAYS_OVERDUE
            + " overdue{% endif %}).</p>\n{% endif %}"
            + _INVOICE_TABLE_HTML
            + "\n<p>You may want to follow up with the customer.</p>\n"
        ),
        text_body=(
            "Hello {{ specialist.name if specialist else 'team' }},\n\n"
            "This is a collections update for {{ customer.name }} (customer {{ customer.external_id }}) as of {{ as_of_text }}.\n\n"
            "Outstanding: {{ totals.outstanding_text }}\nOverdue: {{ totals.overdue_text }}\nOpen invoices: {{ totals.count }}{% if totals.unlisted_count %} ({{ totals.unlisted_count }} paused, on hold or in dispute){% endif %}\n"
            "{% if invoice %}\nThis step concerns invoice {{ invoice.number }} ({{ invoice.balance_due_text }}, due {{ invoice.due_date_text }}{% if invoice.is_overdue %}, "
            + _DAYS_OVERDUE
            + " overdue{% endif %}).\n{% endif %}\n"
            + _INVOICE_LINES_TEXT
            + "\n\nYou may want to follow up with the customer.\n"
        ),
    ),
    "sms_reminder": TemplateSource(
        name="SMS reminder",
        channel=Channel.SMS,
        subject=None,
        html_body=None,
        text_body=(
            "{{ organization.name|truncate(40, true, '') }}: "
            "{% if invoice %}invoice {{ invoice.number }} for {{ invoice.balance_due_text }} "
            "{% if invoice.is_overdue %}was due {{ invoice.due_date_text }}{% else %}is due {{ invoice.due_date_text }}{% endif %}."
            "{% else %}{{ totals.overdue_text }} is overdue on your account.{% endif %}"
            " Already paid? Thank you. Questions: {{ organization.reply_to or organization.sender_email }}"
        ),
    ),
}
