"""The data converter of every Temporal client arcadence opens: pydantic's JSON payloads
(`temporalio.contrib.pydantic`), with the type adapters shared by the whole process.

The SDK builds a payload converter for each sandboxed workflow instance, and the stock
converter keeps its type adapters per converter: every new or evicted workflow built pydantic
schemas again for its input, its signals and each local activity's result (a tenth of a wake's
CPU in benchmark 2). Adapters depend only on the type, so one cache serves every instance.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import TypeAdapter
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)

# Least recently used beyond this many types (arcadence has a few dozen payload types).
MAX_TYPE_ADAPTERS = 1024
SHARED_TYPE_ADAPTERS: functools._lru_cache_wrapper[TypeAdapter[Any]] = functools.lru_cache(
    maxsize=MAX_TYPE_ADAPTERS
)(TypeAdapter)


class SharedAdaptersJSONConverter(PydanticJSONPlainPayloadConverter):
    """Pydantic JSON whose type adapters are the process's, not this instance's."""

    def __init__(self) -> None:
        super().__init__(max_cached_type_adapters=MAX_TYPE_ADAPTERS)
        self._type_adapter = SHARED_TYPE_ADAPTERS

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._type_adapter = SHARED_TYPE_ADAPTERS


class ArcadencePayloadConverter(CompositePayloadConverter):
    """The SDK's default converters, with JSON replaced by `SharedAdaptersJSONConverter`."""

    def __init__(self) -> None:
        json_converter = SharedAdaptersJSONConverter()
        super().__init__(
            *(
                json_converter if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


DATA_CONVERTER = DataConverter(payload_converter_class=ArcadencePayloadConverter)
