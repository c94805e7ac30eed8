"""The segment builder (/segments) and the campaign pages (/campaigns, /campaigns/new,
/campaigns/{id}): who may use them, the live count and its consent exclusions, form errors
next to their fields, CSRF refusals, masking per role, target lists and outcomes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.marketing.models import Campaign, CampaignMember
from bankcrm.products.models import Product
from tests import records
from tests.integration.web.conftest import SCORED_ON, Bank
from tests.integration.web.test_pages import log_in

PAGES = ("/segments", "/campaigns", "/campaigns/new", "/campaigns/1")
NO_MARKETING_ROLES = ("account_manager", "service_agent", "auditor", "admin")
AGGREGATE_ROLES = ("executive", "analyst")
TODAY = date.today()
OUT_OF_RANGE = "Enter a percentage from 0 to 100."


@dataclass
class Market:
    bank: Bank
    no_consent: Customer  # north, anna's
    deceased: Customer  # north, with consent
    gold: Customer  # north, boris's: gold, top band, churn 0.6
    savings: Product


@pytest.fixture
def market(session: Session, bank: Bank) -> Market:
    no_consent = records.customer(session, bank.north, bank.anna, marketing_consent=False)
    deceased = records.customer(session, bank.north, bank.anna, status="deceased")
    gold = records.customer(session, bank.north, bank.boris)
    savings = records.product(session, "savings_account", name="Family saver")
    for c in (no_consent, deceased):
        records.score(session, c, SCORED_ON)
    records.score(session, gold, SCORED_ON, tier="gold", band="top", churn_probability=0.6)
    session.commit()
    return Market(bank, no_consent, deceased, gold, savings)


def _count(session: Session, model: type[Campaign] | type[CampaignMember]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _matching(html: str) -> str:
    found = re.search(r'data-testid="matching">([^<]*)<', html)
    assert found is not None, html
    return found.group(1)


def _slot(name: str, message: str = "", oob: bool = True) -> str:
    """An error slot next to a builder field as the page (or the live count) writes it."""
    swap = ' hx-swap-oob="true"' if oob else ""
    return f'id="segment-{name}-error" class="error" role="alert"{swap}>{message}</small>'


def _create(client: TestClient, csrf: str, market: Market, **fields: str) -> int:
    data = {
        "name": "Savings for families",
        "product_id": str(market.savings.id),
        "channel": "phone",
        "starts_on": (TODAY - timedelta(days=1)).isoformat(),
        "ends_on": (TODAY + timedelta(days=30)).isoformat(),
        "segment": "{}",
        "csrf_token": csrf,
        **fields,
    }
    answer = client.post("/campaigns/new", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/campaigns/(\d+)", answer.headers["location"])
    assert found is not None
    return int(found.group(1))


def _build(client: TestClient, csrf: str, campaign_id: int) -> None:
    answer = client.post(
        f"/campaigns/{campaign_id}/target-list", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/campaigns/{campaign_id}?notice=built"


def test_strangers_go_to_the_login_form(client: TestClient) -> None:
    for path in PAGES:
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login"


@pytest.mark.parametrize("role", NO_MARKETING_ROLES)
def test_roles_without_campaigns_get_the_error_page(
    client: TestClient, market: Market, role: str
) -> None:
    csrf = log_in(client, market.bank.users[role].username)
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 403, path
        assert "Your role may not use campaigns and segments." in page.text
    count = client.post("/segments/count", data={"csrf_token": csrf})
    assert count.status_code == 403


def test_product_manager_counts_the_whole_bank_with_the_consent_exclusions(
    client: TestClient, market: Market
) -> None:
    log_in(client, market.bank.users["product_manager"].username)
    page = client.get("/segments")
    assert page.status_code == 200
    html = page.text
    # 3 customers of the bank fixture + 3 here: one has no consent, one is deceased
    assert _matching(html) == "6 customers match"
    assert "4 of them may be contacted." in html
    assert "1 left out: they have not given marketing consent." in html
    assert "1 left out: their relationship is closed or they are deceased." in html
    tiers = re.search(r'data-testid="by-tier">(.*?)</table>', html, re.S)
    assert tiers is not None
    assert re.findall(r"<td>(\w+)</td><td class=\"number\">(\d+)</td>", tiers.group(1)) == [
        ("Gold", "1"),
        ("Growth", "0"),
        ("General", "5"),
        ("Unprofitable", "0"),
    ]
    assert 'data-testid="to-campaign"' in html  # product managers run campaigns
    assert "<script>" not in html and "style=" not in html
    # The address is the segment: a reload shows the same count.
    gold = client.get("/segments?tiers=gold&churn_probability_min=50")
    assert _matching(gold.text) == "1 customers match"
    assert 'value="gold" checked' in gold.text and 'value="50"' in gold.text


def test_branch_manager_counts_only_their_branch(client: TestClient, market: Market) -> None:
    log_in(client, market.bank.users["branch_manager"].username)
    html = client.get("/segments").text
    assert _matching(html) == "5 customers match"
    assert 'name="branch_ids"' not in html  # their scope is one branch: no branch choice


@pytest.mark.parametrize("role", AGGREGATE_ROLES)
def test_executives_and_analysts_count_but_may_not_create(
    client: TestClient, market: Market, role: str
) -> None:
    log_in(client, market.bank.users[role].username)
    html = client.get("/segments").text
    assert _matching(html) == "6 customers match"
    assert 'data-testid="to-campaign"' not in html
    refused = client.get("/campaigns/new?tiers=gold")
    assert refused.status_code == 403
    assert "Your role sees campaign results only" in refused.text


def test_live_count_answers_the_count_and_the_errors_next_to_the_fields(
    client: TestClient, market: Market
) -> None:
    csrf = log_in(client, market.bank.users["product_manager"].username)
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf}
    answer = client.post("/segments/count", data={"tiers": ["gold", "growth"]}, headers=headers)
    assert answer.status_code == 200
    assert _matching(answer.text) == "1 customers match"
    assert _slot("churn_probability_max") in answer.text  # emptied
    for fields, slot, message in (
        (
            {"churn_probability_min": "60", "churn_probability_max": "30"},
            "churn_probability_max",
            "The maximum is below the minimum.",
        ),
        ({"churn_probability_min": "150"}, "churn_probability_min", OUT_OF_RANGE),
        ({"clv_min": "lots"}, "clv_min", "Enter a number."),
        ({"age_max": "30.5"}, "age_max", "Enter a whole number."),
        ({"tiers": "platinum"}, "tiers", "Choose one of the options."),
        ({"branch_ids": "north"}, "branch_ids", "Choose one of the options."),
        ({"regions": "North\x00"}, "regions", "This value is not accepted."),
    ):
        answer = client.post("/segments/count", data=fields, headers=headers)
        assert answer.status_code == 200, fields
        assert _slot(slot, message) in answer.text, fields
        assert 'data-testid="fix-errors"' in answer.text and "customers match" not in answer.text
    # the same errors on the full page, with the field marked
    page = client.get("/segments?age_min=50&age_max=20")
    assert _slot("age_max", "The maximum is below the minimum.", oob=False) in page.text
    assert 'id="segment-age_max" step="1" min="0" max="130" value="20" aria-invalid' in page.text


def test_live_count_without_the_token_is_refused(client: TestClient, market: Market) -> None:
    log_in(client, market.bank.users["product_manager"].username)
    answer = client.post("/segments/count", data={"tiers": "gold", "csrf_token": "forged"})
    assert answer.status_code == 403
    assert "The form had expired" in answer.text
    assert client.post("/segments/count", data={}).status_code == 403
