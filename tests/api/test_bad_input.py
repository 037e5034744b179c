"""Bad input is refused with a 4xx in the one error shape, and the database is left exactly as it
was: oversized and lying bodies, unknown fields, wrong types, batches over their maximum, bytes
that are not UTF-8, broken JSON, NUL characters, giant ids and paging. Strings that look like SQL
or template code are data: stored and shown verbatim, never run."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from api.limits import DEFAULT_MAX_BODY, MiB
from domain.enums import Role
from models import Customer
from tests.api.conftest import Api

INJECTIONS = [
    "x'); DROP TABLE customer;--",
    "Robert'); DELETE FROM api_key WHERE ('1'='1",
    '" OR 1=1 --',
    "1; SELECT pg_sleep(10)",
    "%' OR name LIKE '%",
]


async def fingerprint(api: Api) -> dict[str, str]:
    """Every table's rows, hashed: equal fingerprints mean nothing was inserted, changed or deleted."""
    async with api.sessions() as session:
        result = {}
        for table in SQLModel.metadata.sorted_tables:
            query = (
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table.name}\" t"
            )
            result[table.name] = (await session.exec(text(query))).one()[0]  # type: ignore[call-overload]
        return result


async def refused_writing_nothing(
    api: Api, method: str, path: str, status: int, code: str | None = None, **kwargs: Any
) -> dict[str, Any]:
    before = await fingerprint(api)
    body = await api.refused(method, path, status, code, role=Role.OWNER, **kwargs)
    after = await fingerprint(api)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [], f"{method} {path} was refused but wrote to {changed}"
    return body


def field_named(body: dict[str, Any], *location: str | int) -> bool:
    return any(tuple(d["location"]) == ("body", *location) for d in body["error"]["details"])


# Oversized bodies ------------------------------------------------------------------------------


def customer_of_size(size: int) -> bytes:
    """A customer body of about `size` bytes (valid but for its length)."""
    return json.dumps({"external_id": "QB-1", "name": "Globex", "pad": "x" * size}).encode()


async def test_a_body_over_the_limit_is_a_413_without_being_read(api: Api) -> None:
    body = await refused_writing_nothing(
        api, "POST", "/customers", 413, "body_too_large", content=customer_of_size(DEFAULT_MAX_BODY + 1)
    )
    assert body["error"]["details"] == {"limit_bytes": DEFAULT_MAX_BODY}


async def test_a_body_that_lies_about_its_length_is_cut_off_at_the_limit(api: Api) -> None:
    # Claims 20 bytes, sends 2 MiB: the bytes are counted, not the claim believed.
    body = customer_of_size(2 * MiB)
    before = await fingerprint(api)
    status, answer = await raw_asgi_call(api, "/customers", [body], {"content-length": "20"})
    assert (status, answer["error"]["code"]) == (413, "body_too_large")
    assert await fingerprint(api) == before


