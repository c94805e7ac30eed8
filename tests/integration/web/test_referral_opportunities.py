"""Referrals and opportunities together: an opportunity made from a referral is for the
referral's person, and winning it converts the referral for its referrer's scorecard."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from bankcrm.referrals.models import Referral
from tests import records
from tests.integration.web.conftest import Bank, Login

SOON = (date.today() + timedelta(days=60)).isoformat()


def _opportunity(customer_id: int, product_id: int, referral_id: int) -> dict[str, object]:
    return {
        "customer_id": customer_id,
        "product_id": product_id,
        "amount": "1800000.00",
        "expected_close_on": SOON,
        "referral_id": referral_id,
    }


def test_winning_an_opportunity_from_a_referral_converts_the_referral(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    insurance = records.product(session, "insurance")
    referral = records.referral(session, bank.anna_customer, bank.users["service_agent"])
    session.commit()
    anna = login(bank.users["account_manager"])
    body = client.post(
        "/api/v1/opportunities",
        json=_opportunity(bank.anna_customer.id, insurance.id, referral.id),
        headers=anna,
    ).json()
    assert body["referral_id"] == referral.id
    for stage in ("proposal", "won"):
        response = client.post(
            f"/api/v1/opportunities/{body['id']}/stage",
            json={"version": body["version"], "stage": stage},
            headers=anna,
        )
        assert response.status_code == 200, response.text
        body = response.json()
    session.expire_all()
    converted = session.get(Referral, referral.id)
    assert converted is not None
    assert (converted.status, converted.opportunity_id) == ("converted", body["id"])
    seen = client.get(
        f"/api/v1/referrals/{referral.id}", headers=login(bank.users["service_agent"])
    )
    assert seen.json()["status"] == "converted"


def test_an_opportunity_names_only_a_referral_of_its_own_person(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    insurance = records.product(session, "insurance")
    other = records.referral(session, bank.boris_customer, bank.users["service_agent"])
    session.commit()
    response = client.post(
        "/api/v1/opportunities",
        json=_opportunity(bank.anna_customer.id, insurance.id, other.id),
        headers=login(bank.users["account_manager"]),
    )
    assert (response.status_code, response.json()["field"]) == (422, "referral_id")
    missing = client.post(
        "/api/v1/opportunities",
        json=_opportunity(bank.anna_customer.id, insurance.id, 2_000_000_000),
        headers=login(bank.users["account_manager"]),
    )
    assert (missing.status_code, missing.json()["field"]) == (422, "referral_id")
