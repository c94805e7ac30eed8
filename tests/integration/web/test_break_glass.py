"""Break-glass: unmask one customer for a reason and a time, audited and reported."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bankcrm.kit.db import utcnow
from bankcrm.security.models import AuditEvent, BreakGlassGrant
from tests.integration.web.conftest import Bank, Login

REASON = "customer called the branch about a blocked card"


def test_account_manager_opens_another_customer_for_a_reason_until_it_expires(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    headers = login(bank.users["account_manager"])
    url = f"/api/v1/customers/{bank.boris_customer.id}"
    assert client.get(url, headers=headers).status_code == 404
    grant = client.post(
        f"{url}/break-glass", json={"reason": REASON, "minutes": 15}, headers=headers
    )
    assert grant.status_code == 201, grant.text
    opened = client.get(url, headers=headers)
    assert opened.status_code == 200
    assert opened.json()["profile"]["national_id"] == bank.boris_customer.national_id
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "break_glass").order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and event.reason == REASON
    assert event.record_id == str(bank.boris_customer.id)
    # Expired: the customer is out of scope again.
    session.execute(
        update(BreakGlassGrant)
        .where(BreakGlassGrant.id == grant.json()["id"])
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    assert client.get(url, headers=headers).status_code == 404


def test_service_agent_unmasks_one_customer_only(
    client: TestClient, bank: Bank, login: Login
) -> None:
    headers = login(bank.users["service_agent"])
    anna, boris = bank.anna_customer.id, bank.boris_customer.id
    client.post(f"/api/v1/customers/{anna}/break-glass", json={"reason": REASON}, headers=headers)
    assert (
        client.get(f"/api/v1/customers/{anna}", headers=headers).json()["profile"]["view"] == "full"
    )
    assert (
        client.get(f"/api/v1/customers/{boris}", headers=headers).json()["profile"]["view"]
        == "masked"
    )


def test_reason_and_time_limit_are_enforced(client: TestClient, bank: Bank, login: Login) -> None:
    headers = login(bank.users["service_agent"])
    url = f"/api/v1/customers/{bank.anna_customer.id}/break-glass"
    short = client.post(url, json={"reason": "because"}, headers=headers)
    assert short.status_code == 422 and short.json()["field"] == "body.reason"
    long = client.post(url, json={"reason": REASON, "minutes": 600}, headers=headers)
    assert long.status_code == 422 and long.json()["field"] == "body.minutes"
    for role in ("analyst", "product_manager", "auditor", "admin"):
        response = client.post(url, json={"reason": REASON}, headers=login(bank.users[role]))
        assert response.status_code == 403, role
    missing = client.post(
        "/api/v1/customers/2147483647/break-glass", json={"reason": REASON}, headers=headers
    )
    assert missing.status_code == 404


def test_grants_are_reported_to_the_branch_manager_who_reviews_them(
    client: TestClient, bank: Bank, login: Login
) -> None:
    agent = login(bank.users["service_agent"])
    client.post(
        f"/api/v1/customers/{bank.anna_customer.id}/break-glass",
        json={"reason": REASON},
        headers=agent,
    )
    client.post(
        f"/api/v1/customers/{bank.south_customer.id}/break-glass",
        json={"reason": REASON},
        headers=agent,
    )
    manager = login(bank.users["branch_manager"])  # north
    report = client.get("/api/v1/break-glass", headers=manager).json()
    assert [g["customer_id"] for g in report["items"]] == [bank.anna_customer.id]
    assert report["items"][0]["username"] == bank.users["service_agent"].username
    grant_id = report["items"][0]["id"]
    assert client.post(f"/api/v1/break-glass/{grant_id}/review", headers=manager).status_code == 204
    reviewed = client.get("/api/v1/break-glass", headers=manager).json()["items"][0]
    assert reviewed["reviewed_at"] is not None
    assert client.get("/api/v1/break-glass", headers=agent).status_code == 403
    auditor = client.get("/api/v1/break-glass", headers=login(bank.users["auditor"])).json()
    assert auditor["total"] == 2
