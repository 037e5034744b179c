"""The Replies page: customers' replies waiting for a person (matched or not), and marking one
handled through the service the API's `POST /replies/{id}/handle` calls (same roles)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.console.auth import SignedIn, require
from api.console.common import base, not_changed, see_other, undo
from api.console.render import page
from api.deps import SUPPORT, UnitOfWorkDep
from api.params import PathId
from models import Customer
from services import replies as reply_service
from services.errors import ServiceError
from services.organization import read_settings

router = APIRouter()
REPLIES_PER_PAGE = 50
SHOWN = {"waiting": (False, None), "unmatched": (None, False), "handled": (True, None)}


@router.get("/replies", response_class=HTMLResponse)
async def replies(
    request: Request,
    uow: UnitOfWorkDep,
    visitor: SignedIn,
    show: str = Query(default="waiting", pattern="^(waiting|unmatched|handled)$"),
) -> HTMLResponse:
    handled, matched = SHOWN[show]
    rows, total = await reply_service.list_replies(uow, handled, matched, REPLIES_PER_PAGE, 0)
    names: dict[int, str] = {}
    for reply in rows:
        if reply.customer_id is not None and reply.customer_id not in names:
            customer = await uow.session.get(Customer, reply.customer_id)
            names[reply.customer_id] = customer.name if customer else f"#{reply.customer_id}"
    org = await read_settings(uow)
    context = base(visitor, replies=rows, total=total, show=show, customer_names=names, zone=org.time_zone)
    return page(request, "replies.html", context)


@router.post("/replies/{reply_id}/handle", response_class=HTMLResponse)
async def handle_reply(request: Request, reply_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    require(visitor, SUPPORT)
    try:
        await reply_service.handle_reply(uow, reply_id, "", visitor.user)
    except ServiceError as err:
        await undo(uow, visitor)
        return not_changed(request, visitor, err.message, err.status)
    return see_other("/console/replies")
