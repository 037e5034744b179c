"""Provider webhooks: no API key, each request proves itself with the provider's signature."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
