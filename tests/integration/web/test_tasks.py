"""Tasks and worklists: whose tasks each role sees and in which order, manual tasks,
closing a task with optimistic locking, and the audit trail."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.interactions.models import Task
from bankcrm.kit.db import utcnow
from bankcrm.security.models import AuditEvent
from tests import records
from tests.integration.web.conftest import Bank, Login


@pytest.fixture
def tasks(bank: Bank, session: Session) -> dict[str, Task]:
    """Open tasks of anna's, boris's and the south customer, and one done task of anna's."""
    made = {
        "anna_low": records.task(session, bank.anna_customer, value_at_risk=50.0),
        "anna_high_late": records.task(
            session,
            bank.anna_customer,
            kind="retention_call",
            value_at_risk=900.0,
            due_on=date(2026, 10, 20),
        ),
        "anna_high_soon": records.task(
            session,
            bank.anna_customer,
            kind="follow_up",
            value_at_risk=900.0,
            due_on=date(2026, 10, 2),
        ),
        "anna_unscored": records.task(session, bank.anna_customer, value_at_risk=None),
        "boris": records.task(session, bank.boris_customer, value_at_risk=700.0),
        "south": records.task(session, bank.south_customer, value_at_risk=800.0),
        "anna_done": records.task(session, bank.anna_customer, status="done", outcome="called"),
    }
    session.commit()
    return made


# role -> the tasks on its worklist, in order (None: 403).
WORKLISTS: dict[str, list[str] | None] = {
    "account_manager": ["anna_high_soon", "anna_high_late", "anna_low", "anna_unscored"],
    "account_manager_2": ["south"],
    "branch_manager": ["anna_high_soon", "anna_high_late", "boris", "anna_low", "anna_unscored"],
    "service_agent": [],  # no staff record: nothing is assigned to them
    "product_manager": None,
    "executive": None,
    "analyst": None,
    "auditor": None,
    "admin": None,
}


@pytest.mark.parametrize("role", sorted(WORKLISTS))
def test_each_role_sees_its_own_worklist_ranked_by_value_at_risk_then_due_date(
    client: TestClient, bank: Bank, login: Login, tasks: dict[str, Task], role: str
) -> None:
    response = client.get("/api/v1/worklist", headers=login(bank.users[role]))
    expected = WORKLISTS[role]
    if expected is None:
        assert response.status_code == 403
        return
    assert response.status_code == 200, response.text
    body = response.json()
    ids = {t.id: name for name, t in tasks.items()}
    assert [ids[item["task"]["id"]] for item in body["items"]] == expected
    assert body["total"] == len(expected)
    for item in body["items"]:
        assert item["task"]["reason"] and item["customer_no"] and item["customer_name"]


def test_the_worklist_pages_and_names_the_customer_and_assignee(
    client: TestClient, bank: Bank, login: Login, tasks: dict[str, Task]
) -> None:
    headers = login(bank.users["account_manager"])
    page = client.get("/api/v1/worklist?limit=2&offset=1", headers=headers).json()
    assert page["total"] == 4 and len(page["items"]) == 2
    item = page["items"][0]
    assert item["task"]["id"] == tasks["anna_high_late"].id
    assert item["customer_no"] == bank.anna_customer.customer_no
    assert item["customer_name"] == f"Petr {bank.anna_customer.last_name}"
    assert item["assignee"] == f"Jana {bank.anna.last_name}"


def test_a_task_of_a_customer_moved_out_of_the_portfolio_leaves_the_worklist(
    client: TestClient, bank: Bank, login: Login, session: Session, tasks: dict[str, Task]
) -> None:
    bank.anna_customer.manager_id = bank.boris.id
    session.commit()
    body = client.get("/api/v1/worklist", headers=login(bank.users["account_manager"])).json()
    assert body["items"] == []


# role -> status of POST /tasks for (anna's customer, boris's, south).
CREATE = {
    "account_manager": (201, 404, 404),
    "account_manager_2": (404, 404, 201),
    "branch_manager": (201, 201, 404),
    "service_agent": (201, 201, 201),
    "product_manager": (403, 403, 403),
    "executive": (403, 403, 403),
    "analyst": (403, 403, 403),
    "auditor": (403, 403, 403),
    "admin": (403, 403, 403),
}