async def test_a_chunked_body_without_a_length_is_cut_off_at_the_limit(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b" " * (64 * 1024)  # JSON whitespace: only the size is wrong

    await refused_writing_nothing(api, "POST", "/customers", 413, "body_too_large", content=chunks())


async def test_an_unauthenticated_oversized_body_is_refused_too(api: Api) -> None:
    response = await api.http.post("/customers", content=customer_of_size(2 * MiB))
    assert response.status_code == 413


async def test_the_bulk_endpoints_take_bodies_larger_than_the_default(api: Api) -> None:
    """10,000 customers with an address each is over 1 MiB, and within what bulk enrolment takes:
    it gets as far as the unknown workflow (404), not a 413."""
    mailbox = "accounts.payable.department.of.the.customer.in.question"
    emails = {str(i): f"{mailbox}.{i}@a-rather-long-customer-domain.example" for i in range(1, 10_001)}
    payload = json.dumps({"definition_id": 4242, "customer_ids": list(range(1, 10_001)), "emails": emails})
    assert len(payload) > DEFAULT_MAX_BODY
    headers = {"Content-Type": "application/json"}
    await refused_writing_nothing(
        api, "POST", "/enrollments/bulk", 404, "not_found", content=payload, headers=headers
    )


async def raw_asgi_call(
    api: Api, path: str, chunks: list[bytes], headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    """A POST straight to the ASGI app, so the headers say exactly what the test wants them to."""
    messages = [
        {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
        for n, chunk in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []
    all_headers = {**headers, **api.as_(Role.OWNER), "content-type": "application/json"}
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in all_headers.items()],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
    }

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await api.app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body)


# Unknown fields and wrong types ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "payload", "location"),
    [
        ("POST", "/customers", {"external_id": "Q", "name": "G", "colour": "red"}, ("colour",)),
        (
            "POST",
            "/customers",
            {"external_id": "Q", "name": "G", "contacts": [{"email": "a@b.example", "admin": True}]},
            ("contacts", 0, "admin"),
        ),
        ("PUT", "/settings", {"name": "Acme", "is_superuser": True}, ("is_superuser",)),
        ("POST", "/users", {"name": "S", "email": "s@a.example", "role": "viewer", "id": 1}, ("id",)),
        ("POST", "/workflows", {"name": "W", "kind": "invoice", "steps": [], "owner": 1}, ("owner",)),
        ("POST", "/customers", {"external_id": "Q", "name": 42}, ("name",)),
        ("POST", "/customers", {"external_id": "Q", "name": "G", "specialist_id": "3"}, ("specialist_id",)),
        ("POST", "/customers", {"external_id": "Q", "name": "G", "autopay": "yes"}, ("autopay",)),
        ("POST", "/customers", {"external_id": ["Q"], "name": "G"}, ("external_id",)),
        ("POST", "/customers/batch", {"customers": {"external_id": "Q"}}, ("customers",)),
        ("POST", "/enrollments/bulk", {"definition_id": 1, "customer_ids": "1,2"}, ("customer_ids",)),
        ("POST", "/enrollments/bulk", {"definition_id": "1", "customer_ids": [1]}, ("definition_id",)),
        (
            "POST",
            "/enrollments/bulk",
            {"definition_id": 1, "customer_ids": [1], "emails": {"99999999999": "a@b.example"}},
            ("emails", "99999999999", "[key]"),
        ),
        ("POST", "/enrollments/bulk", {"definition_id": 1, "customer_ids": [2**63]}, ("customer_ids", 0)),
        ("POST", "/enrollments/bulk", {"definition_id": 2**31, "customer_ids": [1]}, ("definition_id",)),
        ("PUT", "/settings", {"name": "Acme", "send_window_minutes": 1e308}, ("send_window_minutes",)),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
async def test_unknown_fields_and_wrong_types_are_a_422_naming_the_field(
    api: Api, method: str, path: str, payload: dict[str, Any], location: tuple[str | int, ...]
) -> None:
    body = await refused_writing_nothing(api, method, path, 422, "invalid_input", json=payload)
    assert field_named(body, *location), body


# Batches over their maximum --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/customers/batch", {"customers": [{"external_id": f"C{i}", "name": "n"} for i in range(1001)]}),
        (
            "/invoices/batch",
            {
                "invoices": [
                    {
                        "external_id": f"I{i}",
                        "customer_external_id": "C",
                        "number": f"N{i}",
                        "total": "1",
                        "balance_due": "1",
                        "issue_date": "2026-01-01",
                        "due_date": "2026-02-01",
                    }
                    for i in range(1001)
                ]
            },
        ),
        ("/enrollments/bulk", {"definition_id": 1, "customer_ids": list(range(1, 10_002))}),
    ],
    ids=["customers", "invoices", "enrollments"],
)
async def test_a_batch_over_its_documented_maximum_is_refused_whole(
    api: Api, path: str, payload: dict[str, Any]
) -> None:
    await api.workflow()
    await api.customer("C")
    body = await refused_writing_nothing(api, "POST", path, 422, "invalid_input", json=payload)
    assert body["error"]["details"][0]["type"] == "too_long"


# Bodies that are not (good) JSON ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b'{"external_id": "QB-1", "name": "Glo\xff\xfebex"}', 400, "malformed_body"),
        (b"\xc3\x28\xa0\xa1", 400, "malformed_body"),
        (b'{"external_id": "QB-1", "name": "Globex"', 422, "invalid_input"),
        (b'{"external_id": "QB-1", "name": "Globex"} trailing', 422, "invalid_input"),
        (b"[1, 2, 3]", 422, "invalid_input"),
        (b'"just a string"', 422, "invalid_input"),
        (b"null", 422, "invalid_input"),
        (b'{"external_id": "QB-1", "name": NaN}', 422, "invalid_input"),
    ],
    ids=["latin1-in-json", "not-utf8", "truncated", "trailing", "array", "string", "null", "nan"],
)
async def test_bytes_that_are_not_a_json_object_are_refused(
    api: Api, content: bytes, status: int, code: str
) -> None:
    headers = {"Content-Type": "application/json"}
    await refused_writing_nothing(api, "POST", "/customers", status, code, content=content, headers=headers)


# NUL characters ----------------------------------------------------------------------------------


async def test_a_nul_character_is_refused_at_the_edge_naming_the_field(api: Api) -> None:
    body = await refused_writing_nothing(
        api, "POST", "/customers", 422, "invalid_input", json={"external_id": "QB-1", "name": "Glo\x00bex"}
    )
    assert field_named(body, "name")
    nested = {
        "external_id": "QB-1",
        "name": "Globex",
        "contacts": [{"name": "J\x00", "email": "a@b.example"}],
    }
    body = await refused_writing_nothing(api, "POST", "/customers", 422, "invalid_input", json=nested)
    assert field_named(body, "contacts", 0, "name")
    step = {"offset_days": 0, "action": "task", "parameters": {"title": "call\x00"}}
    workflow = {"name": "W", "kind": "invoice", "steps": [step]}
    await refused_writing_nothing(api, "POST", "/workflows", 422, "invalid_input", json=workflow)
    template = {"name": "T", "text_body": "Hello\x00"}
    await refused_writing_nothing(api, "POST", "/templates", 422, "invalid_input", json=template)
    await refused_writing_nothing(api, "GET", "/customers?search=glo%00bex", 422, "invalid_input")


