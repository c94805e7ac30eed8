"""The customer API: every role against every customer route (the scope matrix), masking,
the 360 view's parts, and optimistic locking."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from bankcrm.config import Settings
from bankcrm.customers import repository
from bankcrm.customers.models import Customer
from bankcrm.lake.repository import add_files
from bankcrm.lake.staging import StagedFile
from bankcrm.lake.store import TRANSACTION_SCHEMA, LakeStore
from tests import records
from tests.integration.web.conftest import SCORED_ON, Bank, Login

# role -> which of (anna's customer, boris's customer, the south customer) it may open,
# and how personal data shows: F full, M masked, - not at all (404), 403 no detail at all.
MATRIX = {
    "account_manager": ("F", "-", "-"),  # anna: her own portfolio only
    "account_manager_2": ("-", "-", "F"),  # carla, south
    "branch_manager": ("F", "F", "-"),  # north
    "service_agent": ("M", "M", "M"),
    "product_manager": ("403", "403", "403"),
    "executive": ("403", "403", "403"),
    "analyst": ("403", "403", "403"),
    "auditor": ("403", "403", "403"),
    "admin": ("403", "403", "403"),
}


def _customers(bank: Bank) -> tuple[Customer, Customer, Customer]:
    return bank.anna_customer, bank.boris_customer, bank.south_customer


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_customer_360_scope_matrix(client: TestClient, bank: Bank, login: Login, role: str) -> None:
    headers = login(bank.users[role])
    for customer, expected in zip(_customers(bank), MATRIX[role], strict=True):
        response = client.get(f"/api/v1/customers/{customer.id}", headers=headers)
        if expected == "-":
            assert response.status_code == 404, (role, customer.customer_no)
            assert customer.last_name not in response.text
        elif expected == "403":
            assert response.status_code == 403, (role, customer.customer_no)
        else:
            assert response.status_code == 200, (role, response.text)
            profile = response.json()["profile"]
            if expected == "F":
                assert profile["national_id"] == customer.national_id
                assert profile["email"] == customer.email
                assert profile["view"] == "full"
            else:
                assert profile["national_id"] == "*" * 7 + customer.national_id[-4:]
                assert profile["email"].startswith("p***@")
                assert profile["birth_date"] is None and profile["address"] is None
                assert profile["view"] == "masked"


LIST_MATRIX = {
    "account_manager": 1,
    "account_manager_2": 1,
    "branch_manager": 2,
    "service_agent": 3,
    "product_manager": 3,
    "executive": 3,
    "analyst": 3,
    "auditor": None,
    "admin": None,
}


@pytest.mark.parametrize("role", sorted(LIST_MATRIX))
def test_customer_list_shows_only_the_callers_scope(
    client: TestClient, bank: Bank, login: Login, role: str
) -> None:
    response = client.get("/api/v1/customers", headers=login(bank.users[role]))
    expected = LIST_MATRIX[role]
    if expected is None:
        assert response.status_code == 403
        return
    body = response.json()
    assert body["total"] == expected == len(body["items"])
    if role in ("executive", "analyst"):
        for item in body["items"]:
            assert item["name"] is None and item["reference"].startswith("P-")
            assert item["view"] == "pseudonymised"
    names = {c.customer_no for c in _customers(bank)}
    assert (role in ("executive", "analyst")) == names.isdisjoint(response.text.split('"'))


def test_list_filters_sorts_and_pages(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    records.score(session, bank.boris_customer, date(2026, 12, 31), tier="gold", value_at_risk=9e5)
    records.score(session, bank.anna_customer, date(2026, 12, 31), value_at_risk=10.0)
    session.commit()
    headers = login(bank.users["branch_manager"])
    ranked = client.get("/api/v1/customers?sort=-value_at_risk", headers=headers).json()
    assert [i["id"] for i in ranked["items"]] == [bank.boris_customer.id, bank.anna_customer.id]
    gold = client.get("/api/v1/customers?tier=gold", headers=headers).json()
    assert gold["total"] == 1 and gold["items"][0]["tier"] == "gold"
    page = client.get("/api/v1/customers?limit=1&offset=1&sort=name", headers=headers).json()
    assert page["total"] == 2 and len(page["items"]) == 1
    by_name = client.get(
        f"/api/v1/customers?q={bank.anna_customer.last_name[:6].lower()}", headers=headers
    ).json()
    assert bank.anna_customer.id in [i["id"] for i in by_name["items"]]
    bad = client.get("/api/v1/customers?sort=password", headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "query.sort"


def test_customer_360_holds_every_part(
    client: TestClient, bank: Bank, login: Login, session: Session, settings: Settings
) -> None:
    customer = bank.anna_customer
    loan = records.product(session, "mortgage")
    mortgage = records.holding(session, customer, loan, balance=Decimal("-250000.00"))
    spouse = records.customer(session, bank.south, bank.carla)  # out of anna's scope
    records.relationship(session, spouse, customer, "spouse")
    records.holding(session, spouse, loan, balance=Decimal("-100000.00"))
    records.interaction(session, customer)
    records.case(session, customer)
    session.commit()
    _lake(session, settings, mortgage.account_no)
    body = client.get(
        f"/api/v1/customers/{customer.id}", headers=login(bank.users["account_manager"])
    ).json()
    assert {h["category"] for h in body["holdings"]} == {"current_account", "mortgage"}
    assert [t["amount"] for t in body["recent_transactions"]] == ["-5000.00", "-4000.00"]
    assert body["exposure"] == {
        "own": "250000.00",
        "connected": "100000.00",
        "combined": "350000.00",
        "customers": 2,
    }
    (link,) = body["relationships"]
    assert link["kind"] == "spouse" and link["other_id"] is None and link["other_name"] is None
    assert body["score"]["as_of"] == SCORED_ON.isoformat()
    assert body["score"]["churn_reasons"] == ["balances fell"]
    assert body["open_cases"][0]["topic"] == "card fee"
    assert [e["source"] for e in body["timeline"]] == ["case", "interaction"]
    assert body["consent"] == {"marketing": True, "profiling": True, "sharing": False}


def test_customer_360_cases_open_and_recent_in_one_read(bank: Bank, session: Session) -> None:
    customer = bank.anna_customer
    old_open = records.case(session, customer, opened_at=datetime(2025, 1, 1, 9, 0))
    closed = [
        records.case(session, customer, status="closed", opened_at=datetime(2026, 3, d, 9, 0))
        for d in (1, 2, 3)
    ]
    in_progress = records.case(session, customer, status="in_progress")
    session.flush()
    open_cases, recent = repository.cases(session, customer.id, 2)
    assert [c.id for c in open_cases] == [in_progress.id, old_open.id]
    assert [c.id for c in recent] == [closed[2].id, closed[1].id]
    open_cases, recent = repository.cases(session, customer.id, 50)
    assert [c.id for c in recent] == [*(c.id for c in closed[::-1]), in_progress.id, old_open.id]


def test_customer_360_sees_a_newly_published_month(
    client: TestClient, bank: Bank, login: Login, session: Session, settings: Settings
) -> None:
    """The month list is kept per process; publishing a batch must still show at once."""
    customer = bank.anna_customer
    holding = records.holding(session, customer, records.product(session, "mortgage"))
    session.commit()
    _lake(session, settings, holding.account_no)
    headers = login(bank.users["account_manager"])
    url = f"/api/v1/customers/{customer.id}"
    before = client.get(url, headers=headers).json()["recent_transactions"]
    assert [t["amount"] for t in before] == ["-5000.00", "-4000.00"]
    _lake(session, settings, holding.account_no, (("2026-10", 10, "-6000.00"),))
    after = client.get(url, headers=headers).json()["recent_transactions"]
    assert [t["amount"] for t in after] == ["-6000.00", "-5000.00", "-4000.00"]


MONTHS = (("2026-08", 10, "-4000.00"), ("2026-09", 10, "-5000.00"))


def _lake(
    session: Session,
    settings: Settings,
    account_no: str,
    months: tuple[tuple[str, int, str], ...] = MONTHS,
) -> None:
    """Two months of one account's transactions in the lake, registered in its manifest."""
    store = LakeStore(settings.lake_dir)
    batch = records.import_batch(session)
    staged = []
    for month, day, amount in months:
        table = pa.Table.from_pylist(
            [
                {
                    "transaction_id": day * 100 + int(month[-2:]),
                    "account_no": account_no,
                    "booked_on": date(int(month[:4]), int(month[5:]), day),
                    "direction": "debit",
                    "amount": Decimal(amount),
                    "balance_after": Decimal("-250000.00"),
                    "channel": "transfer",
                    "category": "loan_payment",
                    "counterparty_bank": None,
                    "counterparty_account": None,
                }
            ],
            schema=TRANSACTION_SCHEMA,
        )
        relative = store.relative_path(month, f"test{month}")
        path = settings.lake_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        staged.append(StagedFile(month, relative, 1, 0, 0, date.today(), date.today()))
    add_files(session, batch.id, "transactions", staged)
    session.commit()
