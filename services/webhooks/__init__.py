"""SendGrid's Event Webhook in three steps: `signature` (ECDSA over the raw body), `events` (the
body read as events, and the status ladder) and `applying` (each event applied once)."""
