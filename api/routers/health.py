"""Liveness and readiness, without a key."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


@router.get("/health", summary="Is the API up?")
async def health() -> Health:
    return Health(status="ok")
