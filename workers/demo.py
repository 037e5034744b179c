"""A demo organization for `arcadence dev` and `arcadence seed-demo`, created through the API
itself, so every row goes through the same rules (and enrollments start in Temporal)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from temporalio.client import Client

from api.app import create_app
from domain.enums import Role
from models.db import SessionFactory
from models.settings import Settings
from workers.bootstrap import create_user_with_key

COMPANIES = [
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Acme Retail",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Wonka",
    "Duff",
    "Gringotts",
    "Oceanic",
    "Monarch",
    "Pied Piper",
    "Massive Dynamic",
    "Aperture",
    "Black Mesa",
    "Nakatomi",
]


def _definitions() -> list[dict[str, Any]]:
    return [
        {
            "name": "Net 30 reminders",
            "description": "Friendly before the due date, firmer after, then a call.",
            "kind": "invoice",
            "steps": [
                {
                    "offset_days": -3,
                    "action": "customer_email",
                    "parameters": {"template": "reminder_before_due"},
                },
                {
                    "offset_days": 0,
                    "action": "customer_email",
                    "parameters": {"template": "reminder_due_today"},
                },
                {"offset_days": 7, "action": "customer_email", "parameters": {"template": "overdue_1"}},
                {"offset_days": 14, "action": "customer_email", "parameters": {"template": "overdue_2"}},
                {"offset_days": 21, "action": "task", "parameters": {"title": "Call accounts payable"}},
                {"offset_days": 30, "action": "customer_email", "parameters": {"template": "overdue_3"}},
            ],
        },
        {
            "name": "Monthly statement",
            "description": "Open invoices on the last Friday of the month, when something is overdue.",
            "kind": "customer",
            "frequency": {"period": "monthly", "weekday": 4, "week_of_month": -1},
            "conditions": [{"metric": "overdue", "operator": "gte", "value": "1"}],
            "steps": [{"offset_days": 0, "action": "statement_email"}],
        },
        {
            "name": "Escalation",
            "description": "For customers a specialist takes over: a statement, a call, an SMS, then hold.",
            "kind": "assignment",
            "steps": [
                {"offset_days": 0, "action": "statement_email"},
                {"offset_days": 3, "action": "task", "parameters": {"title": "Call the customer"}},
                {"offset_days": 7, "action": "sms"},
                {"offset_days": 10, "action": "set_invoice_status", "parameters": {"status": "on_hold"}},
            ],
        },
    ]


async def seed_demo(settings: Settings, sessions: SessionFactory, temporal: Client, *, today: date) -> str:
    """Create the demo organization; returns the owner's API key."""
    secret = await create_user_with_key(
        sessions, name="Demo Owner", email="owner@demo.arcadence.dev", key_name="demo"
    )
    app = create_app(settings, sessions=sessions, temporal=temporal)
    headers = {"Authorization": f"Bearer {secret}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo", headers=headers) as http:

            async def call(method: str, path: str, body: Any = None) -> Any:
                response = await http.request(method, path, json=body)
                response.raise_for_status()
                return response.json() if response.content else None

            specialist = await call(
                "POST",
                "/users",
                {"name": "Sam Specialist", "email": "sam@demo.arcadence.dev", "role": Role.AR_SPECIALIST},
            )
            await call(
                "POST",
                "/users",
                {"name": "Pat Support", "email": "pat@demo.arcadence.dev", "role": Role.SUPPORT},
            )
            created = [await call("POST", "/workflows", d) for d in _definitions()]
            await call(
                "PUT",
                "/settings",
                {
                    "name": "Demo Industries",
                    "time_zone": "America/New_York",
                    "send_time": "14:30",
                    "business_days_only": True,
                    "holiday_country": "US",
                    "sender_name": "Demo Industries AR",
                    "sender_email": "ar@demo.arcadence.dev",
                    "reply_to": "collections@demo.arcadence.dev",
                    "default_definition_id": created[0]["id"],
                },
            )
            customers: list[dict[str, Any]] = [
                {"external_id": "DEMO-HQ", "name": "Globex Holdings", "specialist_id": specialist["id"]},
                {
                    "external_id": "DEMO-US",
                    "name": "Globex US",
                    "parent_external_id": "DEMO-HQ",
                    "bill_to_parent": True,
                },
                {
                    "external_id": "DEMO-OH",
                    "name": "Globex Ohio",
                    "parent_external_id": "DEMO-US",
                    "bill_to_parent": True,
                },
            ]
            for index, company in enumerate(COMPANIES, start=1):
                slug = company.lower().replace(" ", "-")
                customers.append(
                    {
                        "external_id": f"DEMO-{index:03d}",
                        "name": f"{company} Corp",
                        "specialist_id": specialist["id"] if index % 3 == 0 else None,
                        "contacts": [
                            {
                                "name": "Accounts Payable",
                                "email": f"ap@{slug}.example",
                                "phone": f"+1415555{index:04d}",
                            }
                        ],
                    }
                )
            customers[0]["contacts"] = [{"name": "Jane Payables", "email": "ap@globex-holdings.example"}]
            await call("POST", "/customers/batch", {"customers": customers})
            invoices = []
            for index, customer in enumerate(customers):
                for n, age in enumerate((-20, 5, 40)[: 1 + index % 3]):
                    due = today - timedelta(days=age)
                    amount = f"{(index + 1) * 137 + n * 911}.50"
                    invoices.append(
                        {
                            "external_id": f"{customer['external_id']}-INV-{n + 1}",
                            "customer_external_id": customer["external_id"],
                            "number": f"INV-{1000 + index * 10 + n}",
                            "total": amount,
                            "balance_due": amount,
                            "issue_date": str(due - timedelta(days=30)),
                            "due_date": str(due),
                        }
                    )
            await call("POST", "/invoices/batch", {"invoices": invoices})
            # A second cadence kind in the mix: two customers on the monthly statement.
            for external_id in ("DEMO-004", "DEMO-005"):
                row = (await call("GET", f"/customers?search={external_id}"))["items"][0]
                await call("POST", f"/customers/{row['id']}/enrollment", {"definition_id": created[1]["id"]})
    return secret
