"""Customers' replies: the token that ties a reply to the delivery it answers, the words of the
pause a reply holds, and the stored bodies' limits. Pure: the secret is given."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from email.utils import getaddresses
from html.parser import HTMLParser

MAX_STORED_BODY = 100_000
MAX_SUBJECT = 998
TOKEN_LENGTH = 24
# In a Message-ID we set (`<arcadence.42.<tag>@domain>`) and, echoed by the customer's mail
# program, in In-Reply-To / References; also accepted plus-addressed in To (`ar+arcadence.42.<tag>@`).
TOKEN_PATTERN = re.compile(r"arcadence\.(\d{1,12})\.([0-9a-f]{" + str(TOKEN_LENGTH) + "})")
REPLY_PAUSE_PREFIX = "A reply from the customer awaits handling"


def reply_tag(secret: str, delivery_id: int) -> str:
    """An HMAC of the delivery id: a reply can name only a delivery we sent it."""
    digest = hmac.new(secret.encode(), f"delivery:{delivery_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:TOKEN_LENGTH]


def message_id(secret: str, delivery_id: int, sender_email: str) -> str:
    """The Message-ID header of a delivery's email, on the sender's own domain."""
    domain = sender_email.rpartition("@")[2] or "arcadence.invalid"
    return f"<arcadence.{delivery_id}.{reply_tag(secret, delivery_id)}@{domain}>"


def delivery_named_in(secret: str, texts: Iterable[str]) -> int | None:
    """The delivery a reply's headers name with a valid tag (the first one, In-Reply-To first)."""
    for text in texts:
        for match in TOKEN_PATTERN.finditer(text or ""):
            delivery_id, tag = int(match.group(1)), match.group(2)
            if hmac.compare_digest(tag, reply_tag(secret, delivery_id)):
                return delivery_id
    return None


def sender_address(from_field: str) -> str:
    """The bare address of a From field (`Jane <AP@Globex.example>` -> `ap@globex.example`)."""
    addresses = [a for _, a in getaddresses([from_field or ""]) if "@" in a]
    return addresses[0].strip().lower() if addresses else ""


def pause_reason(reply_id: int, sender: str) -> str:
    return f"{REPLY_PAUSE_PREFIX} (reply {reply_id} from {sender or 'an unknown sender'})"


def is_reply_pause(reason: str | None) -> bool:
    return bool(reason) and str(reason).startswith(REPLY_PAUSE_PREFIX)


class _TextOnly(HTMLParser):
    SKIPPED = frozenset({"script", "style", "head", "title"})
    BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self._skipping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_as_text(html: str) -> str:
    """An HTML body as the text a person reads (never rendered back as HTML), capped."""
    parser = _TextOnly()
    parser.feed(html[: MAX_STORED_BODY * 4])
    parser.close()
    text = re.sub(r"[ \t]+", " ", "".join(parser.parts))
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()[:MAX_STORED_BODY]


def capped(text: str | None, limit: int = MAX_STORED_BODY) -> str:
    return (text or "")[:limit]


def is_automatic(auto_submitted: str | None, x_autoreply: str | None) -> bool:
    """An out-of-office or other machine answer (RFC 3834): stored and shown, but it holds no pause."""
    submitted = (auto_submitted or "").strip().lower()
    return (bool(submitted) and submitted != "no") or bool((x_autoreply or "").strip())
