"""The contact log: who may log and read a customer's contacts, follow-up tasks, numbers
of their own, masking of notes, and the audit trail."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.interactions.models import Interaction, Task
from bankcrm.kit.db import utcnow
from bankcrm.security.models import AuditEvent
from tests import records
from tests.integration.web.conftest import Bank, Login

# role -> status for (anna's customer, boris's customer, the south customer); reading and
# logging follow the same scope as the customer 360 (404 out of scope, 403 no detail).
MATRIX = {
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
CONTACT = {
    "channel": "phone",
    "direction": "outbound",
    "topic": "mortgage renewal",
    "outcome": "follow_up",
    "note": "wants a fixed rate for five years",
}


def _url(customer_id: int) -> str:
    return f"/api/v1/customers/{customer_id}/interactions"


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_logging_and_reading_contacts_follow_the_customer_scope(
    client: TestClient, bank: Bank, login: Login, session: Session, role: str
) -> None:
    headers = login(bank.users[role])
    customers = (bank.anna_customer, bank.boris_customer, bank.south_customer)
    for customer, expected in zip(customers, MATRIX[role], strict=True):
        read = client.get(_url(customer.id), headers=headers)
        assert read.status_code == expected, (role, customer.customer_no, read.text)
        logged = client.post(_url(customer.id), json=CONTACT, headers=headers)
        assert logged.status_code == (201 if expected == 200 else expected), (role, logged.text)
        if expected != 200:
            assert customer.last_name not in read.text + logged.text
    made = session.scalars(
        select(Interaction.customer_id).where(Interaction.topic == CONTACT["topic"])
    ).all()
    allowed = {c.id for c, e in zip(customers, MATRIX[role], strict=True) if e == 200}
    assert sorted(made) == sorted(allowed)


def test_a_logged_contact_gets_a_crm_number_and_a_next_step_opens_a_follow_up(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    customer = bank.anna_customer
    records.interaction(session, customer, interaction_no="I00000001")  # imported
    session.commit()
    headers = login(bank.users["account_manager"])
    due = (utcnow() + timedelta(days=3)).date()
    body = {**CONTACT, "next_step": "send the fixed-rate offer", "next_step_due": due.isoformat()}
    response = client.post(_url(customer.id), json=body, headers=headers)
    assert response.status_code == 201, response.text
    logged = response.json()
    interaction = logged["interaction"]
    assert interaction["interaction_no"] == f"CRM-{interaction['id']:08d}"
    assert interaction["source"] == "crm" and interaction["staff"].startswith("Jana ")
    follow_up = logged["follow_up"]
    assert follow_up["kind"] == "follow_up" and follow_up["status"] == "open"
    assert follow_up["reason"] == "send the fixed-rate offer"
    assert follow_up["due_on"] == due.isoformat()
    assert follow_up["assignee_id"] == bank.anna.id
    assert follow_up["interaction_id"] == interaction["id"]
    assert follow_up["value_at_risk"] == 500.0  # the customer's latest score

    second = client.post(_url(customer.id), json=CONTACT, headers=headers).json()
    assert second["follow_up"] is None
    numbers = session.scalars(
        select(Interaction.interaction_no).where(Interaction.customer_id == customer.id)
    ).all()
    assert len(set(numbers)) == 3
    assert sorted(n[:4] for n in numbers) == ["CRM-", "CRM-", "I000"]

    listed = client.get(_url(customer.id), headers=headers).json()
    assert listed["total"] == 3
    assert {i["source"] for i in listed["items"]} == {"crm", "import"}
    assert listed["items"][-1]["interaction_no"] == "I00000001"  # the oldest last

    page = client.get(_url(customer.id) + "?limit=1&offset=1", headers=headers).json()
    assert page["total"] == 3 and len(page["items"]) == 1

    customer360 = client.get(f"/api/v1/customers/{customer.id}", headers=headers).json()
    assert [t["id"] for t in customer360["open_tasks"]] == [follow_up["id"]]


def test_a_next_step_without_a_date_is_due_in_a_week_and_goes_to_the_customers_manager(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    # The branch manager has no staff record: the follow-up goes to the customer's manager.
    headers = login(bank.users["branch_manager"])
    body = {**CONTACT, "next_step": "call back"}
    response = client.post(_url(bank.boris_customer.id), json=body, headers=headers)
    assert response.status_code == 201, response.text
    task = response.json()["follow_up"]
    assert task["assignee_id"] == bank.boris.id
    assert task["due_on"] == (utcnow().date() + timedelta(days=7)).isoformat()


def test_notes_show_in_the_full_view_only(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    records.interaction(session, bank.anna_customer, note="divorce in progress")
    session.commit()
    own = client.get(_url(bank.anna_customer.id), headers=login(bank.users["account_manager"]))
    agent = client.get(_url(bank.anna_customer.id), headers=login(bank.users["service_agent"]))
    assert own.json()["items"][0]["note"] == "divorce in progress"
    assert agent.json()["items"][0]["note"] is None
    assert "divorce" not in agent.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "pigeon"}, "body.channel"),
        ({"outcome": "great"}, "body.outcome"),
        ({"topic": ""}, "body.topic"),
        ({"staff_id": 1}, "body.staff_id"),
    ],
)
def test_bad_contacts_are_refused_naming_the_field(
    client: TestClient,
    bank: Bank,
    login: Login,
    session: Session,
    change: dict[str, object],
    field: str,
) -> None:
    headers = login(bank.users["account_manager"])
    response = client.post(_url(bank.anna_customer.id), json={**CONTACT, **change}, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert (
        session.scalar(select(Interaction.id).where(Interaction.topic == CONTACT["topic"])) is None
    )
    assert session.scalar(select(Task.id)) is None


def test_a_contact_later_than_the_clock_is_refused_and_a_due_date_alone_opens_a_follow_up(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    headers = login(bank.users["account_manager"])
    url = _url(bank.anna_customer.id)
    future = client.post(
        url, json={**CONTACT, "occurred_at": "2099-01-01T10:00:00Z"}, headers=headers
    )
    assert future.status_code == 409 and future.json()["field"] == "occurred_at"
    assert session.scalar(select(Interaction.id)) is None
    due = (utcnow() + timedelta(days=2)).date().isoformat()
    dated = client.post(url, json={**CONTACT, "next_step_due": due}, headers=headers)
    assert dated.status_code == 201, dated.text
    follow_up = dated.json()["follow_up"]
    assert (follow_up["reason"], follow_up["due_on"]) == ("Follow up: mortgage renewal", due)


def test_a_past_contact_keeps_its_time_in_utc(client: TestClient, bank: Bank, login: Login) -> None:
    headers = login(bank.users["account_manager"])
    body = {**CONTACT, "occurred_at": "2026-03-02T10:30:00+02:00"}
    response = client.post(_url(bank.anna_customer.id), json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["interaction"]["occurred_at"] == "2026-03-02T08:30:00Z"


def test_contacts_written_and_read_are_audited(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    user = bank.users["account_manager"]
    headers = login(user)
    body = {**CONTACT, "next_step": "call back"}
    logged = client.post(_url(bank.anna_customer.id), json=body, headers=headers).json()
    client.get(_url(bank.anna_customer.id), headers=headers)
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.actor == user.username, AuditEvent.action != "login")
        .order_by(AuditEvent.id)
    ).all()
    seen = [(e.action, e.record_type, e.record_id) for e in events]
    assert seen == [
        ("create", "interaction", str(logged["interaction"]["id"])),
        ("create", "task", str(logged["follow_up"]["id"])),
        ("list", "interaction", str(bank.anna_customer.id)),
    ]
    assert logged["interaction"]["id"] in json.loads(events[-1].record_ids or "[]")
    assert "note" in json.loads(events[-1].fields)


def test_a_customer_that_does_not_exist_is_404(
    client: TestClient, bank: Bank, login: Login
) -> None:
    headers = login(bank.users["service_agent"])
    assert client.get(_url(999_999), headers=headers).status_code == 404
    assert client.post(_url(999_999), json=CONTACT, headers=headers).status_code == 404
