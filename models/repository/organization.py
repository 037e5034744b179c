"""The organization's settings, and the calendar the schedules are computed in."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.schedules import OrgCalendar
from models import OrganizationSettings


async def load_organization(session: AsyncSession) -> OrganizationSettings:
    org = (await session.exec(select(OrganizationSettings))).first()
    # An organization that never saved settings runs on the documented defaults.
    return org or OrganizationSettings(name="arcadence")


def calendar_of(org: OrganizationSettings) -> OrgCalendar:
    return OrgCalendar(
        time_zone=org.time_zone,
        send_time=org.send_time,
        business_days_only=org.business_days_only,
        holiday_country=org.holiday_country,
        send_window_minutes=org.send_window_minutes,
    )
