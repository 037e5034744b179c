"""Invoice PDFs are fetched safely: public addresses only (after DNS), no redirect to another
host, a PDF and nothing else, under a size cap. A local HTTP server stands in for the document store."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from activities.documents import (
    MAX_PDF_BYTES,
    DocumentFetcher,
    DocumentRefused,
    DocumentUnavailable,
    Resolver,
    address_refusal,
    parse_networks,
)

PDF = b"%PDF-1.7 a real invoice"
LOOPBACK = parse_networks(["127.0.0.1/32", "::1/128"])


def fetcher(*, max_bytes: int = MAX_PDF_BYTES, resolver: Resolver | None = None) -> DocumentFetcher:
    if resolver is None:
        return DocumentFetcher(allowed_networks=LOOPBACK, max_bytes=max_bytes)
    return DocumentFetcher(allowed_networks=LOOPBACK, max_bytes=max_bytes, resolver=resolver)


def resolving_to(*addresses: str) -> Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),  # the cloud metadata service
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6 is checked as IPv4
        ("224.0.0.1", "multicast"),
    ],
)
def test_internal_addresses_are_refused(address: str, kind: str) -> None:
    reason = address_refusal(ipaddress.ip_address(address))
    assert reason is not None and kind in reason


def test_public_addresses_and_allowed_networks_are_accepted() -> None:
    assert address_refusal(ipaddress.ip_address("93.184.216.34")) is None
    assert address_refusal(ipaddress.ip_address("2606:2800:220:1::1")) is None
    allowed = parse_networks(["10.20.0.0/16"])
    assert address_refusal(ipaddress.ip_address("10.20.3.4"), allowed) is None
    assert address_refusal(ipaddress.ip_address("10.21.3.4"), allowed) is not None


async def test_a_pdf_from_an_allowed_address_is_fetched(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/inv.pdf").respond_with_data(PDF, content_type="application/pdf")
    document = await fetcher().fetch_pdf(httpserver.url_for("/inv.pdf"))
    assert (document.content, document.content_type) == (PDF, "application/pdf")


async def test_a_pdf_on_a_loopback_address_is_refused_by_default(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/inv.pdf").respond_with_data(PDF, content_type="application/pdf")
    with pytest.raises(DocumentRefused, match="loopback"):
        await DocumentFetcher().fetch_pdf(httpserver.url_for("/inv.pdf"))
    assert httpserver.log == []  # refused before any connection


async def test_a_name_resolving_to_the_metadata_service_is_refused() -> None:
    documents = DocumentFetcher(resolver=resolving_to("169.254.169.254"))
    with pytest.raises(
        DocumentRefused, match=r"docs\.example\.com resolves to 169\.254\.169\.254: a link-local"
    ):
        await documents.fetch_pdf("https://docs.example.com/latest/meta-data/")


async def test_a_name_with_one_private_address_among_public_ones_is_refused() -> None:
    documents = DocumentFetcher(resolver=resolving_to("93.184.216.34", "10.0.0.7"))
    with pytest.raises(DocumentRefused, match=r"10\.0\.0\.7"):
        await documents.fetch_pdf("https://docs.example.com/inv.pdf")


async def test_the_request_goes_to_the_checked_address_with_the_name_as_host(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/inv.pdf").respond_with_data(PDF, content_type="application/pdf")
    documents = fetcher(resolver=resolving_to("127.0.0.1"))
    url = f"http://docs.example.test:{httpserver.port}/inv.pdf?token=secret"
    assert (await documents.fetch_pdf(url)).content == PDF
    (request, _), *_ = httpserver.log
    assert request.headers["Host"] == f"docs.example.test:{httpserver.port}"
    assert request.args["token"] == "secret"


async def test_a_redirect_to_another_host_is_refused(httpserver: HTTPServer) -> None:
    elsewhere = f"http://localhost:{httpserver.port}/inv.pdf"
    httpserver.expect_request("/moved.pdf").respond_with_response(
        Response(status=302, headers={"Location": elsewhere})
    )
    with pytest.raises(DocumentRefused, match=r"redirected to another host \(http://localhost"):
        await fetcher().fetch_pdf(f"http://127.0.0.1:{httpserver.port}/moved.pdf")


async def test_a_redirect_on_the_same_host_is_followed_a_few_times(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old.pdf").respond_with_response(
        Response(status=301, headers={"Location": "/new.pdf"})
    )
    httpserver.expect_request("/new.pdf").respond_with_data(PDF, content_type="application/pdf")
    assert (await fetcher().fetch_pdf(httpserver.url_for("/old.pdf"))).content == PDF
    httpserver.expect_request("/loop.pdf").respond_with_response(
        Response(status=302, headers={"Location": "/loop.pdf"})
    )
    with pytest.raises(DocumentRefused, match="more than 3 redirects"):
        await fetcher().fetch_pdf(httpserver.url_for("/loop.pdf"))


async def test_a_document_that_is_not_a_pdf_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/login").respond_with_data("<html>sign in</html>", content_type="text/html")
    with pytest.raises(DocumentRefused, match="'text/html', not application/pdf"):
        await fetcher().fetch_pdf(httpserver.url_for("/login"))
    httpserver.expect_request("/fake.pdf").respond_with_data(b"MZ\x90\x00", content_type="application/pdf")
    with pytest.raises(DocumentRefused, match="is not a PDF"):
        await fetcher().fetch_pdf(httpserver.url_for("/fake.pdf"))


async def test_a_pdf_over_the_cap_is_refused_whether_declared_or_streamed(httpserver: HTTPServer) -> None:
    big = b"%PDF-" + b"x" * 5000
    httpserver.expect_request("/big.pdf").respond_with_data(big, content_type="application/pdf")
    with pytest.raises(DocumentRefused, match="5,005 bytes, over the"):
        await fetcher(max_bytes=1024).fetch_pdf(httpserver.url_for("/big.pdf"))

    def chunks() -> Iterator[bytes]:
        yield b"%PDF-"
        for _ in range(10):
            yield b"y" * 500

    httpserver.expect_request("/streamed.pdf").respond_with_response(
        Response(chunks(), content_type="application/pdf")  # type: ignore[arg-type]
    )
    with pytest.raises(DocumentRefused, match="over the"):
        await fetcher(max_bytes=1024).fetch_pdf(httpserver.url_for("/streamed.pdf"))


async def test_server_errors_are_retried_and_client_errors_are_final(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/busy.pdf").respond_with_data("busy", status=503)
    with pytest.raises(DocumentUnavailable, match="503"):
        await fetcher().fetch_pdf(httpserver.url_for("/busy.pdf"))
    httpserver.expect_request("/gone.pdf").respond_with_data("gone", status=404)
    with pytest.raises(DocumentRefused, match="404"):
        await fetcher().fetch_pdf(httpserver.url_for("/gone.pdf"))


async def test_only_http_urls_are_fetched() -> None:
    for url in ("file:///etc/passwd", "gopher://docs.example.com/1", "https:///no-host"):
        with pytest.raises(DocumentRefused, match="not an http"):
            await DocumentFetcher().fetch_pdf(url)


async def test_the_injected_client_is_used(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/inv.pdf").respond_with_data(PDF, content_type="application/pdf")
    seen: list[str] = []

    async def note(request: httpx.Request) -> None:
        seen.append(str(request.url))

    async with httpx.AsyncClient(event_hooks={"request": [note]}) as http:
        await DocumentFetcher(http, allowed_networks=LOOPBACK).fetch_pdf(httpserver.url_for("/inv.pdf"))
    assert seen == [f"http://127.0.0.1:{httpserver.port}/inv.pdf"]  # the checked address
