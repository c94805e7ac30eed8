"""The audit log: every read and write recorded, open to auditors, and append-only in the
database itself."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bankcrm.security.models import AuditEvent
from tests.integration.web.conftest import Bank, Login


def test_reads_and_writes_are_audited_with_who_what_which_fields_and_where(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    user = bank.users["account_manager"]
    headers = {**login(user), "X-Request-ID": "req-42"}
    url = f"/api/v1/customers/{bank.anna_customer.id}"
    client.get("/api/v1/customers", headers=headers)
    version = client.get(url, headers=headers).json()["profile"]["version"]
    client.patch(url, json={"version": version, "city": "Brno"}, headers=headers)
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.actor == user.username).order_by(AuditEvent.id)
    ).all()
    actions = [(e.action, e.record_type) for e in events]
    # The PATCH answers with the updated profile: a write, then a read.
    assert actions[-4:] == [
        ("list", "customer"),
        ("read", "customer"),
        ("update", "customer"),
        ("read", "customer"),
    ]
    listed, read, updated, _ = events[-4:]
    assert json.loads(listed.record_ids or "[]") == [bank.anna_customer.id]
    assert read.record_id == str(bank.anna_customer.id) and "national_id" in json.loads(read.fields)
    assert json.loads(updated.fields) == ["city"]
    assert updated.ip == "testclient" and updated.request_id == "req-42"
    assert updated.role == "account_manager"


def test_only_auditors_query_the_log_and_their_queries_are_logged(
    client: TestClient, bank: Bank, login: Login
) -> None:
    client.get(
        f"/api/v1/customers/{bank.anna_customer.id}", headers=login(bank.users["account_manager"])
    )
    for role in ("account_manager", "branch_manager", "admin", "executive"):
        response = client.get("/api/v1/audit-events", headers=login(bank.users[role]))
        assert response.status_code == 403, role
    auditor = login(bank.users["auditor"])
    query = f"/api/v1/audit-events?record_type=customer&record_id={bank.anna_customer.id}"
    body = client.get(query, headers=auditor).json()
    assert body["total"] >= 1
    assert {e["action"] for e in body["items"]} >= {"read"}
    assert all(e["record_id"] == str(bank.anna_customer.id) for e in body["items"])
    own = client.get(
        f"/api/v1/audit-events?actor={bank.users['auditor'].username}&record_type=audit_event",
        headers=auditor,
    ).json()
    assert own["total"] >= 1


@pytest.mark.parametrize("change", ["update", "delete"])
def test_the_database_refuses_to_change_or_delete_audit_events(
    client: TestClient, bank: Bank, login: Login, session: Session, change: str
) -> None:
    client.get(
        f"/api/v1/customers/{bank.anna_customer.id}", headers=login(bank.users["account_manager"])
    )
    event_id = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    statement = (
        update(AuditEvent).where(AuditEvent.id == event_id).values(actor="someone else")
        if change == "update"
        else delete(AuditEvent).where(AuditEvent.id == event_id)
    )
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(statement)
    assert (
        session.scalar(select(AuditEvent.actor).where(AuditEvent.id == event_id)) != "someone else"
    )


def test_emptying_the_log_is_refused(
    client: TestClient, bank: Bank, login: Login, session: Session, engine: Engine
) -> None:
    """TRUNCATE on PostgreSQL; SQLite has none, and its equivalent, a DELETE of every row
    (which SQLite runs as a truncation when no trigger stops it), is refused too."""
    client.get(
        f"/api/v1/customers/{bank.anna_customer.id}", headers=login(bank.users["account_manager"])
    )
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    empty = (
        "truncate audit_events"
        if engine.dialect.name == "postgresql"
        else "delete from audit_events"
    )
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(empty))
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before > 0
