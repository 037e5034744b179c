"""Message templates."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Template


async def template_named(session: AsyncSession, name: str) -> Template | None:
    return (await session.exec(select(Template).where(Template.name == name))).first()


async def all_templates(session: AsyncSession) -> list[Template]:
    return list((await session.exec(select(Template).order_by(col(Template.id)))).all())