def _due(days: int = 5) -> str:
    return (utcnow().date() + timedelta(days=days)).isoformat()


@pytest.mark.parametrize("role", sorted(CREATE))
def test_manual_tasks_follow_the_customer_scope(
    client: TestClient, bank: Bank, login: Login, session: Session, role: str
) -> None:
    headers = login(bank.users[role])
    customers = (bank.anna_customer, bank.boris_customer, bank.south_customer)
    for customer, expected in zip(customers, CREATE[role], strict=True):
        body = {"customer_id": customer.id, "reason": "bring the signed form", "due_on": _due()}
        response = client.post("/api/v1/tasks", json=body, headers=headers)
        assert response.status_code == expected, (role, customer.customer_no, response.text)
        if expected == 201:
            task = response.json()
            assert task["kind"] == "manual" and task["status"] == "open"
            assert task["assignee_id"] == customer.manager_id  # the customer's manager
            assert task["created_by"] == bank.users[role].username
            assert task["value_at_risk"] == 500.0
            assert task["version"] == 1
    made = session.scalars(select(Task.customer_id)).all()
    allowed = [c.id for c, e in zip(customers, CREATE[role], strict=True) if e == 201]
    assert sorted(made) == sorted(allowed)


def test_a_manual_task_checks_its_assignee_date_and_duplicates(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    headers = login(bank.users["branch_manager"])
    base = {"customer_id": bank.anna_customer.id, "reason": "call", "due_on": _due()}
    to_boris = client.post(
        "/api/v1/tasks", json={**base, "assignee_id": bank.boris.id}, headers=headers
    )
    assert to_boris.status_code == 201 and to_boris.json()["assignee_id"] == bank.boris.id
    south = client.post(
        "/api/v1/tasks", json={**base, "assignee_id": bank.carla.id}, headers=headers
    )
    assert south.status_code == 403 and "assignee_id" in south.json()["detail"]
    nobody = client.post("/api/v1/tasks", json={**base, "assignee_id": 999_999}, headers=headers)
    assert nobody.status_code == 404 and "assignee_id" in nobody.json()["detail"]
    bad_kind = client.post("/api/v1/tasks", json={**base, "kind": "party"}, headers=headers)
    assert bad_kind.status_code == 422 and bad_kind.json()["field"] == "body.kind"
    # Two manual tasks are fine; a second open retention call is not.
    assert client.post("/api/v1/tasks", json=base, headers=headers).status_code == 201
    retention = {**base, "kind": "retention_call"}
    assert client.post("/api/v1/tasks", json=retention, headers=headers).status_code == 201
    again = client.post("/api/v1/tasks", json=retention, headers=headers)
    assert again.status_code == 409 and again.json()["field"] == "kind"
    kinds = session.scalars(select(Task.kind).order_by(Task.id)).all()
    assert kinds == ["manual", "manual", "retention_call"]


def _patch(client: TestClient, task_id: int, body: dict[str, object], headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.patch(f"/api/v1/tasks/{task_id}", json=body, headers=headers)


def test_closing_a_task_records_who_and_what_came_of_it(
    client: TestClient, bank: Bank, login: Login, session: Session, tasks: dict[str, Task]
) -> None:
    user = bank.users["account_manager"]
    headers = login(user)
    task = tasks["anna_low"]
    done = _patch(
        client, task.id, {"version": 1, "status": "done", "outcome": "agreed to meet"}, headers
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["status"], body["outcome"], body["closed_by"], body["version"]) == (
        "done",
        "agreed to meet",
        user.username,
        2,
    )
    assert body["closed_at"] is not None
    again = _patch(client, task.id, {"version": 2, "status": "cancelled", "outcome": "x"}, headers)
    assert again.status_code == 409 and again.json()["field"] == "status"
    customer360 = client.get(f"/api/v1/customers/{bank.anna_customer.id}", headers=headers).json()
    open_ids = {t["id"] for t in customer360["open_tasks"]}
    assert task.id not in open_ids and tasks["anna_high_soon"].id in open_ids
    assert tasks["anna_done"].id not in open_ids
    audit = session.scalars(
        select(AuditEvent).where(
            AuditEvent.actor == user.username, AuditEvent.record_type == "task"
        )
    ).all()
    assert [(a.action, a.record_id) for a in audit] == [("update", str(task.id))]
    assert "outcome" in audit[0].fields and "status" in audit[0].fields


def test_a_stale_version_is_409_and_overwrites_nothing(
    client: TestClient, bank: Bank, login: Login, session: Session, tasks: dict[str, Task]
) -> None:
    task = tasks["anna_low"]
    manager = login(bank.users["account_manager"])
    branch = login(bank.users["branch_manager"])
    moved = _patch(client, task.id, {"version": 1, "due_on": "2026-12-01"}, branch)
    assert moved.status_code == 200 and moved.json()["version"] == 2
    stale = _patch(
        client, task.id, {"version": 1, "status": "cancelled", "outcome": "not needed"}, manager
    )
    assert stale.status_code == 409, stale.text
    assert stale.json()["field"] == "version"
    session.expire_all()
    stored = session.get(Task, task.id)
    assert stored is not None
    assert (stored.status, stored.outcome, stored.version) == ("open", None, 2)
    assert stored.due_on == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 1, "status": "done"}, "outcome"),
        ({"version": 1}, "due_on"),
        ({"version": 1, "status": "open", "outcome": "x"}, "status"),
        ({"status": "done", "outcome": "x"}, "version"),
    ],
)
def test_bad_task_updates_are_refused_naming_the_field_and_change_nothing(
    client: TestClient,
    bank: Bank,
    login: Login,
    session: Session,
    tasks: dict[str, Task],
    body: dict[str, object],
    field: str,
) -> None:
    response = _patch(client, tasks["anna_low"].id, body, login(bank.users["account_manager"]))
    assert response.status_code == 422, response.text
    named = [e["field"].rsplit(".", 1)[-1] for e in response.json()["errors"]]
    assert field in named, named
    session.expire_all()
    assert session.get(Task, tasks["anna_low"].id).version == 1  # type: ignore[union-attr]


