"""Choosing the channels from settings, once, when the worker starts."""

from __future__ import annotations

from activities.channels.base import EmailChannel, SmsChannel
from activities.channels.outbox import OutboxChannel
from activities.channels.sendgrid_email import SendGridEmailChannel
from activities.channels.twilio_sms import TwilioSmsChannel
from models.db import SessionFactory
from models.settings import Settings


def build_channels(settings: Settings, session_factory: SessionFactory) -> tuple[EmailChannel, SmsChannel]:
    """The email and SMS channels the settings name; a missing credential fails at start-up."""
    outbox = OutboxChannel(session_factory)
    email: EmailChannel = outbox
    sms: SmsChannel = outbox
    if settings.email_channel == "sendgrid":
        api_key = settings.sendgrid_api_key.get_secret_value() if settings.sendgrid_api_key else ""
        if not api_key:
            raise ValueError("ARCADENCE_EMAIL_CHANNEL=sendgrid needs ARCADENCE_SENDGRID_API_KEY")
        email = SendGridEmailChannel(api_key, settings.sendgrid_base_url)
    if settings.sms_channel == "twilio":
        account_sid = settings.twilio_account_sid
        auth_token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
        from_number = settings.twilio_from_number
        if not (account_sid and auth_token and from_number):
            given = {"ACCOUNT_SID": account_sid, "AUTH_TOKEN": auth_token, "FROM_NUMBER": from_number}
            missing = ", ".join(f"ARCADENCE_TWILIO_{name}" for name, value in given.items() if not value)
            raise ValueError(f"ARCADENCE_SMS_CHANNEL=twilio needs {missing}")
        sms = TwilioSmsChannel(account_sid, auth_token, from_number, base_url=settings.twilio_base_url)
    return email, sms
