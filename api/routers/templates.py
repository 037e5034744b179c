"""Message templates, validated on save, previewed against a real customer."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import Manager, Reader, UnitOfWorkDep
from api.params import PathId
from models import Template
from services import templates as service
from services.common import get_or_404
from services.schemas.templates import PreviewIn, PreviewOut, TemplateIn, TemplateOut

router = APIRouter(prefix="/templates", tags=["templates"])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a template (test-rendered first)")
async def create_template(request: TemplateIn, uow: UnitOfWorkDep, user: Manager) -> TemplateOut:
    return TemplateOut.model_validate(await service.create_template(uow, request))


@router.get("", summary="List templates")
async def list_templates(uow: UnitOfWorkDep, user: Reader) -> list[TemplateOut]:
    return [TemplateOut.model_validate(t) for t in await service.list_templates(uow)]


@router.get("/{template_id}", summary="Read a template")
async def read_template(template_id: PathId, uow: UnitOfWorkDep, user: Reader) -> TemplateOut:
    return TemplateOut.model_validate(await get_or_404(uow.session, Template, template_id, "template"))


@router.put("/{template_id}", summary="Change a template (test-rendered first)")
async def update_template(
    template_id: PathId, request: TemplateIn, uow: UnitOfWorkDep, user: Manager
) -> TemplateOut:
    return TemplateOut.model_validate(await service.update_template(uow, template_id, request))


@router.delete("/{template_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an unused template")
async def delete_template(template_id: PathId, uow: UnitOfWorkDep, user: Manager) -> None:
    await service.delete_template(uow, template_id)


@router.post("/{template_id}/preview", summary="Render a template with a customer's real data")
async def preview(template_id: PathId, request: PreviewIn, uow: UnitOfWorkDep, user: Reader) -> PreviewOut:
    rendered = await service.preview(uow, template_id, request)
    return PreviewOut(subject=rendered.subject, html_body=rendered.html_body, text_body=rendered.text_body)
