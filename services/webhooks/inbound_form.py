"""SendGrid Inbound Parse's multipart/form-data body, read with the standard library's MIME
parser (no form library is installed): the text fields, each decoded in the charset SendGrid
names for it (`charsets`); file parts (attachments) are left out."""

from __future__ import annotations

import codecs
import json
from email import policy
from email.message import Message
from email.parser import BytesParser

from services.errors import ServiceError

FIELDS = ("from", "to", "cc", "subject", "text", "html", "headers", "envelope", "charsets", "SPF", "dkim")


class BadInboundForm(ServiceError):
    status, code = 400, "invalid_inbound_form"


def parse_inbound_form(content_type: str, body: bytes) -> dict[str, str]:
    """The form's text fields by name (the known ones; the rest are ignored)."""
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        raise BadInboundForm("Send SendGrid Inbound Parse's multipart/form-data body")
    head = f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=policy.compat32).parsebytes(head + body)
    if not message.is_multipart():
        raise BadInboundForm("The body is not a multipart form")
    raw: dict[str, bytes] = {}
    declared: dict[str, str | None] = {}
    for part in message.get_payload():
        if not isinstance(part, Message):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or name not in FIELDS or part.get_filename():
            continue
        payload = part.get_payload(decode=True)
        raw[name] = payload if isinstance(payload, bytes) else b""
        declared[name] = part.get_content_charset()
    charsets = _charsets(raw.get("charsets", b""))
    return {name: _text(value, charsets.get(name) or declared.get(name)) for name, value in raw.items()}


def _text(value: bytes, charset: str | None) -> str:
    # Postgres text cannot hold NUL: dropped here, whatever the sender's mail program wrote.
    return value.decode(_codec(charset), errors="replace").replace("\x00", "")


def _charsets(value: bytes) -> dict[str, str]:
    try:
        found = json.loads(value.decode("utf-8", "replace") or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def _codec(name: str | None) -> str:
    """The codec of a charset name SendGrid gave (UTF-8 when none, or one Python does not know)."""
    try:
        return codecs.lookup(name.strip()).name if name and name.strip() else "utf-8"
    except (LookupError, ValueError):
        return "utf-8"
