"""Schemathesis against the app's own OpenAPI document: every operation, with valid and with
invalid input, as an owner. Nothing answers 5xx, and every answer matches what is documented.

The app runs on the test's event loop (its database and Temporal clients belong to it), so the
generated cases are drawn in a worker thread and each request is handed back to the loop.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import httpx
import requests
import schemathesis
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, Phase, assume, given, settings
from schemathesis import Case, CheckContext, GenerationMode, Response
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import select

from domain.enums import Role
from models import ApiKey
from services.webhooks.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.api.conftest import Api

# Enough to reach the interesting corners of each body; the whole run stays near a minute.
EXAMPLES_PER_OPERATION = 25


def refused_before_the_database(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Bad input is a 422 from validation at the edge, naming the field, never a value that
    Postgres had to refuse (NUL in text, an integer out of range)."""
    if response.status_code == 422 and "database refused" in response.text:
        raise AssertionError("a value reached Postgres and was refused there: validate it in the schema")
    return None


CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    refused_before_the_database,
]
NEGATIVE_CHECKS: list[CheckFunction] = [*CHECKS, negative_data_rejection]
REQUEST_ARGUMENTS = ("method", "url", "headers", "params", "data", "json", "files", "cookies")


async def _seed(api: Api) -> None:
    """One of each resource, so that small generated ids reach real rows and not only 404s."""
    definition = await api.workflow()
    await api.ok("PUT", "/settings", json={"name": "Acme", "default_definition_id": definition["id"]})
    customer = await api.customer()
    await api.invoice()
    await api.ok(
        "POST",
        "/templates",
        status=201,
        json={"name": "Reminder", "subject": "Hello {{ customer.name }}", "text_body": "Pay us"},
    )
    await api.ok("POST", f"/customers/{customer['id']}/pause", json={"reason": "promised"})


def _has_input(operation: Any) -> bool:
    definition = operation.definition.raw
    return bool(definition.get("parameters") or definition.get("requestBody"))


class Fuzzer:
    """Draws cases in a worker thread and sends each through the test's own HTTP client."""

    def __init__(self, api: Api, loop: asyncio.AbstractEventLoop, own_key_id: int) -> None:
        self.api = api
        self.loop = loop
        self.own_key_id = own_key_id
        self.headers = api.as_(Role.OWNER)
        self.failures: list[str] = []
        # The webhook is configured with a key of the test's own, so that valid cases are signed
        # and reach the event handling rather than stopping at "not configured".
        self.webhook_key = ec.generate_private_key(ec.SECP256R1())
        public = self.webhook_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        state = api.app.state.arcadence
        state.settings = state.settings.model_copy(
            update={"sendgrid_webhook_public_key": base64.b64encode(public).decode()}
        )
        self.signing = False

    def send(self, case: Case[Any]) -> httpx.Response:
        kwargs = case.as_transport_kwargs(base_url="http://test", headers=self.headers)
        prepared = requests.Request(**{k: v for k, v in kwargs.items() if k in REQUEST_ARGUMENTS}).prepare()
        headers = dict(prepared.headers)
        if self.signing and case.operation.path.startswith("/webhooks/"):
            headers.update(self.signature(prepared.body))
        request = self.api.http.request(
            prepared.method or "GET", prepared.url or "", headers=headers, content=prepared.body
        )
        return asyncio.run_coroutine_threadsafe(request, self.loop).result(timeout=60)

    def signature(self, body: str | bytes | None) -> dict[str, str]:
        """SendGrid's signature: ECDSA P-256 over the timestamp followed by the raw body."""
        raw = body.encode() if isinstance(body, str) else body or b""
        timestamp = str(int(time.time()))
        signed = self.webhook_key.sign(timestamp.encode() + raw, ec.ECDSA(hashes.SHA256()))
        return {SIGNATURE_HEADER: base64.b64encode(signed).decode(), TIMESTAMP_HEADER: timestamp}

    def run(self, operation: Any, mode: GenerationMode) -> None:
        if mode == GenerationMode.NEGATIVE and not _has_input(operation):
            return  # nothing to make invalid: GET /health, GET /users, …
        # Invalid cases keep what was generated for the signature headers: refusing those is
        # part of what is checked.
        self.signing = mode == GenerationMode.POSITIVE
        checks = NEGATIVE_CHECKS if mode == GenerationMode.NEGATIVE else CHECKS

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            # Shrinking re-sends requests against a database the failing case already changed.
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: Case[Any]) -> None:
            # Revoking the fuzzer's own key would turn every later request into a 401.
            assume(case.path_parameters is None or case.path_parameters.get("key_id") != self.own_key_id)
            case.validate_response(self.send(case), checks=checks, headers=self.headers)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is the latter
            self.failures.append(f"{mode.value} {operation.label}: {exc}")


async def test_every_operation_answers_as_documented_and_never_with_a_server_error(api: Api) -> None:
    await _seed(api)
    document = (await api.http.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    async with api.sessions() as session:
        owner = api.users[Role.OWNER]
        owner_key = (await session.exec(select(ApiKey).where(ApiKey.user_id == owner.id))).one()
    fuzzer = Fuzzer(api, asyncio.get_running_loop(), owner_key.id)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len([op for item in document["paths"].values() for op in item])

    def run_all() -> None:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzzer.run(operation, mode)

    started = time.monotonic()
    await asyncio.to_thread(run_all)
    assert not fuzzer.failures, "\n\n".join(fuzzer.failures)
    assert time.monotonic() - started < 180