# Injection-looking strings are data --------------------------------------------------------------


@pytest.mark.parametrize("name", INJECTIONS)
async def test_sql_looking_strings_are_stored_verbatim_and_never_run(api: Api, name: str) -> None:
    created = await api.customer("QB-'; DROP TABLE invoice;--", name=name)
    assert (await api.ok("GET", f"/customers/{created['id']}"))["name"] == name
    assert created["external_id"] == "QB-'; DROP TABLE invoice;--"
    found = await api.ok("GET", "/customers", params={"search": name})
    assert [c["id"] for c in found["items"]] == [created["id"]]
    nothing = await api.ok("GET", "/customers", params={"search": "' OR '1'='1"})
    assert nothing["total"] == 0
    assert await api.count(Customer) == 1  # the table is still there, with its one row
    await api.invoice("QB-'; DROP TABLE invoice;--")


async def test_wildcards_in_a_search_are_looked_for_as_typed(api: Api) -> None:
    await api.customer("A", name="Save 50% Ltd")
    await api.customer("B", name="Save 500 Ltd")
    await api.customer("C", name="a_b Inc")
    await api.customer("D", name="axb Inc")
    assert [c["name"] for c in (await api.ok("GET", "/customers?search=50%25"))["items"]] == ["Save 50% Ltd"]
    assert [c["name"] for c in (await api.ok("GET", "/customers?search=a_b"))["items"]] == ["a_b Inc"]
    assert (await api.ok("GET", "/customers", params={"search": "\\"}))["total"] == 0


async def test_template_code_in_a_customer_name_is_shown_not_run_in_a_preview(api: Api) -> None:
    name = "{{ 7 * 7 }}{% for x in range(3) %}X{% endfor %}<script>alert(1)</script>"
    customer = await api.customer(name=name)
    template = await api.ok(
        "POST",
        "/templates",
        status=201,
        json={
            "name": "Hello",
            "subject": "For {{ customer.name }}",
            "html_body": "<p>Dear {{ customer.name }}</p>",
            "text_body": "Dear {{ customer.name }}",
        },
    )
    preview = await api.ok(
        "POST", f"/templates/{template['id']}/preview", json={"customer_id": customer["id"]}
    )
    assert preview["text_body"] == f"Dear {name}"
    assert "49" not in preview["subject"] and "XXX" not in preview["subject"]
    assert "<script>" not in preview["html_body"] and "&lt;script&gt;" in preview["html_body"]
    assert "{{ 7 * 7 }}" in preview["html_body"]


# Path ids and paging ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/customers/99999999999999999999999999",
        "/customers/2147483648",
        "/customers/0",
        "/customers/-1",
        "/customers/1e3",
        "/customers/1.5",
        "/customers/%00",
        "/invoices/9223372036854775808",
        "/enrollments/18446744073709551616/timeline",
        "/enrollments/bulk/not-a-job",
        "/customers?limit=-1",
        "/customers?limit=0",
        "/customers?limit=99999999999999999999",
        "/customers?offset=-1",
        "/customers?offset=99999999999999999999",
        "/customers/1/history?limit=501",
        "/customers/1/history?kind=all",
        "/customers/1/history?since=2026-02-30",
        "/tasks?customer_id=2147483648",
        "/deliveries?enrollment_id=-5",
        "/deliveries/2147483648",
        "/deliveries/0",
        "/enrollments/1/timeline?limit=201",
    ],
)
async def test_ids_and_paging_out_of_range_are_a_422(api: Api, path: str) -> None:
    await api.refused("GET", path, 422, "invalid_input", role=Role.OWNER)


async def test_writes_to_giant_ids_are_a_422_and_write_nothing(api: Api) -> None:
    giant = "9" * 30
    patch = {"name": "x"}
    await refused_writing_nothing(api, "PATCH", f"/customers/{giant}", 422, "invalid_input", json=patch)
    await refused_writing_nothing(api, "POST", f"/invoices/{giant}/pause", 422, "invalid_input")
    await refused_writing_nothing(
        api, "POST", f"/enrollments/{giant}/cancel", 422, "invalid_input", json={"reason": "x"}
    )
    await refused_writing_nothing(api, "DELETE", f"/templates/{giant}", 422, "invalid_input")


async def test_an_oversized_request_gets_a_413_from_a_real_client_too(api: Api) -> None:
    """Through httpx's own framing (a declared length), on an endpoint with a larger cap."""
    payload = b'{"customers": [' + b" " * (9 * MiB) + b"]}"
    headers = {**api.as_(Role.OWNER), "Content-Type": "application/json"}
    response = await api.http.post("/customers/batch", content=payload, headers=headers)
    assert response.status_code == 413 and response.json()["error"]["details"] == {"limit_bytes": 8 * MiB}
    assert isinstance(response, httpx.Response)
