"""The organization's settings, and the calendar the schedules are computed in."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.schedules import OrgCalendar, customer_calendar, customer_zone
from models import Customer, OrganizationSettings
from models.base import require_id
from models.repository.contacts import primary_contact_zones


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


async def customer_calendars(
    session: AsyncSession, org: OrganizationSettings, customers: list[Customer]
) -> dict[int, OrgCalendar]:
    """The calendar each customer's schedules are computed in: its own zone and holidays (or its
    primary contact's zone), else the organization's; one query for the contacts' zones."""
    base = calendar_of(org)
    need = [require_id(c) for c in customers if not c.time_zone]
    contact_zones = await primary_contact_zones(session, need) if need else {}
    return {
        require_id(c): customer_calendar(
            base, customer_zone(c.time_zone, contact_zones.get(require_id(c), [])), c.holiday_country
        )
        for c in customers
    }


async def customer_calendar_of(
    session: AsyncSession, org: OrganizationSettings, customer: Customer
) -> OrgCalendar:
    return (await customer_calendars(session, org, [customer]))[require_id(customer)]
