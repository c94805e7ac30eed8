"""The pipeline's figures on a small known bank, computed by hand: by stage per product and
manager, expected volume by month, win and loss by product and segment, in each role's
scope, one currency at a time."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from bankcrm.security.secrets import pseudonym
from tests import records
from tests.integration.web.conftest import SCORED_ON, Bank, Login

URL = "/api/v1/opportunities/pipeline"


@pytest.fixture
def known(session: Session, bank: Bank) -> dict[str, int]:
    mortgage = records.product(session, "mortgage", name="Mortgage")
    account = records.product(session, "current_account", name="Account")
    records.score(session, bank.anna_customer, SCORED_ON + timedelta(days=30), tier="gold")
    prospect = records.prospect_for_opportunities(session, bank.north, owner_id=bank.anna.id)
    anna, boris, south = bank.anna_customer, bank.boris_customer, bank.south_customer

    def add(product: Any, owner: Any, stage: str, p: str, amount: str, **more: Any) -> None:
        records.opportunity(
            session,
            product,
            owner,
            stage=stage,
            probability=Decimal(p),
            amount=Decimal(amount),
            **more,
        )

    add(
        mortgage,
        bank.anna,
        "proposal",
        "0.4",
        "1000",
        customer=anna,
        expected_close_on=date(2027, 1, 15),
    )
    add(
        account,
        bank.anna,
        "identified",
        "0.1",
        "200",
        customer=anna,
        expected_close_on=date(2027, 1, 20),
    )
    add(
        mortgage,
        bank.boris,
        "approved",
        "0.8",
        "500",
        customer=boris,
        expected_close_on=date(2027, 2, 10),
    )
    add(
        mortgage,
        bank.carla,
        "proposal",
        "0.4",
        "300",
        customer=south,
        expected_close_on=date(2027, 2, 1),
    )
    add(
        mortgage,
        bank.anna,
        "won",
        "1",
        "700",
        customer=anna,
        closed_on=date(2026, 10, 1),
        won_on=date(2026, 10, 1),
    )
    add(
        mortgage,
        bank.boris,
        "lost",
        "0",
        "400",
        customer=boris,
        closed_on=date(2026, 10, 5),
        lost_reason="price",
    )
    add(
        account,
        bank.anna,
        "lost",
        "0",
        "50",
        prospect=prospect,
        closed_on=date(2026, 10, 7),
        lost_reason="competitor",
    )
    add(
        account,
        bank.boris,
        "won",
        "1",
        "100",
        customer=boris,
        closed_on=date(2026, 11, 1),
        won_on=date(2026, 11, 1),
    )
    add(
        mortgage,
        bank.anna,
        "proposal",
        "0.4",
        "999",
        customer=anna,
        currency="EUR",
        expected_close_on=date(2027, 1, 15),
    )
    session.commit()
    return {"mortgage": mortgage.id, "account": account.id}


def _stages(body: dict[str, Any]) -> dict[tuple[str, str], tuple[int, str, str]]:
    return {
        (row["label"], row["stage"]): (row["count"], row["amount"], row["weighted_amount"])
        for row in body["by_stage"]
    }


def _months(body: dict[str, Any]) -> dict[str, tuple[int, str, str]]:
    return {
        row["month"]: (row["count"], row["amount"], row["weighted_amount"])
        for row in body["by_month"]
    }


def _win_loss(
    rows: list[dict[str, Any]],
) -> dict[str, tuple[int, int, float | None, str, dict[str, int]]]:
    return {
        r["label"]: (r["won"], r["lost"], r["win_rate"], r["won_amount"], r["lost_reasons"])
        for r in rows
    }


def test_the_whole_bank_by_product(
    client: TestClient, bank: Bank, login: Login, known: dict[str, int]
) -> None:
    body = client.get(URL, params={"by": "product"}, headers=login(bank.users["analyst"])).json()
    assert (body["currency"], body["currencies"]) == ("CZK", ["CZK", "EUR"])
    assert _stages(body) == {
        ("Mortgage", "proposal"): (2, "1300.00", "520.00"),
        ("Mortgage", "approved"): (1, "500.00", "400.00"),
        ("Mortgage", "won"): (1, "700.00", "700.00"),
        ("Mortgage", "lost"): (1, "400.00", "0.00"),
        ("Account", "identified"): (1, "200.00", "20.00"),
        ("Account", "won"): (1, "100.00", "100.00"),
        ("Account", "lost"): (1, "50.00", "0.00"),
    }
    assert _months(body) == {
        "2027-01": (2, "1200.00", "420.00"),
        "2027-02": (2, "800.00", "520.00"),
    }
    assert _win_loss(body["by_product"]) == {
        "Mortgage": (1, 1, 0.5, "700.00", {"price": 1}),
        "Account": (1, 1, 0.5, "100.00", {"competitor": 1}),
    }
    assert _win_loss(body["by_segment"]) == {
        "gold": (1, 0, 1.0, "700.00", {}),  # anna's customer: the tier of the latest score
        "general": (1, 1, 0.5, "100.00", {"price": 1}),
        "prospect": (0, 1, 0.0, "0.00", {"competitor": 1}),
    }
    assert body["lost_reasons"] == {"competitor": 1, "price": 1}


def test_other_currency_and_closing_period(
    client: TestClient, bank: Bank, login: Login, known: dict[str, int]
) -> None:
    headers = login(bank.users["executive"])
    euro = client.get(URL, params={"by": "product", "currency": "EUR"}, headers=headers).json()
    assert _stages(euro) == {("Mortgage", "proposal"): (1, "999.00", "399.60")}
    recent = client.get(URL, params={"since": "2026-10-06"}, headers=headers).json()
    assert _win_loss(recent["by_product"]) == {
        "Account": (1, 1, 0.5, "100.00", {"competitor": 1}),
    }
    backwards = client.get(
        URL, params={"since": "2026-10-06", "until": "2026-10-01"}, headers=headers
    )
    assert backwards.status_code == 422 and backwards.json()["field"] == "since"
    assert client.get(URL, params={"by": "colour"}, headers=headers).status_code == 422


def test_scope_and_how_managers_show(
    client: TestClient, bank: Bank, login: Login, known: dict[str, int]
) -> None:
    mine = client.get(URL, headers=login(bank.users["account_manager"])).json()
    assert _months(mine) == {"2027-01": (2, "1200.00", "420.00")}
    branch = client.get(URL, headers=login(bank.users["branch_manager"])).json()
    assert _months(branch) == {
        "2027-01": (2, "1200.00", "420.00"),
        "2027-02": (1, "500.00", "400.00"),
    }
    names = {row["label"] for row in branch["by_stage"]}
    assert names == {f"{s.first_name} {s.last_name}" for s in (bank.anna, bank.boris)}
    masked = client.get(URL, headers=login(bank.users["product_manager"])).json()
    assert {row["label"] for row in masked["by_stage"]} == {
        s.staff_code for s in (bank.anna, bank.boris, bank.carla)
    }
    hidden = client.get(URL, headers=login(bank.users["analyst"])).json()
    key = "test pseudonym key"
    assert {row["label"] for row in hidden["by_stage"]} == {
        pseudonym(key, s.staff_code) for s in (bank.anna, bank.boris, bank.carla)
    }
