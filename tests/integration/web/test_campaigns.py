"""Segments and campaigns: who may run them, consent and status exclusions with reasons,
masking for product managers, member outcomes, results, and the audit trail."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.marketing import repository
from bankcrm.products.models import Product
from bankcrm.security.models import AuditEvent
from tests import records
from tests.integration.web.conftest import SCORED_ON, Bank, Login

NO_MARKETING_ROLES = ("account_manager", "service_agent", "auditor", "admin")
AGGREGATE_ROLES = ("executive", "analyst")


@dataclass
class Market:
    bank: Bank
    no_consent: Customer  # north, anna's
    deceased: Customer  # north, with consent
    gold: Customer  # north, boris's: gold, churn 0.6, holds a mortgage, born 2000
    mortgage: Product
    savings: Product


@pytest.fixture
def market(session: Session, bank: Bank) -> Market:
    no_consent = records.customer(session, bank.north, bank.anna, marketing_consent=False)
    deceased = records.customer(session, bank.north, bank.anna, status="deceased")
    gold = records.customer(session, bank.north, bank.boris, birth_date=date(2000, 6, 1))
    mortgage, savings = (
        records.product(session, "mortgage"),
        records.product(session, "savings_account"),
    )
    records.holding(session, gold, mortgage)
    records.holding(session, bank.south_customer, mortgage, closed_on=date(2020, 1, 1))
    for c in (no_consent, deceased):
        records.score(session, c, SCORED_ON)
    records.score(session, gold, SCORED_ON, tier="gold", band="top", churn_probability=0.6)
    session.commit()
    return Market(bank, no_consent, deceased, gold, mortgage, savings)


def _campaign(savings: Product, segment: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": "Savings for families",
        "product_id": savings.id,
        "channel": "phone",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "segment": segment or {},
    }


def _preview(client: TestClient, headers: dict[str, str], segment: dict[str, Any]) -> Any:
    response = client.post("/api/v1/segments/preview", json=segment, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_segment_preview_counts_in_the_callers_scope(
    client: TestClient, market: Market, login: Login
) -> None:
    product = login(market.bank.users["product_manager"])
    branch = login(market.bank.users["branch_manager"])
    # bank-wide: 3 customers of the bank fixture + 3 here; one has no consent, one died
    assert _preview(client, product, {}) == {
        "customers": 6,
        "with_marketing_consent": 5,
        "reachable": 4,
    }
    # north only: the south customer is outside the branch manager's scope
    assert _preview(client, branch, {}) == {
        "customers": 5,
        "with_marketing_consent": 4,
        "reachable": 3,
    }
    assert _preview(client, product, {"tiers": ["gold"]})["customers"] == 1
    assert _preview(client, product, {"bands": ["top", "important"]})["customers"] == 1
    assert _preview(client, product, {"churn_probability": {"min": 0.5}})["customers"] == 1
    assert _preview(client, product, {"clv": {"min": 4999, "max": 5001}})["customers"] == 6
    assert _preview(client, product, {"contribution": {"max": 0}})["customers"] == 0
    assert _preview(client, product, {"value_at_risk": {"min": 500, "max": 500}})["customers"] == 6
    # the south customer's mortgage is closed: it does not count as held
    assert _preview(client, product, {"holds": ["mortgage"]})["customers"] == 1
    assert _preview(client, product, {"holds": ["mortgage", "current_account"]})["customers"] == 0
    assert _preview(client, product, {"does_not_hold": ["mortgage"]})["customers"] == 5
    assert _preview(client, product, {"age": {"max": 30}})["customers"] == 1
    assert _preview(client, product, {"age": {"min": 40}})["customers"] == 5
    assert _preview(client, product, {"statuses": ["deceased"]})["reachable"] == 0
    assert _preview(client, product, {"branch_ids": [market.bank.south.id]})["customers"] == 1
    assert _preview(client, product, {"regions": ["Nowhere"]})["customers"] == 0
    assert _preview(client, product, {"kinds": ["corporate"]})["customers"] == 0


def test_segment_definitions_are_validated(
    client: TestClient, market: Market, login: Login
) -> None:
    headers = login(market.bank.users["product_manager"])
    for bad in (
        {"tiers": ["platinum"]},
        {"churn_probability": {"min": 2}},
        {"branch_ids": [0]},
        {"regions": ["North\u0000"]},
        {"age": {"min": -1}},
        {"holds": ["yacht"]},
        {"colour": "blue"},
    ):
        response = client.post("/api/v1/segments/preview", json=bad, headers=headers)
        assert response.status_code == 422, bad
    # a minimum above the maximum is a range nobody is in, not an error
    empty = {"churn_probability": {"min": 0.8, "max": 0.2}, "age": {"min": 50, "max": 20}}
    assert _preview(client, headers, empty)["customers"] == 0


@pytest.mark.parametrize("role", NO_MARKETING_ROLES)
def test_other_roles_may_not_use_segments_or_campaigns(
    client: TestClient, market: Market, login: Login, role: str
) -> None:
    headers = login(market.bank.users[role])
    assert client.post("/api/v1/segments/preview", json={}, headers=headers).status_code == 403
    created = client.post("/api/v1/campaigns", json=_campaign(market.savings), headers=headers)
    assert created.status_code == 403
    assert client.get("/api/v1/campaigns", headers=headers).status_code == 403


@pytest.mark.parametrize("role", AGGREGATE_ROLES)
def test_executives_and_analysts_read_aggregates_but_no_target_list(
    client: TestClient, market: Market, login: Login, role: str
) -> None:
    headers = login(market.bank.users[role])
    product = login(market.bank.users["product_manager"])
    campaign_id = client.post(
        "/api/v1/campaigns", json=_campaign(market.savings), headers=product
    ).json()["id"]
    _build(client, product, campaign_id)
    assert _preview(client, headers, {})["customers"] == 6
    assert client.get("/api/v1/campaigns", headers=headers).json()["total"] == 1
    assert client.get(f"/api/v1/campaigns/{campaign_id}", headers=headers).status_code == 200
    results = client.get(f"/api/v1/campaigns/{campaign_id}/results", headers=headers)
    assert results.status_code == 200 and results.json()["targeted"] == 4
    created = client.post("/api/v1/campaigns", json=_campaign(market.savings), headers=headers)
    assert created.status_code == 403
    for method in ("get", "post"):
        target = f"/api/v1/campaigns/{campaign_id}/target-list"
        assert client.request(method, target, headers=headers).status_code == 403
    outcome = {"outcome": "contacted"}
    member = client.patch(
        f"/api/v1/campaigns/{campaign_id}/members/1", json=outcome, headers=headers
    )
    assert member.status_code == 403


def test_campaigns_belong_to_the_branch_or_the_bank(
    client: TestClient, market: Market, login: Login, session: Session
) -> None:
    product = login(market.bank.users["product_manager"])
    branch = login(market.bank.users["branch_manager"])
    bank_wide = client.post("/api/v1/campaigns", json=_campaign(market.savings), headers=product)
    assert bank_wide.status_code == 201, bank_wide.text
    body = bank_wide.json()
    assert body["branch_id"] is None and body["product_code"] == market.savings.product_code
    assert body["created_by"] == market.bank.users["product_manager"].username
    assert body["results"]["targeted"] == 0 and body["targeted_at"] is None
    local = client.post("/api/v1/campaigns", json=_campaign(market.savings), headers=branch)
    assert local.status_code == 201 and local.json()["branch_id"] == market.bank.north.id
    # the product manager sees both, the branch manager only their branch's
    assert [c["id"] for c in client.get("/api/v1/campaigns", headers=product).json()["items"]] == [
        local.json()["id"],
        body["id"],
    ]
    assert [c["id"] for c in client.get("/api/v1/campaigns", headers=branch).json()["items"]] == [
        local.json()["id"]
    ]
    assert client.get(f"/api/v1/campaigns/{body['id']}", headers=branch).status_code == 404
    detail = client.get(f"/api/v1/campaigns/{local.json()['id']}", headers=product)
    assert detail.status_code == 200
    assert detail.json()["segment"]["tiers"] is None  # every criterion left out
    created = session.scalars(
        select(AuditEvent.record_id).where(
            AuditEvent.action == "create", AuditEvent.record_type == "campaign"
        )
    ).all()
    assert sorted(created) == sorted([str(body["id"]), str(local.json()["id"])])


def test_campaign_input_is_checked(client: TestClient, market: Market, login: Login) -> None:
    headers = login(market.bank.users["product_manager"])
    backwards = {**_campaign(market.savings), "starts_on": "2026-06-01", "ends_on": "2026-05-01"}
    response = client.post("/api/v1/campaigns", json=backwards, headers=headers)
    assert response.status_code == 409 and response.json()["field"] == "ends_on"
    unknown = {**_campaign(market.savings), "product_id": 999_999}
    response = client.post("/api/v1/campaigns", json=unknown, headers=headers)
    assert response.status_code == 404
    wrong_channel = {**_campaign(market.savings), "channel": "pigeon"}
    assert client.post("/api/v1/campaigns", json=wrong_channel, headers=headers).status_code == 422


def _build(client: TestClient, headers: dict[str, str], campaign_id: int) -> Any:
    response = client.post(f"/api/v1/campaigns/{campaign_id}/target-list", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_branch_target_list_keeps_consenting_customers_and_says_who_was_left_out_and_why(
    client: TestClient, market: Market, login: Login, session: Session
) -> None:
    bank = market.bank
    headers = login(bank.users["branch_manager"])
    campaign = client.post("/api/v1/campaigns", json=_campaign(market.savings), headers=headers)
    built = _build(client, headers, campaign.json()["id"])
    assert built["matched"] == 6 and built["targeted"] == 3
    assert built["excluded_counts"] == {
        "no_consent": 1,
        "closed_or_deceased": 1,
        "out_of_scope": 1,  # the south customer: never named
    }
    assert sorted((e["customer_id"], e["reason"]) for e in built["excluded"]) == sorted(
        [(market.no_consent.id, "no_consent"), (market.deceased.id, "closed_or_deceased")]
    )
    members = {m["customer_id"]: m for m in built["members"]}
    assert set(members) == {bank.anna_customer.id, bank.boris_customer.id, market.gold.id}
    assert bank.south_customer.id not in {e["customer_id"] for e in built["excluded"]}
    shown = members[bank.anna_customer.id]
    assert shown["view"] == "full" and shown["email"] == bank.anna_customer.email
    assert shown["status"] == "targeted" and shown["contacted_at"] is None
    # the stored list reads back the same, and reading it is audited again
    again = client.get(f"/api/v1/campaigns/{campaign.json()['id']}/target-list", headers=headers)
    assert again.status_code == 200 and again.json() == built
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.actor == bank.users["branch_manager"].username)
    ).all()
    assert [e.record_type for e in events if e.action == "create"] == [
        "campaign",
        "campaign_target_list",
    ]
    lists = [e for e in events if e.action == "list" and e.record_type == "customer"]
    assert len(lists) == 2
    assert sorted(json.loads(lists[0].record_ids or "[]")) == sorted(
        [*members, market.no_consent.id, market.deceased.id]
    )


def test_product_manager_target_list_is_bank_wide_and_masked(
    client: TestClient, market: Market, login: Login
) -> None:
    bank = market.bank
    headers = login(bank.users["product_manager"])
    segment = {"statuses": ["active"], "does_not_hold": ["savings_account"]}
    campaign = client.post(
        "/api/v1/campaigns", json=_campaign(market.savings, segment), headers=headers
    )
    built = _build(client, headers, campaign.json()["id"])
    assert built["excluded_counts"] == {"no_consent": 1}
    members = {m["customer_id"]: m for m in built["members"]}
    assert set(members) == {
        bank.anna_customer.id,
        bank.boris_customer.id,
        bank.south_customer.id,
        market.gold.id,
    }
    for member in members.values():
        assert member["view"] == "masked"
        assert member["email"].startswith("p***@") and member["phone"].endswith("456")
        assert "0600123" not in member["phone"]


def test_outcomes_results_and_the_labels_they_give_the_propensity_model(
    client: TestClient, market: Market, login: Login, session: Session
) -> None:
    bank = market.bank
    headers = login(bank.users["branch_manager"])
    campaign_id = client.post(
        "/api/v1/campaigns", json=_campaign(market.savings), headers=headers
    ).json()["id"]
    built = _build(client, headers, campaign_id)
    members = {m["customer_id"]: m["member_id"] for m in built["members"]}
    url = f"/api/v1/campaigns/{campaign_id}/members/{{}}"

    def patch(member_id: int, body: dict[str, Any], who: dict[str, str] = headers) -> Any:
        return client.patch(url.format(member_id), json=body, headers=who)

    anna, boris = members[bank.anna_customer.id], members[bank.boris_customer.id]
    contacted = patch(anna, {"outcome": "contacted", "at": "2026-03-01T10:00:00"})
    assert contacted.status_code == 200, contacted.text
    assert contacted.json()["status"] == "contacted"
    accepted = patch(anna, {"outcome": "accepted", "at": "2026-03-02T09:00:00+01:00"})
    assert accepted.json()["responded_at"] == "2026-03-02T08:00:00Z"  # in UTC
    assert accepted.json()["contacted_at"] == "2026-03-01T10:00:00Z"
    declined = patch(boris, {"outcome": "declined", "at": "2026-03-05T11:00:00"})
    assert declined.json()["contacted_at"] == declined.json()["responded_at"]
    # refused: an answer turned back into a contact, a time before the campaign, in the
    # future, or before the contact; contacting an excluded customer; other roles
    assert patch(anna, {"outcome": "contacted"}).status_code == 409
    assert patch(boris, {"outcome": "accepted", "at": "2025-12-31T10:00:00"}).status_code == 409
    assert patch(boris, {"outcome": "accepted", "at": "2099-01-01T10:00:00"}).status_code == 409
    assert patch(anna, {"outcome": "declined", "at": "2026-02-28T10:00:00"}).status_code == 409
    assert patch(anna, {"outcome": "maybe"}).status_code == 422
    excluded = client.get(f"/api/v1/campaigns/{campaign_id}/target-list", headers=headers).json()
    left_out = next(m for m in excluded["excluded"] if m["reason"] == "no_consent")
    stored = {m.customer_id: m.id for m, _ in repository.members(session, campaign_id)}
    assert patch(stored[left_out["customer_id"]], {"outcome": "contacted"}).status_code == 409
    assert (
        patch(anna, {"outcome": "declined"}, login(bank.users["account_manager"])).status_code
        == 403
    )
    other_branch = records.user(session, "branch_manager", branch=bank.south)
    session.commit()
    assert patch(anna, {"outcome": "declined"}, login(other_branch)).status_code == 404
    assert patch(999_999, {"outcome": "contacted"}).status_code == 404

    results = client.get(f"/api/v1/campaigns/{campaign_id}/results", headers=headers)
    assert results.json() == {
        "targeted": 3,
        "contacted": 2,
        "accepted": 1,
        "declined": 1,
        "response_rate": 1.0,
        "acceptance_rate": 0.5,
        "conversion_rate": round(1 / 3, 6),
    }
    detail = client.get(f"/api/v1/campaigns/{campaign_id}", headers=headers).json()
    assert detail["results"] == results.json()
    # once outcomes exist, the target list is final
    rebuilt = client.post(f"/api/v1/campaigns/{campaign_id}/target-list", headers=headers)
    assert rebuilt.status_code == 409
    # the answers are the propensity model's labels for the campaign's product
    assert repository.campaign_responses(session) == [
        (bank.anna_customer.id, market.savings.id, datetime(2026, 3, 2, 8, 0), True),
        (bank.boris_customer.id, market.savings.id, datetime(2026, 3, 5, 11, 0), False),
    ]
    assert repository.campaign_responses(session, start=datetime(2026, 3, 3)) == [
        (bank.boris_customer.id, market.savings.id, datetime(2026, 3, 5, 11, 0), False)
    ]
    labels = repository.response_labels(session)
    assert labels.to_dict("records") == [
        {"customer_id": bank.anna_customer.id, "product_id": market.savings.id,
         "responded_on": date(2026, 3, 2), "accepted": True},
        {"customer_id": bank.boris_customer.id, "product_id": market.savings.id,
         "responded_on": date(2026, 3, 5), "accepted": False},
    ]  # fmt: skip
    updates = session.scalars(
        select(AuditEvent.record_id).where(
            AuditEvent.action == "update", AuditEvent.record_type == "campaign_member"
        )
    ).all()
    assert updates == [str(anna), str(anna), str(boris)]


def test_target_list_before_it_is_built_and_of_unknown_campaigns(
    client: TestClient, market: Market, login: Login
) -> None:
    headers = login(market.bank.users["product_manager"])
    campaign_id = client.post(
        "/api/v1/campaigns", json=_campaign(market.savings), headers=headers
    ).json()["id"]
    assert (
        client.get(f"/api/v1/campaigns/{campaign_id}/target-list", headers=headers).status_code
        == 404
    )
    assert client.post("/api/v1/campaigns/999999/target-list", headers=headers).status_code == 404
    assert client.get("/api/v1/campaigns/999999/results", headers=headers).status_code == 404
    # rebuilding before any outcome replaces the list
    first = _build(client, headers, campaign_id)
    second = _build(client, headers, campaign_id)
    assert second["targeted"] == first["targeted"] == 4