# role -> status of PATCH for (anna's task, boris's task, the south task).
UPDATE = {
    "account_manager": (200, 404, 404),
    "account_manager_2": (404, 404, 200),
    "branch_manager": (200, 200, 404),
    "service_agent": (200, 200, 200),
    "product_manager": (403, 403, 403),
    "executive": (403, 403, 403),
    "analyst": (403, 403, 403),
    "auditor": (403, 403, 403),
    "admin": (403, 403, 403),
}


@pytest.mark.parametrize("role", sorted(UPDATE))
def test_task_updates_follow_the_customer_scope(
    client: TestClient,
    bank: Bank,
    login: Login,
    session: Session,
    tasks: dict[str, Task],
    role: str,
) -> None:
    headers = login(bank.users[role])
    for name, expected in zip(("anna_low", "boris", "south"), UPDATE[role], strict=True):
        response = _patch(client, tasks[name].id, {"version": 1, "due_on": "2026-11-30"}, headers)
        assert response.status_code == expected, (role, name, response.text)
    missing = _patch(client, 999_999, {"version": 1, "due_on": "2026-11-30"}, headers)
    assert missing.status_code == (403 if UPDATE[role][0] == 403 else 404)
    session.expire_all()
    moved = session.scalars(select(Task.id).where(Task.due_on == date(2026, 11, 30))).all()
    allowed = [
        tasks[n].id
        for n, e in zip(("anna_low", "boris", "south"), UPDATE[role], strict=True)
        if e == 200
    ]
    assert sorted(moved) == sorted(allowed)


def test_the_worklist_read_is_audited(
    client: TestClient, bank: Bank, login: Login, session: Session, tasks: dict[str, Task]
) -> None:
    user = bank.users["branch_manager"]
    client.get("/api/v1/worklist", headers=login(user))
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.actor == user.username, AuditEvent.action == "list")
    ).one()
    assert event.record_type == "task"
    assert json.loads(event.record_ids or "[]") == [
        tasks[name].id for name in WORKLISTS["branch_manager"] or []
    ]
    assert json.loads(event.fields) == ["customer_no", "name", "reason"]
