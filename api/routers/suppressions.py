"""Suppressed addresses: the list, and lifting one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Reader, Supporter, UnitOfWorkDep
from api.params import NO_NUL, Limit, Offset, PathId
from services import suppressions as service
from services.schemas.common import Page
from services.schemas.suppressions import SuppressionLift, SuppressionLifted, SuppressionOut

router = APIRouter(tags=["suppressions"])

Address = Annotated[str, Query(min_length=1, max_length=254, pattern=NO_NUL, description="One address")]


@router.get(
    "/suppressions",
    summary="Suppressed addresses (newest first): never written to again until a person lifts them",
)
async def list_suppressions(
    uow: UnitOfWorkDep,
    user: Reader,
    address: Address | None = None,
    active: Annotated[bool | None, Query(description="Only those in force (true) or lifted (false)")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[SuppressionOut]:
    rows, total = await service.list_suppressions(uow, address, active, limit, offset)
    return Page[SuppressionOut].of(rows, total, limit, offset)


@router.post(
    "/suppressions/{suppression_id}/lift",
    summary="Lift a suppression: the address may be written to again (recorded in the history)",
)
async def lift_suppression(
    suppression_id: PathId, request: SuppressionLift, uow: UnitOfWorkDep, user: Supporter
) -> SuppressionLifted:
    return await service.lift_suppression(uow, suppression_id, request.reason, user)
