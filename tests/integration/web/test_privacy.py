"""Consent with its history, the export of everything held on a person, and erasure under
legal holds (open loans, anti-money-laundering record keeping) or in full."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bankcrm.analytics.models import CustomerScore, Offer
from bankcrm.config import Settings
from bankcrm.customers.models import Customer, CustomerRelationship
from bankcrm.customers.privacy_models import ErasureRequest
from bankcrm.interactions.models import Interaction
from bankcrm.lake.repository import add_files
from bankcrm.lake.staging import StagedFile
from bankcrm.lake.store import TRANSACTION_SCHEMA, LakeStore
from bankcrm.security.models import AuditEvent
from bankcrm.service_desk.models import Case
from tests import records
from tests.integration.web.conftest import SCORED_ON, Bank, Login

# role -> consent read/write on (anna's, boris's, the south customer).
CONSENT = {
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
EXPORT = {
    **CONSENT,
    "service_agent": (403, 403, 403),
}
ERASURE = {
    **{role: (403, 403, 403) for role in CONSENT},
    "branch_manager": (200, 200, 404),
}


def _customers(bank: Bank) -> tuple[Customer, Customer, Customer]:
    return bank.anna_customer, bank.boris_customer, bank.south_customer


def _actions(session: Session, action: str, record_type: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.record_type == record_type)
            .order_by(AuditEvent.id)
        )
    )


@pytest.mark.parametrize("role", sorted(CONSENT))
def test_consent_by_role(client: TestClient, bank: Bank, login: Login, role: str) -> None:
    headers = login(bank.users[role])
    for customer, expected in zip(_customers(bank), CONSENT[role], strict=True):
        url = f"/api/v1/customers/{customer.id}/consent"
        assert client.get(url, headers=headers).status_code == expected
        change = {"marketing": False, "source": "phone"}
        assert client.put(url, json=change, headers=headers).status_code == expected


def test_consent_history_records_who_when_how_and_from_to(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    headers = login(bank.users["account_manager"])
    url = f"/api/v1/customers/{bank.anna_customer.id}/consent"
    before = client.get(url, headers=headers).json()
    assert before["history"] == []
    assert (before["marketing"], before["profiling"], before["sharing"]) == (True, True, False)
    first = client.put(
        url, json={"marketing": False, "source": "phone", "note": "asked"}, headers=headers
    )
    assert first.status_code == 200
    repeat = client.put(url, json={"marketing": False, "source": "online"}, headers=headers)
    assert len(repeat.json()["history"]) == 1  # no change, no entry
    body = client.put(
        url, json={"sharing": True, "profiling": False, "source": "branch"}, headers=headers
    ).json()
    assert (body["marketing"], body["profiling"], body["sharing"]) == (False, False, True)
    history = body["history"]
    assert [(h["purpose"], h["from_value"], h["to_value"], h["source"]) for h in history[-1:]] == [
        ("marketing", True, False, "phone")
    ]
    assert {(h["purpose"], h["source"]) for h in history[:2]} == {
        ("profiling", "branch"),
        ("sharing", "branch"),
    }
    assert all(h["actor"] == bank.users["account_manager"].username for h in history)
    assert history[-1]["note"] == "asked" and history[0]["changed_at"] >= history[-1]["changed_at"]
    profile = client.get(f"/api/v1/customers/{bank.anna_customer.id}", headers=headers).json()
    assert profile["consent"] == {"marketing": False, "profiling": False, "sharing": True}
    assert len(_actions(session, "update", "consent")) == 3
    assert len(_actions(session, "read", "consent")) == 1
    empty = client.put(url, json={"source": "phone"}, headers=headers)
    assert empty.status_code == 422
    bad = client.put(url, json={"marketing": True, "source": "pigeon"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "body.source"


def _lake(session: Session, settings: Settings, account_no: str) -> None:
    """One transaction in each of two months of the lake, registered in its manifest."""
    store = LakeStore(settings.lake_dir)
    batch = records.import_batch(session)
    staged = []
    for n, month in enumerate(("2026-08", "2026-09"), start=1):
        row = {
            "transaction_id": 9000 + n,
            "account_no": account_no,
            "booked_on": date(2026, 7 + n, 10),
            "direction": "debit",
            "amount": Decimal("250.00"),
            "balance_after": Decimal("750.00"),
            "channel": "card",
            "category": "groceries",
            "counterparty_bank": None,
            "counterparty_account": "CZ000111",
        }
        relative = store.relative_path(month, f"privacy{month}")
        path = settings.lake_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist([row], schema=TRANSACTION_SCHEMA), path)
        staged.append(StagedFile(month, relative, 1, 0, 0, date.today(), date.today()))
    add_files(session, batch.id, "transactions", staged)


@pytest.mark.parametrize("role", sorted(EXPORT))
def test_export_by_role(
    client: TestClient, bank: Bank, login: Login, session: Session, role: str
) -> None:
    headers = login(bank.users[role])
    for customer, expected in zip(_customers(bank), EXPORT[role], strict=True):
        response = client.get(f"/api/v1/customers/{customer.id}/export", headers=headers)
        assert response.status_code == expected
    assert len(_actions(session, "export", "customer")) == sum(1 for s in EXPORT[role] if s == 200)


def test_export_holds_everything_on_the_person(
    client: TestClient, bank: Bank, login: Login, session: Session, settings: Settings
) -> None:
    anna = bank.anna_customer
    mortgage = records.holding(session, anna, records.product(session, "mortgage"))
    records.relationship(session, anna, bank.boris_customer, "spouse")
    records.interaction(session, anna, note="wants a bigger flat")
    case = records.case(session, anna, status="closed")
    records.case_survey(session, case, csat=5, nps=10)
    records.tier_change(session, anna, SCORED_ON, to_tier="general")
    records.offer(session, anna, records.product(session, "credit_card"), SCORED_ON)
    _lake(session, settings, mortgage.account_no)
    session.commit()
    headers = login(bank.users["account_manager"])
    client.put(
        f"/api/v1/customers/{anna.id}/consent",
        json={"marketing": False, "source": "email"},
        headers=headers,
    )
    response = client.get(f"/api/v1/customers/{anna.id}/export", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["profile"]["national_id"] == anna.national_id
    assert body["profile"]["email"] == anna.email
    assert body["consent"] == {"marketing": False, "profiling": True, "sharing": False}
    assert [c["purpose"] for c in body["consent_history"]] == ["marketing"]
    assert {h["account_no"] for h in body["holdings"]} >= {mortgage.account_no}
    assert len(body["holdings"]) == 2
    assert body["relationships"] == [
        {
            "kind": "spouse",
            "direction": "from",
            "other_customer_no": bank.boris_customer.customer_no,
            "account_no": None,
            "share_percent": None,
            "since": None,
        }
    ]
    assert [i["note"] for i in body["interactions"]] == ["wants a bigger flat"]
    assert body["cases"][0]["description"] == "charged twice"
    assert body["cases"][0]["survey"]["nps"] == 10
    assert [s["as_of"] for s in body["scores"]] == [SCORED_ON.isoformat()]
    assert [t["to_tier"] for t in body["tier_history"]] == ["general"]
    assert body["offers"][0]["explanation"] == "customers like this one hold it"
    assert [t["transaction_id"] for t in body["transactions"]] == [9001, 9002]
    assert body["transactions"][0]["counterparty_account"] == "CZ000111"
    assert body["erasure_requests"] == []
    event = _actions(session, "export", "customer")[0]
    assert event.record_id == str(anna.id) and "transactions" in json.loads(event.fields)


@pytest.mark.parametrize("role", sorted(ERASURE))
def test_erasure_by_role(
    client: TestClient, bank: Bank, login: Login, session: Session, role: str
) -> None:
    headers = login(bank.users[role])
    for customer, expected in zip(_customers(bank), ERASURE[role], strict=True):
        response = client.post(f"/api/v1/customers/{customer.id}/erasure", headers=headers)
        assert response.status_code == expected
    assert session.scalar(select(func.count()).select_from(ErasureRequest)) == sum(
        1 for s in ERASURE[role] if s == 200
    )


def _closed_customer(session: Session, bank: Bank, closed_on: date) -> Customer:
    """A customer who left the bank on `closed_on`, with a score, an offer, a contact note,
    a case and a household link."""
    customer = records.customer(session, bank.north, bank.anna, status="closed")
    account = records.product(session)
    records.holding(session, customer, account, closed_on=closed_on, status="closed")
    records.score(session, customer, SCORED_ON)
    records.offer(session, customer, account, SCORED_ON)
    records.interaction(session, customer, note="moving abroad")
    records.case(session, customer, status="closed", resolution="account closed")
    records.relationship(session, customer, bank.anna_customer, "household")
    session.commit()
    return customer


def _erase(client: TestClient, bank: Bank, login: Login, customer_id: int) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/customers/{customer_id}/erasure", headers=login(bank.users["branch_manager"])
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _items(report: dict[str, Any], part: str) -> dict[str, dict[str, Any]]:
    return {e["item"]: e for e in report[part]}


def test_erasure_under_an_open_loan_keeps_contract_data(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    anna = bank.anna_customer
    loan = records.holding(session, anna, records.product(session, "consumer_loan"))
    records.interaction(session, anna, note="asked about rates")
    session.commit()
    report = _erase(client, bank, login, anna.id)
    assert report["status"] == "partial"
    holds = {h["kind"]: h for h in report["holds"]}
    assert set(holds) == {"open_loan", "aml_record_keeping"}
    assert loan.account_no in holds["open_loan"]["reason"] and holds["open_loan"]["until"] is None
    kept, erased = _items(report, "kept"), _items(report, "erased")
    assert kept["contact_details"]["hold"] == "open_loan"
    assert kept["identity"]["hold"] == "aml_record_keeping"
    assert erased["scores"]["records"] == 1 and erased["interaction_notes"]["records"] == 1
    assert "contact_details" not in erased
    session.expire_all()
    stored = session.get(Customer, anna.id)
    assert stored is not None and stored.email is not None and stored.last_name is not None
    assert not (stored.marketing_consent or stored.profiling_consent or stored.sharing_consent)
    assert session.scalar(select(func.count()).where(CustomerScore.customer_id == anna.id)) == 0
    notes = session.scalars(select(Interaction.note).where(Interaction.customer_id == anna.id))
    assert list(notes) == [None]


def test_erasure_within_aml_retention_keeps_identity_until_the_date(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    closed_on = date.today() - timedelta(days=2 * 365)
    customer = _closed_customer(session, bank, closed_on)
    report = _erase(client, bank, login, customer.id)
    assert report["status"] == "partial"
    (hold,) = report["holds"]
    assert hold["kind"] == "aml_record_keeping"
    assert hold["until"] == closed_on.replace(year=closed_on.year + 5).isoformat()
    kept, erased = _items(report, "kept"), _items(report, "erased")
    assert kept["identity"]["until"] == hold["until"]
    assert kept["holdings_and_transactions"]["hold"] == "aml_record_keeping"
    assert erased["contact_details"]["records"] == 1 and erased["offers"]["records"] == 1
    session.expire_all()
    stored = session.get(Customer, customer.id)
    assert stored is not None
    assert stored.email is None and stored.phone is None
    assert stored.last_name is not None and stored.national_id.startswith("800101")
    assert (
        session.scalar(
            select(func.count()).where(CustomerRelationship.from_customer_id == customer.id)
        )
        == 1
    )


def test_erasure_after_retention_pseudonymises_identity(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    customer = _closed_customer(session, bank, date.today() - timedelta(days=6 * 365))
    audit_before = session.execute(select(AuditEvent.id, AuditEvent.action)).all()
    report = _erase(client, bank, login, customer.id)
    assert report["status"] == "completed" and report["holds"] == []
    erased = _items(report, "erased")
    assert erased["identity"]["action"] == "pseudonymised"
    assert erased["relationships"]["records"] == 1 and erased["case_texts"]["records"] == 1
    assert set(_items(report, "kept")) == {
        "holdings_and_transactions",
        "consent_history",
        "audit_log",
    }
    session.expire_all()
    stored = session.get(Customer, customer.id)
    assert stored is not None
    assert (stored.first_name, stored.last_name, stored.birth_date, stored.address) == (
        None,
        None,
        None,
        None,
    )
    assert stored.national_id.startswith("P-") and stored.email is None
    assert session.scalar(select(func.count()).where(Offer.customer_id == customer.id)) == 0
    texts = session.execute(
        select(Case.description, Case.resolution).where(Case.customer_id == customer.id)
    ).all()
    assert [tuple(t) for t in texts] == [(None, None)]
    # The audit log: every earlier event still there, unchanged, and the erasure added.
    after = session.execute(select(AuditEvent.id, AuditEvent.action)).all()
    assert set(audit_before) <= set(after)
    assert [e.record_id for e in _actions(session, "erase", "customer")] == [str(customer.id)]

    # Idempotent: the same report, no second request record.
    again = _erase(client, bank, login, customer.id)
    assert again["repeated"] is True and again["request_id"] == report["request_id"]
    assert session.scalar(select(func.count()).select_from(ErasureRequest)) == 1
    session.expire_all()
    assert session.get(Customer, customer.id).national_id == stored.national_id  # type: ignore[union-attr]
    export = client.get(
        f"/api/v1/customers/{customer.id}/export", headers=login(bank.users["branch_manager"])
    ).json()
    assert export["erasure_requests"][0]["report"]["status"] == "completed"
    assert [c["source"] for c in export["consent_history"]] == ["erasure", "erasure"]


def test_aml_retention_is_configurable(
    client: TestClient, bank: Bank, login: Login, session: Session, settings: Settings
) -> None:
    customer = _closed_customer(session, bank, date.today() - timedelta(days=2 * 365))
    settings.aml_retention_years = 1
    report = _erase(client, bank, login, customer.id)
    assert report["status"] == "completed"
