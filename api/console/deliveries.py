"""The Deliveries page: every message arcadence made, newest first, filtered by status, and one
delivery exactly as sent (`services.work.read_delivery`, as `GET /deliveries/{id}`). The HTML
body is shown only inside an `<iframe sandbox="" srcdoc>`: an email's HTML never runs in the
console (no script, no form, no navigation, its own opaque origin)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.console.auth import SignedIn
from api.console.common import base
from api.console.render import page
from api.deps import UnitOfWorkDep
from api.params import PathId
from domain.enums import DeliveryStatus
from models import Customer
from services import work as work_service
from services.errors import ServiceError
from services.organization import read_settings

router = APIRouter()
DELIVERIES_PER_PAGE = 25
STATUS_PATTERN = "^(|" + "|".join(s.value for s in DeliveryStatus) + ")$"


@router.get("/deliveries", response_class=HTMLResponse)
async def deliveries(
    request: Request,
    uow: UnitOfWorkDep,
    visitor: SignedIn,
    status: str = Query(default="", pattern=STATUS_PATTERN),
    customer_id: int | None = Query(default=None, ge=1, le=2**31 - 1, alias="customer"),
    page_number: int = Query(default=1, ge=1, le=100_000, alias="page"),
) -> HTMLResponse:
    chosen = DeliveryStatus(status) if status else None
    offset = (page_number - 1) * DELIVERIES_PER_PAGE
    rows, total = await work_service.list_deliveries(
        uow, customer_id, None, chosen, DELIVERIES_PER_PAGE, offset
    )
    customers: dict[int, str] = {}
    of_customer = await uow.session.get(Customer, customer_id) if customer_id is not None else None
    for row in rows:
        if row.customer_id not in customers:
            customer = await uow.session.get(Customer, row.customer_id)
            customers[row.customer_id] = customer.name if customer else f"#{row.customer_id}"
    org = await read_settings(uow)
    pages = max(1, -(-total // DELIVERIES_PER_PAGE))

    def link(number: int) -> str:
        narrowed = {"customer": customer_id} if customer_id is not None else {}
        return "/console/deliveries?" + urlencode({"status": status, **narrowed, "page": number})

    context = base(
        visitor,
        rows=rows,
        total=total,
        status=status,
        statuses=[s.value for s in DeliveryStatus],
        customer_names=customers,
        customer_id=customer_id,
        of_customer=of_customer,
        page=page_number,
        pages=pages,
        previous=link(page_number - 1) if page_number > 1 else None,
        next=link(page_number + 1) if page_number < pages else None,
        zone=org.time_zone,
    )
    return page(request, "deliveries.html", context)


@router.get("/deliveries/{delivery_id}", response_class=HTMLResponse)
async def delivery(
    request: Request, delivery_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> HTMLResponse:
    try:
        detail = await work_service.read_delivery(uow, delivery_id)
    except ServiceError as err:
        context = base(visitor, title="Delivery not found", message=err.message)
        return page(request, "error.html", context, status_code=err.status)
    customer = await uow.session.get(Customer, detail.customer_id)
    org = await read_settings(uow)
    context = base(visitor, delivery=detail, customer=customer, zone=org.time_zone)
    return page(request, "delivery.html", context)
