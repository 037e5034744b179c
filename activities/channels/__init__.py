"""Where messages leave arcadence: SendGrid email, Twilio SMS, or the development outbox."""
