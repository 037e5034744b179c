"""SendGrid Inbound Parse's multipart/form-data body, read with the standard library (no form
library is installed): the text fields, each decoded in the charset SendGrid names for it
(`charsets`). The body is split on its boundary here and only a part's header block is read
before deciding: file parts (attachments, up to the inbound size cap) and unknown fields are
skipped without being copied or parsed."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser

from services.errors import ServiceError

FIELDS = ("from", "to", "cc", "subject", "text", "html", "headers", "envelope", "charsets", "SPF", "dkim")


class BadInboundForm(ServiceError):
    status, code = 400, "invalid_inbound_form"


def parse_inbound_form(content_type: str, body: bytes) -> dict[str, str]:
    """The form's text fields by name (the known ones; the rest are ignored)."""
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        raise BadInboundForm("Send SendGrid Inbound Parse's multipart/form-data body")
    envelope = Message()
    envelope["Content-Type"] = content_type
    boundary = envelope.get_boundary()
    if not boundary:
        raise BadInboundForm("The form's boundary is missing")
    raw: dict[str, bytes] = {}
    declared: dict[str, str | None] = {}
    for start, end in _parts(body, boundary.encode("latin-1", "replace")):
        split = body.find(b"\r\n\r\n", start, end)
        head_end, payload_start = (split, split + 4) if split >= 0 else (end, end)
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(body[start:head_end])
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str) or name not in FIELDS or headers.get_filename():
            continue
        part = BytesParser(policy=policy.compat32).parsebytes(body[start:end])
        payload = part.get_payload(decode=True)
        raw[name] = payload if isinstance(payload, bytes) else body[payload_start:end]
        declared[name] = part.get_content_charset()
    charsets = _charsets(raw.get("charsets", b""))
    return {name: _text(value, charsets.get(name) or declared.get(name)) for name, value in raw.items()}


def _parts(body: bytes, boundary: bytes) -> Iterator[tuple[int, int]]:
    """Where each part of a multipart body starts (its header block) and ends (before the CRLF
    of the next delimiter), found by searching, not copying."""
    delimiter = b"--" + boundary
    at = body.find(delimiter)
    if at < 0:
        raise BadInboundForm("The body is not a multipart form")
    while True:
        after = at + len(delimiter)
        if body.startswith(b"--", after):
            return  # the close delimiter
        line_end = body.find(b"\r\n", after)
        if line_end < 0:
            return
        start = line_end + 2
        following = body.find(b"\r\n" + delimiter, start)
        if following < 0:
            return  # cut short: the unfinished part is left out
        yield start, following
        at = following + 2


def _text(value: bytes, charset: str | None) -> str:
    # Postgres text cannot hold NUL: dropped here, whatever the sender's mail program wrote.
    try:
        text = value.decode(_codec(charset), errors="replace")
    except (LookupError, UnicodeError):
        # A text codec that still fails on this input (idna refuses what it cannot encode).
        text = value.decode("utf-8", errors="replace")
    return text.replace("\x00", "")


def _charsets(value: bytes) -> dict[str, str]:
    try:
        found = json.loads(value.decode("utf-8", "replace") or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def _codec(name: str | None) -> str:
    """The codec of a charset name SendGrid gave: UTF-8 when none, one Python does not know, or
    one that is not a text encoding (`base64`, `hex`, `rot13`, `zlib` are bytes-to-bytes or
    str-to-str codecs that `bytes.decode` refuses). The name comes from the sender's email."""
    if not name or not name.strip():
        return "utf-8"
    try:
        info = codecs.lookup(name.strip())
    except (LookupError, ValueError):
        return "utf-8"
    return info.name if getattr(info, "_is_text_encoding", True) else "utf-8"
