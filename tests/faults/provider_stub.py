"""A stand-in for SendGrid's v3 mail endpoint that the real `sendgrid` client talks to.

It answers from a script (a status per attempt of each delivery), can be slowed down so that
a crash lands while requests are in flight, and counts what each delivery received.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# (status, body) for the n-th request (1-based) of one delivery.
Script = Callable[[str, int], tuple[int, dict[str, Any]]]


def accept_all(_delivery: str, _attempt: int) -> tuple[int, dict[str, Any]]:
    return 202, {}


@dataclass
class ProviderStub:
    script: Script = accept_all
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    accepted: Counter[str] = field(default_factory=Counter)
    _attempts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def record(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], str | None]:
        args = (body.get("personalizations") or [{}])[0].get("custom_args") or body.get("custom_args") or {}
        delivery = str(args.get("delivery_id", "?"))
        with self._lock:
            self._attempts[delivery] += 1
            attempt = self._attempts[delivery]
            status, reply = self.script(delivery, attempt)
            self.requests.append(
                {"delivery_id": delivery, "attempt": attempt, "status": status, "body": body}
            )
            message_id = None
            if status == 202:
                self.accepted[delivery] += 1
                message_id = uuid.uuid4().hex[:22]
        return status, reply, message_id

    @property
    def accepted_total(self) -> int:
        with self._lock:
            return sum(self.accepted.values())


def _handler(stub: ProviderStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if stub.delay:
                time.sleep(stub.delay)
            status, reply, message_id = stub.record(body)
            payload = json.dumps(reply).encode() if reply else b""
            self.send_response(status)
            if message_id:
                self.send_header("X-Message-Id", message_id)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def provider_stub(script: Script = accept_all, delay: float = 0.0) -> Iterator[ProviderStub]:
    stub = ProviderStub(script=script, delay=delay)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    server.daemon_threads = True
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
