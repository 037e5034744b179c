"""Query and path parameters shared by the routers: bounded so that a value Postgres cannot
hold is a 422 at the edge, not a database error."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

# Postgres refuses NUL in text; a search for one is a 422 at the edge, not a database error.
NO_NUL = r"^[^\x00]*$"

# Paging of list endpoints.
Limit = Annotated[int, Query(ge=1, le=500, description="At most this many items")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Skip this many items")]
# A filter or path id that cannot exist in Postgres' `integer` is a 422, not a database error.
QueryId = Annotated[int, Query(ge=1, le=2_147_483_647)]
PathId = Annotated[int, Path(ge=1, le=2_147_483_647)]
