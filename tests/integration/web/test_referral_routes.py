"""The referral routing table through the API: who may read and keep which routes, one
active route per line and branch, and optimistic locking."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.security.models import AuditEvent
from tests import records
from tests.integration.web.conftest import Bank, Login

ROLES = (
    "account_manager",
    "account_manager_2",
    "branch_manager",
    "service_agent",
    "product_manager",
    "executive",
    "analyst",
    "auditor",
    "admin",
)


@pytest.mark.parametrize("role", ROLES)
def test_routes_by_role(
    client: TestClient, bank: Bank, login: Login, session: Session, role: str
) -> None:
    north = records.referral_route(session, "insurance", bank.north, bank.anna)
    south = records.referral_route(session, "insurance", bank.south, bank.carla)
    wide = records.referral_route(session, "insurance", None, bank.carla)
    session.commit()
    headers = login(bank.users[role])
    listed = client.get("/api/v1/referral-routes", headers=headers)
    maintainer = role in ("branch_manager", "admin")
    assert listed.status_code == (200 if maintainer else 403)
    new_north = {"line": "mortgages", "branch_id": bank.north.id, "staff_id": bank.boris.id}
    new_south = {"line": "mortgages", "branch_id": bank.south.id, "staff_id": bank.carla.id}
    new_wide = {"line": "mortgages", "staff_id": bank.carla.id}
    created = [
        client.post("/api/v1/referral-routes", json=body, headers=headers).status_code
        for body in (new_north, new_south, new_wide)
    ]
    changed = [
        client.patch(
            f"/api/v1/referral-routes/{route.id}",
            json={"version": 1, "active": False},
            headers=headers,
        ).status_code
        for route in (north, south, wide)
    ]
    if role == "admin":
        assert {r["id"] for r in listed.json()} == {north.id, south.id, wide.id}
        assert created == [201, 201, 201] and changed == [200, 200, 200]
    elif role == "branch_manager":
        assert {r["id"] for r in listed.json()} == {north.id, wide.id}
        assert created == [201, 403, 403] and changed == [200, 404, 403]
    else:
        assert created == [403] * 3 and changed == [403] * 3


def test_one_active_route_per_line_and_branch(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    headers = login(bank.users["branch_manager"])
    body = {"line": "insurance", "branch_id": bank.north.id, "staff_id": bank.anna.id}
    first = client.post("/api/v1/referral-routes", json=body, headers=headers)
    assert first.status_code == 201 and first.json()["staff_name"].startswith("Jana ")
    again = client.post("/api/v1/referral-routes", json=body, headers=headers)
    assert again.status_code == 409 and again.json()["field"] == "line"
    route = first.json()
    url = f"/api/v1/referral-routes/{route['id']}"
    moved = client.patch(url, json={"version": 1, "staff_id": bank.boris.id}, headers=headers)
    assert moved.json()["staff_id"] == bank.boris.id and moved.json()["version"] == 2
    stale = client.patch(url, json={"version": 1, "active": False}, headers=headers)
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    nothing = client.patch(url, json={"version": 2}, headers=headers)
    assert nothing.status_code == 422
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.record_type == "referral_route")
    ).all()
    assert [e.action for e in events] == ["create", "update"]


def test_a_branch_manager_routes_to_their_own_active_staff(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    gone = records.staff(session, bank.north, active=False)
    session.commit()
    headers = login(bank.users["branch_manager"])
    for staff_id in (bank.carla.id, gone.id, 999999):
        body = {"line": "insurance", "branch_id": bank.north.id, "staff_id": staff_id}
        response = client.post("/api/v1/referral-routes", json=body, headers=headers)
        assert response.status_code == 422 and response.json()["field"] == "staff_id"
