"""Customers' replies: the list, one reply, marking one handled, the inbound address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Admin, Reader, Supporter, UnitOfWorkDep
from api.params import Limit, Offset, PathId
from services import replies as service
from services.schemas.common import Page
from services.schemas.replies import InboundAddress, ReplyHandle, ReplyHandled, ReplyOut

router = APIRouter(tags=["replies"])


@router.get("/replies", summary="Customers' replies (newest first), matched or not, handled or not")
async def list_replies(
    uow: UnitOfWorkDep,
    user: Reader,
    handled: Annotated[bool | None, Query(description="Only handled (true) or waiting (false)")] = None,
    matched: Annotated[bool | None, Query(description="Only matched (true) or not (false)")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ReplyOut]:
    rows, total = await service.list_replies(uow, handled, matched, limit, offset)
    return Page[ReplyOut].of(rows, total, limit, offset)


@router.get(
    "/replies/inbound-address",
    summary="The secret path to give SendGrid Inbound Parse (owners and admins only)",
)
async def inbound_address(uow: UnitOfWorkDep, user: Admin) -> InboundAddress:
    return await service.inbound_address(uow)


@router.get("/replies/{reply_id}", summary="One reply, with its stored bodies")
async def get_reply(reply_id: PathId, uow: UnitOfWorkDep, user: Reader) -> ReplyOut:
    return ReplyOut.model_validate(await service.get_reply(uow, reply_id))


@router.post(
    "/replies/{reply_id}/handle",
    summary="Mark a reply handled: the customer resumes if the pause is still the replies'",
)
async def handle_reply(
    reply_id: PathId, request: ReplyHandle, uow: UnitOfWorkDep, user: Supporter
) -> ReplyHandled:
    return await service.handle_reply(uow, reply_id, request.note, user)
