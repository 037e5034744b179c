"""The data converter: pydantic JSON, with type adapters built once per process."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.contrib.pydantic import pydantic_data_converter

from activities.contracts import PlanInput
from workers.converter import DATA_CONVERTER, SHARED_TYPE_ADAPTERS


def test_each_new_payload_converter_reuses_the_type_adapters_of_the_process() -> None:
    value = PlanInput(enrollment_id=7, cursor=None, as_of=datetime(2026, 12, 3, 19, 30, tzinfo=UTC))
    first = DATA_CONVERTER.payload_converter_class()  # as each sandboxed workflow instance gets
    (payload,) = first.to_payloads([value])
    assert first.from_payloads([payload], [PlanInput]) == [value]
    misses = SHARED_TYPE_ADAPTERS.cache_info().misses

    second = DATA_CONVERTER.payload_converter_class()
    assert second.from_payloads([payload], [PlanInput]) == [value]
    assert SHARED_TYPE_ADAPTERS.cache_info().misses == misses  # no schema built again


def test_payloads_are_the_same_bytes_as_the_sdks_pydantic_converter() -> None:
    """Histories recorded with the stock converter decode unchanged, and new ones match them."""
    value = PlanInput(enrollment_id=7, cursor=None, as_of=datetime(2026, 12, 3, 19, 30, tzinfo=UTC))
    ours = DATA_CONVERTER.payload_converter.to_payloads([value])
    stock = pydantic_data_converter.payload_converter.to_payloads([value])
    assert ours == stock
