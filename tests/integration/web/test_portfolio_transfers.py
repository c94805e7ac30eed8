"""Portfolio transfers, maker-checker: who may propose, who may decide (never the proposer,
never another branch's manager), what approval moves, the churn watch and the audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.kit.db import utcnow
from bankcrm.security.models import AuditEvent
from bankcrm.staff.models import ChurnWatch
from tests import records
from tests.integration.web.conftest import SCORED_ON, Bank, Login

URL = "/api/v1/portfolio-transfers"
NOTE = "Anna moves to corporate banking; customers briefed by phone."


def _proposal(bank: Bank, **changes: Any) -> dict[str, Any]:
    return {
        "from_manager_id": bank.anna.id,
        "to_manager_id": bank.boris.id,
        "customer_ids": [bank.anna_customer.id],
        "handover_note": NOTE,
        **changes,
    }


def _manager(session: Session, customer: Customer) -> int | None:
    return session.scalar(select(Customer.manager_id).where(Customer.id == customer.id))


@pytest.mark.parametrize(
    "role", ["service_agent", "product_manager", "executive", "analyst", "auditor", "admin"]
)
def test_other_roles_may_not_propose_decide_or_watch(
    client: TestClient, bank: Bank, login: Login, role: str
) -> None:
    headers = login(bank.users[role])
    assert client.post(URL, json=_proposal(bank), headers=headers).status_code == 403
    assert client.get(URL, headers=headers).status_code == 403
    assert client.get(f"{URL}/watch", headers=headers).status_code == 403
    assert client.post(f"{URL}/1/approve", headers=headers).status_code == 403
    assert client.post(f"{URL}/1/reject", headers=headers).status_code == 403


def test_account_manager_proposes_and_the_branch_manager_approves(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    anna = login(bank.users["account_manager"])
    checker = login(bank.users["branch_manager"])
    note = {"customer_id": bank.anna_customer.id, "note": "prefers e-mail"}
    proposal = _proposal(bank, customer_notes=[note])
    proposed = client.post(URL, json=proposal, headers=anna)
    assert proposed.status_code == 201, proposed.text
    transfer = proposed.json()
    assert transfer["status"] == "pending" and transfer["branch_id"] == bank.north.id
    assert transfer["customers"] == [
        {
            "customer_id": bank.anna_customer.id,
            "reference": bank.anna_customer.customer_no,
            "name": f"Petr {bank.anna_customer.last_name}",
            "note": "prefers e-mail",
        }
    ]
    assert _manager(session, bank.anna_customer) == bank.anna.id  # nothing moves yet
    # the maker is not a checker: an account manager cannot decide at all
    assert client.post(f"{URL}/{transfer['id']}/approve", headers=anna).status_code == 403

    approved = client.post(
        f"{URL}/{transfer['id']}/approve", json={"note": "agreed"}, headers=checker
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "approved" and body["watches_created"] == 1
    assert body["decided_by"] == bank.users["branch_manager"].username
    assert body["handover_note"] == NOTE and body["decision_note"] == "agreed"
    assert _manager(session, bank.anna_customer) == bank.boris.id
    session.expire_all()
    assert session.get(Customer, bank.anna_customer.id).version == 2  # type: ignore[union-attr]
    watch = session.scalars(select(ChurnWatch)).one()
    today = utcnow().date()
    assert (watch.customer_id, watch.manager_id) == (bank.anna_customer.id, bank.boris.id)
    assert (watch.starts_on, watch.until) == (today, today + timedelta(days=90))
    # decided once: a second decision is a conflict
    assert client.post(f"{URL}/{transfer['id']}/reject", headers=checker).status_code == 409

    # the new manager sees the watch with the handover notes; the old one no longer does
    boris_user = records.user(session, "account_manager", staff=bank.boris)
    session.commit()
    watched = client.get(f"{URL}/watch", headers=login(boris_user))
    assert watched.status_code == 200
    assert [
        (w["customer_id"], w["handover_note"], w["customer_note"], w["churn_probability"])
        for w in watched.json()
    ] == [(bank.anna_customer.id, NOTE, "prefers e-mail", 0.1)]
    assert watched.json()[0]["until"] == (today + timedelta(days=90)).isoformat()
    assert client.get(f"{URL}/watch", headers=anna).json() == []
    assert [w["customer_id"] for w in client.get(f"{URL}/watch", headers=checker).json()] == [
        bank.anna_customer.id
    ]
    # the whole story is in the audit log
    events = session.execute(
        select(AuditEvent.actor, AuditEvent.action, AuditEvent.record_type, AuditEvent.record_ids)
        .where(AuditEvent.action.in_(("create", "approve", "update")))
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.record_type) for e in events] == [
        ("create", "portfolio_transfer"),
        ("update", "customer"),
        ("approve", "portfolio_transfer"),
    ]
    assert events[1].record_ids == f"[{bank.anna_customer.id}]"
    assert events[2].actor == bank.users["branch_manager"].username


def test_the_proposer_and_other_branches_cannot_approve(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    maker = login(bank.users["branch_manager"])
    second_north = records.user(session, "branch_manager", branch=bank.north)
    south = records.user(session, "branch_manager", branch=bank.south)
    session.commit()
    proposed = client.post(URL, json=_proposal(bank), headers=maker)
    assert proposed.status_code == 201, proposed.text
    transfer_id = proposed.json()["id"]
    own = client.post(f"{URL}/{transfer_id}/approve", headers=maker)
    assert own.status_code == 403 and "proposer" in own.json()["detail"]
    assert client.post(f"{URL}/{transfer_id}/reject", headers=maker).status_code == 403
    assert client.post(f"{URL}/{transfer_id}/approve", headers=login(south)).status_code == 403
    assert _manager(session, bank.anna_customer) == bank.anna.id
    assert session.scalars(select(ChurnWatch)).all() == []
    # the other branch does not even list it
    assert client.get(URL, headers=login(south)).json()["total"] == 0
    approved = client.post(f"{URL}/{transfer_id}/approve", headers=login(second_north))
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert _manager(session, bank.anna_customer) == bank.boris.id


def test_rejection_moves_nobody(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    proposed = client.post(URL, json=_proposal(bank), headers=login(bank.users["account_manager"]))
    checker = login(bank.users["branch_manager"])
    rejected = client.post(
        f"{URL}/{proposed.json()['id']}/reject", json={"note": "not now"}, headers=checker
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert _manager(session, bank.anna_customer) == bank.anna.id
    assert session.scalars(select(ChurnWatch)).all() == []
    assert client.post(f"{URL}/{proposed.json()['id']}/approve", headers=checker).status_code == 409
    assert session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == "reject", AuditEvent.record_id == str(proposed.json()["id"])
        )
    )
    # the customer is free for a new proposal after a rejection
    again = client.post(URL, json=_proposal(bank), headers=login(bank.users["account_manager"]))
    assert again.status_code == 201


def test_proposals_are_checked(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    anna = login(bank.users["account_manager"])
    checker = login(bank.users["branch_manager"])

    def propose(headers: dict[str, str], **changes: Any) -> Any:
        return client.post(URL, json=_proposal(bank, **changes), headers=headers)

    # someone else's portfolio, or another branch's
    assert propose(anna, from_manager_id=bank.boris.id, to_manager_id=bank.anna.id,
                   customer_ids=[bank.boris_customer.id]).status_code == 403  # fmt: skip
    assert propose(checker, from_manager_id=bank.carla.id, to_manager_id=bank.anna.id,
                   customer_ids=[bank.south_customer.id]).status_code == 403  # fmt: skip
    # rules the schema cannot state: 409, naming the field
    stray = propose(anna, customer_ids=[bank.boris_customer.id])
    assert stray.status_code == 409 and stray.json()["field"] == "customer_ids"
    across = propose(anna, to_manager_id=bank.carla.id)
    assert across.status_code == 409 and across.json()["field"] == "to_manager_id"
    assert propose(anna, to_manager_id=bank.anna.id).json()["field"] == "to_manager_id"
    assert propose(anna, to_manager_id=999_999).status_code == 404
    assert propose(anna, handover_note="short").status_code == 422
    # ids narrowed by a filter: anna's customer is not gold
    narrowed = propose(anna, filter={"tier": "gold"})
    assert narrowed.status_code == 409 and narrowed.json()["field"] == "filter"
    notes = propose(anna, customer_notes=[{"customer_id": bank.boris_customer.id, "note": "x"}])
    assert notes.status_code == 409 and notes.json()["field"] == "customer_notes"
    # a filter over the portfolio; a customer in a pending transfer cannot be proposed again
    second = records.customer(session, bank.north, bank.anna)
    records.score(session, second, SCORED_ON, tier="gold")
    session.commit()
    by_filter = client.post(
        URL,
        json={**_proposal(bank, customer_ids=None), "filter": {"tier": "gold"}},
        headers=anna,
    )
    assert by_filter.status_code == 201, by_filter.text
    assert [c["customer_id"] for c in by_filter.json()["customers"]] == [second.id]
    assert propose(checker, customer_ids=[second.id]).status_code == 409
    nobody = client.post(
        URL,
        json={**_proposal(bank, customer_ids=None), "filter": {"kind": "corporate"}},
        headers=anna,
    )
    assert nobody.status_code == 409 and nobody.json()["field"] == "filter"


def test_approval_refuses_when_a_customer_moved_meanwhile(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    proposed = client.post(URL, json=_proposal(bank), headers=login(bank.users["account_manager"]))
    customer = session.get(Customer, bank.anna_customer.id)
    assert customer is not None
    customer.manager_id = bank.boris.id
    session.commit()
    checker = login(bank.users["branch_manager"])
    response = client.post(f"{URL}/{proposed.json()['id']}/approve", headers=checker)
    assert response.status_code == 409
    assert session.scalars(select(ChurnWatch)).all() == []


def test_transfers_list_and_detail_follow_the_roles(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    anna = login(bank.users["account_manager"])
    carla = login(bank.users["account_manager_2"])
    checker = login(bank.users["branch_manager"])
    transfer_id = client.post(URL, json=_proposal(bank), headers=anna).json()["id"]
    assert [t["id"] for t in client.get(URL, headers=anna).json()["items"]] == [transfer_id]
    assert [t["id"] for t in client.get(URL, headers=checker).json()["items"]] == [transfer_id]
    assert client.get(URL, params={"status": "approved"}, headers=checker).json()["total"] == 0
    assert client.get(URL, headers=carla).json()["total"] == 0
    assert client.get(f"{URL}/{transfer_id}", headers=anna).status_code == 200
    assert client.get(f"{URL}/{transfer_id}", headers=checker).status_code == 200
    assert client.get(f"{URL}/{transfer_id}", headers=carla).status_code == 404
    assert client.get(f"{URL}/999999", headers=checker).status_code == 404
