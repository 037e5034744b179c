"""Fetching an invoice's PDF from the organization's document store, safely.

The URL comes from the accounting sync, so it is not trusted: a PDF link must not become a way to
make the worker read the cloud metadata service, a database on the private network or its own
admin ports. So, in this module and nowhere else:

- only `http` and `https` URLs, with a host;
- the host is resolved first and **every** address it resolves to is checked: loopback, private,
  link-local, multicast, reserved and unspecified addresses are refused unless the organization
  allowed that network explicitly (`allowed_networks`, e.g. its document server's subnet);
- the request goes to the address that was checked (the host name travels in the `Host` header and
  as the TLS server name, so certificates are still verified against the name) — a second DNS
  answer cannot swap in another address;
- redirects are followed only on the same scheme, host and port, at most `MAX_REDIRECTS` times;
  a redirect to another host is refused;
- the response must say `application/pdf` and start like a PDF; its size is capped while reading.

A refusal is final (`DocumentRefused`: the step fails with the reason and nothing is sent without
the attachment it promises); a network error or a 5xx is transient (`DocumentUnavailable`: retried).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

MAX_PDF_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 3
FETCH_TIMEOUT_S = 15.0
PDF_MAGIC = b"%PDF-"


class DocumentRefused(Exception):
    """The document may not be fetched or is not what it claims: final, never retried."""


class DocumentUnavailable(Exception):
    """The document store did not answer properly this time: retried."""


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    content: bytes
    content_type: str


def parse_networks(values: Sequence[str]) -> tuple[IPNetwork, ...]:
    """CIDR blocks (or single addresses) an organization allows its documents to come from."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip())


def address_refusal(address: IPAddress, allowed: Sequence[IPNetwork] = ()) -> str | None:
    """Why the worker must not connect to this address for a document; None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in allowed if network.version == address.version):
        return None
    for kind, refused in (
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),
        ("an unspecified", address.is_unspecified),
        ("a multicast", address.is_multicast),
        ("a private", address.is_private),
        ("a reserved", address.is_reserved),
    ):
        if refused:
            return f"{address} is {kind} address"
    return None


async def _system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


class DocumentFetcher:
    """Fetches PDFs through an injected HTTP client (the worker's, or a test's)."""

    def __init__(
        self,
        http: httpx.AsyncClient | None = None,
        *,
        allowed_networks: Sequence[IPNetwork] = (),
        resolver: Resolver = _system_resolver,
        max_bytes: int = MAX_PDF_BYTES,
    ) -> None:
        self._http = http
        self._allowed = tuple(allowed_networks)
        self._resolve = resolver
        self._max_bytes = max_bytes

    async def fetch_pdf(self, url: str) -> FetchedDocument:
        if self._http is not None:
            return await self._fetch(self._http, url)
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_S) as http:
            return await self._fetch(http, url)

    async def _fetch(self, http: httpx.AsyncClient, url: str) -> FetchedDocument:
        origin = _origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            address = await self._checked_address(url)
            response, body = await self._get(http, url, address)
            if response.is_redirect:
                target = urljoin(url, response.headers.get("location", ""))
                if _origin(target) != origin:
                    raise DocumentRefused(f"redirected to another host ({_shown(target)})")
                url = target
                continue
            return _checked_pdf(response, body)
        raise DocumentRefused(f"more than {MAX_REDIRECTS} redirects")

    async def _checked_address(self, url: str) -> str:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = [host] if _is_literal(host) else await self._resolve(host, port)
        except OSError as err:
            raise DocumentUnavailable(f"cannot resolve {host}: {err}") from err
        if not addresses:
            raise DocumentUnavailable(f"{host} resolves to no address")
        for text in addresses:
            reason = address_refusal(ipaddress.ip_address(text), self._allowed)
            if reason is not None:
                raise DocumentRefused(f"{host} resolves to {text}: {reason.split(' is ', 1)[1]}, refused")
        return addresses[0]

    async def _get(self, http: httpx.AsyncClient, url: str, address: str) -> tuple[httpx.Response, bytes]:
        """GET from the checked address; the body read up to the cap (empty for a redirect)."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        literal = f"[{address}]" if ":" in address else address
        netloc = f"{literal}:{parts.port}" if parts.port else literal
        if "@" in parts.netloc:
            netloc = f"{parts.netloc.rsplit('@', 1)[0]}@{netloc}"
        pinned = parts._replace(netloc=netloc).geturl()
        headers = {"Host": parts.netloc.rsplit("@", 1)[-1], "Accept": "application/pdf"}
        extensions = {"sni_hostname": host} if parts.scheme == "https" and not _is_literal(host) else {}
        try:
            request = http.build_request("GET", pinned, headers=headers, extensions=extensions)
            response = await http.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPError as err:
            raise DocumentUnavailable(f"could not fetch {_shown(url)}: {err}") from err
        try:
            if response.is_redirect:
                return response, b""
            if response.status_code >= 500:
                raise DocumentUnavailable(f"{_shown(url)} answered {response.status_code}")
            if response.status_code >= 400:
                raise DocumentRefused(f"{_shown(url)} answered {response.status_code}")
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > self._max_bytes:
                raise DocumentRefused(f"the PDF is {int(declared):,} bytes, over the {self._cap} cap")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > self._max_bytes:
                    raise DocumentRefused(f"the PDF is over the {self._cap} cap")
            return response, bytes(body)
        except httpx.HTTPError as err:
            raise DocumentUnavailable(f"could not read {_shown(url)}: {err}") from err
        finally:
            await response.aclose()

    @property
    def _cap(self) -> str:
        return f"{self._max_bytes / (1024 * 1024):g} MB"


def _checked_pdf(response: httpx.Response, body: bytes) -> FetchedDocument:
    content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/pdf":
        raise DocumentRefused(f"the document is '{content_type or 'untyped'}', not application/pdf")
    if not body.startswith(PDF_MAGIC):
        raise DocumentRefused("the document says application/pdf but is not a PDF")
    return FetchedDocument(content=body, content_type=content_type)


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DocumentRefused(f"not an http(s) URL: {_shown(url)}")
    return parts.scheme, parts.hostname.lower(), parts.port or (443 if parts.scheme == "https" else 80)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _shown(url: str) -> str:
    """A URL as the history may show it: no credentials, no query string (it may hold a token)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{host}{parts.path}"[:300]
