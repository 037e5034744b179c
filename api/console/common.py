"""What every console page shares: its template context, the redirect after a change, and the
rollback of a refused change."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import escape

from api.console.auth import Visitor
from api.console.render import page
from api.deps import ADMINS, MANAGERS, SUPPORT, TASK_WORKERS
from models.settings import Settings
from services.common import get_or_404
from services.errors import ServiceError
from services.unit_of_work import UnitOfWork

RowT = TypeVar("RowT")


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.console_settings
    return settings


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def undo(uow: UnitOfWork, visitor: Visitor) -> None:
    """A refused change leaves nothing behind; the page is then re-read in a fresh transaction
    (the signed-in user reloaded, as the rollback expired it)."""
    await uow.session.rollback()
    await uow.session.refresh(visitor.user)


def base(visitor: Visitor | None, **context: Any) -> dict[str, Any]:
    """The role sets the templates test buttons against are the API's own (`api.deps`)."""
    return {
        "visitor": visitor,
        "support": SUPPORT,
        "managers": MANAGERS,
        "admins": ADMINS,
        "task_workers": TASK_WORKERS,
        **context,
    }


def not_changed(request: Request, visitor: Visitor, message: str, status_code: int) -> HTMLResponse:
    """A refused change: an htmx request gets an alert to show in place, a plain form a page."""
    if request.headers.get("hx-request"):  # shown at the top of the page, the page left as it is
        return HTMLResponse(
            f"<p role='alert' class='error'>{escape(message)}</p>",
            status_code=status_code,
            headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
        )
    context = base(visitor, title="Not changed", message=message)
    return page(request, "error.html", context, status_code=status_code)


async def row_or_page(
    request: Request, uow: UnitOfWork, visitor: Visitor, model: type[RowT], row_id: int, what: str
) -> RowT | HTMLResponse:
    """The row a console page is about, or the page saying it does not exist ("Workflow
    definition not found")."""
    try:
        return await get_or_404(uow.session, model, row_id, what)
    except ServiceError as err:
        context = base(visitor, title=f"{what.capitalize()} not found", message=err.message)
        return page(request, "error.html", context, status_code=err.status)
