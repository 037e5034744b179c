"""The organization's settings, and the calendar the schedules are computed in."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.schedules import OrgCalendar, customer_calendar, customer_zone
from models import Customer, OrganizationSettings
from models.base import require_id
from models.repository.contacts import primary_contact_zones

# The organization's row id, once this session has read it: later reads are identity-map hits.
_ORG_ID = "arcadence.organization_id"


async def load_organization(session: AsyncSession) -> OrganizationSettings:
    known = session.info.get(_ORG_ID)
    if known is not None and (org := await session.get(OrganizationSettings, known)) is not None:
        return org
    org = (await session.exec(select(OrganizationSettings))).first()
    if org is None:
        # An organization that never saved settings runs on the documented defaults.
        return OrganizationSettings(name="arcadence")
    session.info[_ORG_ID] = org.id
    return org


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
