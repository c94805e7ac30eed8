"""Logging in: bearer tokens, browser sessions with CSRF, throttling, service tokens."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.security import service
from bankcrm.security.models import AuditEvent
from bankcrm.security.principal import system_principal
from tests.integration.web.conftest import Bank, Login
from tests.records import PASSWORD


def test_token_login_then_me(client: TestClient, bank: Bank) -> None:
    user = bank.users["branch_manager"]
    response = client.post(
        "/api/v1/auth/token", json={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_at"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {
        "actor": user.username,
        "role": "branch_manager",
        "branch_id": bank.north.id,
        "staff_id": None,
        "scopes": [],
    }


def test_wrong_password_is_401_without_saying_which_part_was_wrong(
    client: TestClient, bank: Bank
) -> None:
    user = bank.users["analyst"]
    wrong = client.post("/api/v1/auth/token", json={"username": user.username, "password": "x"})
    unknown = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "wrong username or password"
    assert wrong.headers["content-type"] == "application/problem+json"


def test_repeated_failures_are_throttled_even_with_the_right_password(
    client: TestClient, bank: Bank
) -> None:
    user = bank.users["analyst"]
    for _ in range(5):
        bad = {"username": user.username, "password": "wrong password"}
        assert client.post("/api/v1/auth/token", json=bad).status_code == 401
    good = {"username": user.username, "password": PASSWORD}
    throttled = client.post("/api/v1/auth/token", json=good)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    # Another user is not affected.
    other = {"username": bank.users["auditor"].username, "password": PASSWORD}
    assert client.post("/api/v1/auth/token", json=other).status_code == 200


def test_no_token_expired_token_and_revoked_token_are_401(
    client: TestClient, bank: Bank, login: Login
) -> None:
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    headers = login(bank.users["analyst"])
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_browser_session_cookie_needs_csrf_for_changes(
    client: TestClient, bank: Bank, session: Session
) -> None:
    user = bank.users["account_manager"]
    response = client.post(
        "/api/v1/auth/session", json={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    csrf = response.json()["csrf_token"]
    assert client.get("/api/v1/me").json()["actor"] == user.username  # the cookie reads
    customer = f"/api/v1/customers/{bank.anna_customer.id}"
    version = client.get(customer).json()["profile"]["version"]
    change = {"version": version, "city": "Brno"}
    assert client.patch(customer, json=change).status_code == 403  # no CSRF token
    wrong = client.patch(customer, json=change, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    ok = client.patch(customer, json=change, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and ok.json()["city"] == "Brno"
    assert client.delete("/api/v1/auth/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_service_token_has_only_its_scopes(
    client: TestClient, bank: Bank, session: Session
) -> None:
    issued = service.create_service_token(
        session, system_principal("test"), "mobile-banking", ["events:write"], 30
    )
    session.commit()
    headers = {"Authorization": f"Bearer {issued.token}"}
    me = client.get("/api/v1/me", headers=headers).json()
    assert me["actor"] == "service:mobile-banking" and me["scopes"] == ["events:write"]
    assert client.get("/api/v1/customers", headers=headers).status_code == 403
    assert (
        client.get(f"/api/v1/customers/{bank.anna_customer.id}", headers=headers).status_code == 403
    )


def test_logins_are_audited(client: TestClient, bank: Bank, session: Session) -> None:
    user = bank.users["auditor"]
    client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.actor == user.username)
    ).all()
    assert "login" in actions
