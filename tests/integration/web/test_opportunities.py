"""The opportunities API: every role on every record route, the stages from identified to
won (the credit task on entering credit review), refused moves, reopening, optimistic
locking, department tasks and the probabilities of the settings."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.config import Settings
from bankcrm.customers.models import Customer
from bankcrm.opportunities.models import Opportunity
from bankcrm.products.models import Product
from bankcrm.security.models import AuditEvent
from tests import records
from tests.integration.web.conftest import Bank, Login

# role -> status for an opportunity of (anna's customer, boris's customer, the south one).
MATRIX = {
    "account_manager": (200, 404, 404),
    "account_manager_2": (404, 404, 200),
    "branch_manager": (200, 200, 404),
    "service_agent": (403, 403, 403),
    "product_manager": (403, 403, 403),
    "executive": (403, 403, 403),
    "analyst": (403, 403, 403),
    "auditor": (403, 403, 403),
    "admin": (403, 403, 403),
}
PIPELINE = {"service_agent": 403, "auditor": 403, "admin": 403}
SOON = (date.today() + timedelta(days=60)).isoformat()
URL = "/api/v1/opportunities"


@pytest.fixture
def loan(session: Session) -> Product:
    product = records.product(session, "mortgage", currency="CZK")
    session.commit()
    return product


def _customers(bank: Bank) -> tuple[Customer, Customer, Customer]:
    return bank.anna_customer, bank.boris_customer, bank.south_customer


def _events(session: Session, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.record_type == "opportunity")
            .order_by(AuditEvent.id)
        )
    )


def _new(customer: Customer, product: Product, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": customer.id,
        "product_id": product.id,
        "amount": "2500000.00",
        "expected_close_on": SOON,
        **extra,
    }


def _three(session: Session, bank: Bank, product: Product) -> list[Opportunity]:
    owners = (bank.anna, bank.boris, bank.carla)
    made = [
        records.opportunity(session, product, owner, customer=c)
        for c, owner in zip(_customers(bank), owners, strict=True)
    ]
    session.commit()
    return made


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_create_by_role(
    client: TestClient, bank: Bank, login: Login, session: Session, loan: Product, role: str
) -> None:
    headers = login(bank.users[role])
    user = bank.users[role]
    for customer, expected in zip(_customers(bank), MATRIX[role], strict=True):
        body = _new(customer, loan)
        if role == "branch_manager":
            body["owner_id"] = customer.manager_id
        response = client.post(URL, json=body, headers=headers)
        assert response.status_code == (201 if expected == 200 else expected), response.text
        if expected == 200:
            made = response.json()
            assert made["opportunity_no"] == f"OPP-{made['id']:08d}"
            assert (made["stage"], made["probability"]) == ("identified", 0.1)
            assert made["party"]["name"] is not None and made["view"] == "full"
            assert made["currency"] == "CZK" and made["lending"] is True
            assert made["history"][0]["to_stage"] == "identified"
            assert made["owner"]["id"] == (user.staff_id or customer.manager_id)
    created = _events(session, "create")
    assert len(created) == sum(1 for s in MATRIX[role] if s == 200)


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_read_and_list_by_role(
    client: TestClient, bank: Bank, login: Login, session: Session, loan: Product, role: str
) -> None:
    made = _three(session, bank, loan)
    headers = login(bank.users[role])
    for opportunity, expected in zip(made, MATRIX[role], strict=True):
        response = client.get(f"{URL}/{opportunity.id}", headers=headers)
        assert response.status_code == expected, response.text
    assert len(_events(session, "read")) == sum(1 for s in MATRIX[role] if s == 200)
    listed = client.get(URL, headers=headers)
    if MATRIX[role][0] == 403:
        assert listed.status_code == 403
    else:
        seen = {item["id"] for item in listed.json()["items"]}
        assert seen == {o.id for o, s in zip(made, MATRIX[role], strict=True) if s == 200}
        assert len(_events(session, "list")) == 1
    pipeline = client.get(f"{URL}/pipeline", headers=headers)
    assert pipeline.status_code == PIPELINE.get(role, 200), pipeline.text


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_write_routes_by_role(
    client: TestClient, bank: Bank, login: Login, session: Session, loan: Product, role: str
) -> None:
    made = _three(session, bank, loan)
    headers = login(bank.users[role])
    for opportunity, expected in zip(made, MATRIX[role], strict=True):
        base = f"{URL}/{opportunity.id}"
        moved = client.post(
            f"{base}/stage", json={"version": 1, "stage": "needs_analysis"}, headers=headers
        )
        assert moved.status_code == expected, moved.text
        task = {"department": "legal", "title": "check the collateral"}
        added = client.post(f"{base}/tasks", json=task, headers=headers)
        assert added.status_code == (201 if expected == 200 else expected)
        patched = client.patch(base, json={"version": 2, "amount": "10.00"}, headers=headers)
        assert patched.status_code == expected, patched.text


def _move(client: TestClient, headers: dict[str, str], body: dict[str, Any], **move: Any) -> Any:
    response = client.post(
        f"{URL}/{body['id']}/stage", json={"version": body["version"], **move}, headers=headers
    )
    return response


def test_a_loan_from_identified_to_won(
    client: TestClient, bank: Bank, login: Login, session: Session, loan: Product
) -> None:
    headers = login(bank.users["account_manager"])
    body = client.post(URL, json=_new(bank.anna_customer, loan), headers=headers).json()
    for stage in ("needs_analysis", "proposal", "credit_review"):
        response = _move(client, headers, body, stage=stage)
        assert response.status_code == 200, response.text
        body = response.json()
    credit = [t for t in body["tasks"] if t["department"] == "credit"]
    assert len(credit) == 1 and credit[0]["status"] == "open"
    assert credit[0]["title"] == f"Credit review of {body['opportunity_no']}"
    assert credit[0]["due_on"] == (date.today() + timedelta(days=5)).isoformat()
    assert _move(client, headers, body, stage="won").status_code == 409  # approved first
    body = _move(client, headers, body, stage="approved").json()
    assert body["next_stages"] == [
        "identified",
        "needs_analysis",
        "proposal",
        "credit_review",
        "won",
        "lost",
    ]
    body = _move(client, headers, body, stage="won").json()
    assert (body["stage"], body["probability"], body["next_stages"]) == ("won", 1.0, [])
    assert body["won_on"] == body["closed_on"] == date.today().isoformat()
    assert [(h["from_stage"], h["to_stage"], h["probability"]) for h in body["history"]] == [
        (None, "identified", 0.1),
        ("identified", "needs_analysis", 0.2),
        ("needs_analysis", "proposal", 0.4),
        ("proposal", "credit_review", 0.6),
        ("credit_review", "approved", 0.8),
        ("approved", "won", 1.0),
    ]
    assert len(_events(session, "stage")) == 5
    # Final: the account manager cannot reopen it; the branch's manager can, with a note.
    again = _move(client, headers, body, stage="approved", note="signed by mistake")
    assert again.status_code == 409 and again.json()["field"] == "stage"
    boss = login(bank.users["branch_manager"])
    assert _move(client, boss, body, stage="approved").json()["field"] == "note"
    reopened = _move(client, boss, body, stage="approved", note="signed by mistake").json()
    assert (reopened["stage"], reopened["won_on"], reopened["closed_on"]) == (
        "approved",
        None,
        None,
    )


def test_refused_moves_name_the_field(
    client: TestClient, bank: Bank, login: Login, session: Session, loan: Product
) -> None:
    account = records.product(session, "current_account")
    session.commit()
    headers = login(bank.users["account_manager"])
    body = client.post(URL, json=_new(bank.anna_customer, loan), headers=headers).json()
    body = _move(client, headers, body, stage="proposal").json()
    back = _move(client, headers, body, stage="identified")
    assert back.status_code == 422 and back.json()["field"] == "note"
    lost = _move(client, headers, body, stage="lost")
    assert lost.status_code == 422 and lost.json()["field"] == "lost_reason"
    bad = _move(client, headers, body, stage="lost", lost_reason="weather")
    assert bad.status_code == 422 and bad.json()["field"] == "body.lost_reason"
    body = _move(client, headers, body, stage="identified", note="needs to be redone").json()
    assert body["history"][-1]["note"] == "needs to be redone"
    body = _move(client, headers, body, stage="lost", lost_reason="competitor").json()
    assert (body["stage"], body["lost_reason"], body["probability"]) == ("lost", "competitor", 0.0)
    # An account opening skips credit review and may be won from any open stage.
    other = client.post(URL, json=_new(bank.anna_customer, account), headers=headers).json()
    review = _move(client, headers, other, stage="credit_review")
    assert review.status_code == 409 and review.json()["field"] == "stage"
    assert _move(client, headers, other, stage="won").json()["stage"] == "won"


def test_stale_version_is_409_and_changes_nothing(
    client: TestClient, bank: Bank, login: Login, session: Session, loan: Product
) -> None:
    headers = login(bank.users["account_manager"])
    body = client.post(URL, json=_new(bank.anna_customer, loan), headers=headers).json()
    url = f"{URL}/{body['id']}"
    changed = client.patch(url, json={"version": 1, "amount": "3000000.00"}, headers=headers)
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = client.patch(url, json={"version": 1, "amount": "1.00"}, headers=headers)
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    moved = client.post(f"{url}/stage", json={"version": 1, "stage": "proposal"}, headers=headers)
    assert moved.status_code == 409 and moved.json()["field"] == "version"
    now = client.get(url, headers=headers).json()
    assert (now["amount"], now["stage"], now["version"]) == ("3000000.00", "identified", 2)
    empty = client.patch(url, json={"version": 2}, headers=headers)
    assert empty.status_code == 422
    owner = client.patch(url, json={"version": 2, "owner_id": bank.boris.id}, headers=headers)
    assert owner.status_code == 422 and owner.json()["field"] == "owner_id"


def test_tasks_are_added_and_completed_once(
    client: TestClient, bank: Bank, login: Login, session: Session, loan: Product
) -> None:
    made = _three(session, bank, loan)
    headers = login(bank.users["branch_manager"])
    url = f"{URL}/{made[0].id}/tasks"
    task = {"department": "legal", "title": "check the deed", "assignee_id": bank.boris.id}
    body = client.post(url, json=task, headers=headers).json()
    added = body["tasks"][0]
    assert added["assignee"]["id"] == bank.boris.id and added["status"] == "open"
    done = client.post(f"{url}/{added['id']}/complete", json={"note": "ok"}, headers=headers)
    assert done.status_code == 200 and done.json()["tasks"][0]["status"] == "done"
    assert done.json()["tasks"][0]["done_by"] == bank.users["branch_manager"].username
    twice = client.post(f"{url}/{added['id']}/complete", json={}, headers=headers)
    assert twice.status_code == 409
    elsewhere = client.post(
        f"{URL}/{made[1].id}/tasks/{added['id']}/complete", json={}, headers=headers
    )
    assert elsewhere.status_code == 404
    nobody = client.post(url, json={**task, "assignee_id": 999999}, headers=headers)
    assert nobody.status_code == 422 and nobody.json()["field"] == "assignee_id"


def test_probabilities_come_from_the_settings_and_history_keeps_them(
    client: TestClient, bank: Bank, login: Login, settings: Settings, loan: Product
) -> None:
    headers = login(bank.users["account_manager"])
    body = client.post(URL, json=_new(bank.anna_customer, loan), headers=headers).json()
    settings.opportunity_probabilities = {**settings.opportunity_probabilities, "proposal": 0.55}
    body = _move(client, headers, body, stage="proposal").json()
    assert body["probability"] == 0.55
    assert body["weighted_amount"] == "1375000.00"
    settings.opportunity_probabilities = {**settings.opportunity_probabilities, "proposal": 0.3}
    again = client.get(f"{URL}/{body['id']}", headers=headers).json()
    assert again["history"][-1]["probability"] == 0.55 and again["probability"] == 0.55


def test_prospects_and_bad_input(
    client: TestClient, bank: Bank, login: Login, session: Session, loan: Product
) -> None:
    mine = records.prospect_for_opportunities(session, bank.north, owner_id=bank.anna.id)
    theirs = records.prospect_for_opportunities(session, bank.north, owner_id=bank.boris.id)
    gone = records.prospect_for_opportunities(
        session, bank.north, owner_id=bank.anna.id, status="disqualified"
    )
    retired = records.product(session, "consumer_loan", active=False)
    session.commit()
    headers = login(bank.users["account_manager"])
    base = {"product_id": loan.id, "amount": "5000.00", "expected_close_on": SOON}
    made = client.post(URL, json={**base, "prospect_id": mine.id}, headers=headers)
    assert made.status_code == 201 and made.json()["party"]["kind"] == "prospect"
    assert (
        client.post(URL, json={**base, "prospect_id": theirs.id}, headers=headers).status_code
        == 404
    )
    closed = client.post(URL, json={**base, "prospect_id": gone.id}, headers=headers)
    assert closed.status_code == 422 and closed.json()["field"] == "prospect_id"
    both = client.post(
        URL,
        json={**base, "prospect_id": mine.id, "customer_id": bank.anna_customer.id},
        headers=headers,
    )
    assert both.status_code == 422
    old = _new(bank.anna_customer, loan, expected_close_on="2020-01-01")
    past = client.post(URL, json=old, headers=headers)
    assert past.status_code == 422 and past.json()["field"] == "expected_close_on"
    off = client.post(URL, json=_new(bank.anna_customer, retired), headers=headers)
    assert off.status_code == 422 and off.json()["field"] == "product_id"
    zero = client.post(URL, json=_new(bank.anna_customer, loan, amount="0"), headers=headers)
    assert zero.status_code == 422 and zero.json()["field"] == "body.amount"
    assert client.get(f"{URL}/999999", headers=headers).status_code == 404
    assert client.get(URL, params={"stage": "signed"}, headers=headers).status_code == 422
    assert client.get(URL).status_code == 401
    money = client.get(URL, params={"outcome": "open"}, headers=headers).json()["items"]
    assert [Decimal(i["amount"]) for i in money] == [Decimal("5000.00")]


def test_a_won_opportunity_linked_to_its_holding_stays_won(
    client: TestClient, bank: Bank, login: Login, session: Session, loan: Product
) -> None:
    held = records.holding(session, bank.anna_customer, loan, opened_on=date.today())
    won = records.opportunity(
        session,
        loan,
        bank.anna,
        customer=bank.anna_customer,
        stage="won",
        probability=Decimal("1"),
        won_on=date.today(),
        holding_id=held.id,
    )
    session.commit()
    boss = login(bank.users["branch_manager"])
    body = client.get(f"{URL}/{won.id}", headers=boss).json()
    assert body["holding_id"] == held.id and body["next_stages"] == []
    reopen = _move(client, boss, body, stage="approved", note="customer cancelled")
    assert reopen.status_code == 409 and reopen.json()["field"] == "stage"
    task = client.post(
        f"{URL}/{won.id}/tasks", json={"department": "legal", "title": "x"}, headers=boss
    )
    assert task.status_code == 409
