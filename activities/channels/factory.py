"""Choosing the channels from settings, once, when the worker starts."""

from __future__ import annotations

from activities.channels.base import EmailChannel, SmsChannel
from activities.channels.outbox import OutboxChannel
from models.db import SessionFactory
from models.settings import Settings


def build_channels(settings: Settings, sessions: SessionFactory) -> tuple[EmailChannel, SmsChannel]:
    outbox = OutboxChannel(sessions)
    email: EmailChannel = outbox
    sms: SmsChannel = outbox
    if settings.email_channel == "sendgrid":
        from activities.channels.sendgrid_email import SendGridEmailChannel

        if settings.sendgrid_api_key is None:
            raise ValueError("ARCADENCE_EMAIL_CHANNEL=sendgrid needs ARCADENCE_SENDGRID_API_KEY")
        email = SendGridEmailChannel(settings.sendgrid_api_key.get_secret_value(), settings.sendgrid_base_url)
    if settings.sms_channel == "twilio":
        from activities.channels.twilio_sms import TwilioSmsChannel

        if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number):
            raise ValueError(
                "ARCADENCE_SMS_CHANNEL=twilio needs the Twilio account SID, auth token and from number"
            )
        sms = TwilioSmsChannel(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            settings.twilio_from_number,
            base_url=settings.twilio_base_url,
        )
    return email, sms
