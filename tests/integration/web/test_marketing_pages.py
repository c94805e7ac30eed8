"""The segment builder (/segments) and the campaign pages (/campaigns, /campaigns/new,
/campaigns/{id}): who may use them, the live count and its consent exclusions, form errors
next to their fields, CSRF refusals, masking per role, target lists and outcomes."""

from __future__ import annotations

import json
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
from bankcrm.security.models import AuditEvent
from tests import records
from tests.integration.web.conftest import SCORED_ON, Bank
from tests.integration.web.test_pages import log_in

PAGES = ("/segments", "/campaigns", "/campaigns/new", "/campaigns/1")
NO_MARKETING_ROLES = ("account_manager", "service_agent", "auditor", "admin")
AGGREGATE_ROLES = ("executive", "analyst")
TODAY = date.today()
OUT_OF_RANGE = "Enter a percentage from 0 to 100."
COLON = "\uff1a"  # the full-width colon of Chinese text


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


def test_new_campaign_form_carries_the_segment_from_the_builder(
    client: TestClient, market: Market
) -> None:
    log_in(client, market.bank.users["product_manager"].username)
    page = client.get("/campaigns/new?tiers=gold&churn_probability_min=50&holds=mortgage")
    assert page.status_code == 200
    html = page.text
    summary = re.search(r'data-testid="segment-summary">(.*?)</ul>', html, re.S)
    assert summary is not None
    assert "Tier: Gold" in summary.group(1) and "Churn risk: 50 % or more" in summary.group(1)
    assert "Holds: Mortgage" in summary.group(1)
    hidden = re.search(r'name="segment" value="([^"]*)"', html)
    assert hidden is not None
    assert hidden.group(1) == (
        "{&#34;tiers&#34;:[&#34;gold&#34;],&#34;churn_probability&#34;:{&#34;min&#34;:0.5},"
        "&#34;holds&#34;:[&#34;mortgage&#34;]}"
    )
    assert "Family saver" in html  # the products on offer
    # the way back to the builder keeps the segment
    assert "/segments?tiers=gold&amp;holds=mortgage&amp;churn_probability_min=50" in html
    broken = client.get("/campaigns/new?churn_probability_min=90&churn_probability_max=10")
    assert "The segment has errors: change it in the segment builder." in broken.text
    assert 'name="segment" value=""' in broken.text


def test_bad_campaign_input_comes_back_next_to_the_fields_and_writes_nothing(
    client: TestClient, market: Market, session: Session
) -> None:
    csrf = log_in(client, market.bank.users["product_manager"].username)
    base = {
        "name": "Savings",
        "product_id": str(market.savings.id),
        "channel": "phone",
        "starts_on": "2026-06-01",
        "ends_on": "2026-06-30",
        "segment": "{}",
        "csrf_token": csrf,
    }
    for change, field, message in (
        ({"name": "  "}, "name", "This field is required."),
        ({"ends_on": "2026-05-01"}, "ends_on", "The campaign cannot end before it starts."),
        ({"starts_on": "soon"}, "starts_on", "Enter a date."),
        ({"product_id": "999999"}, "product_id", "This product does not exist."),
        ({"product_id": "savings"}, "product_id", "Choose one of the options."),
        ({"channel": "pigeon"}, "channel", "Choose one of the options."),
        ({"segment": '{"tiers": ["platinum"]}'}, "segment", "The segment has errors"),
        ({"segment": "not json"}, "segment", "The segment has errors"),
    ):
        answer = client.post("/campaigns/new", data={**base, **change}, follow_redirects=False)
        assert answer.status_code == 200, change
        assert f'id="campaign-{field}-error" role="alert">{message}' in answer.text, change
        assert "<!doctype html>" in answer.text  # a plain post: the whole page again
    htmx = client.post("/campaigns/new", data={**base, "name": ""}, headers={"HX-Request": "true"})
    assert htmx.text.lstrip().startswith("<form") and 'aria-invalid="true"' in htmx.text
    assert 'value="2026-06-01"' in htmx.text  # what was typed stays
    assert _count(session, Campaign) == 0
    refused = client.post("/campaigns/new", data={**base, "csrf_token": "forged"})
    assert refused.status_code == 403 and _count(session, Campaign) == 0
    created = client.post("/campaigns/new", data=base, headers={"HX-Request": "true"})
    assert created.headers["HX-Redirect"].startswith("/campaigns/")
    assert _count(session, Campaign) == 1


@pytest.mark.parametrize("role", AGGREGATE_ROLES)
def test_aggregate_roles_may_not_post_campaign_changes(
    client: TestClient, market: Market, role: str
) -> None:
    csrf = log_in(client, market.bank.users["product_manager"].username)
    campaign_id = _create(client, csrf, market)
    client.cookies.clear()
    csrf = log_in(client, market.bank.users[role].username)
    data = {"name": "x", "product_id": str(market.savings.id), "csrf_token": csrf}
    assert client.post("/campaigns/new", data=data).status_code == 403
    build = client.post(f"/campaigns/{campaign_id}/target-list", data={"csrf_token": csrf})
    assert build.status_code == 403
    outcome = client.post(
        f"/campaigns/{campaign_id}/members/1/outcome",
        data={"outcome": "contacted", "csrf_token": csrf},
    )
    assert outcome.status_code == 403


def test_product_manager_builds_a_target_list_and_records_outcomes(
    client: TestClient, market: Market, session: Session
) -> None:
    csrf = log_in(client, market.bank.users["product_manager"].username)
    campaign_id = _create(client, csrf, market)
    listed = client.get("/campaigns").text
    assert "Savings for families" in listed and "Draft: no target list yet" in listed
    assert 'data-testid="new-campaign"' in listed
    page = client.get(f"/campaigns/{campaign_id}").text
    assert 'data-testid="no-target-list"' in page and 'data-testid="build"' in page
    assert "Every customer in scope" in page
    refused = client.post(f"/campaigns/{campaign_id}/target-list", data={"csrf_token": "x"})
    assert refused.status_code == 403 and _count(session, CampaignMember) == 0
    _build(client, csrf, campaign_id)
    page = client.get(f"/campaigns/{campaign_id}?notice=built").text
    assert "The target list is built" in page
    assert "6 customers matched, 4 are targeted." in page
    assert "1 left out: no marketing consent" in page
    assert "1 left out: closed or deceased" in page
    members = re.findall(r'data-member-id="(\d+)"', page)
    assert len(members) == 4
    # masked for a product manager: e-mail and phone, never in full
    gold = market.gold
    assert gold.customer_no in page and gold.email is not None
    assert gold.email not in page and "p***@mail.example" in page
    assert "+420600123456" not in page and "**********456" in page
    assert market.no_consent.customer_no not in page  # left out: not on the list
    assert 'id="campaign-results-data"' in page and "Running" in page
    # outcomes, with htmx: the row and the results come back
    first = members[0]
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf}
    url = f"/campaigns/{campaign_id}/members/{first}/outcome"
    answer = client.post(url, data={"outcome": "contacted"}, headers=headers)
    assert answer.status_code == 200
    row, results = answer.text.split('<section id="campaign-results"', 1)
    assert row.rstrip().endswith("<template>")  # parsed apart from the table row
    assert row.lstrip().startswith(f'<tr id="member-{first}"')
    assert ">Contacted</span>" in row and 'value="contacted"' not in row
    assert 'hx-swap-oob="true"' in results and 'data-testid="contacted">1<' in results
    answer = client.post(url, data={"outcome": "accepted"}, headers=headers)
    assert ">Accepted</span>" in answer.text and "<form" not in answer.text.split("<section")[0]
    assert 'data-testid="response_rate">100 %<' in answer.text
    bad = client.post(url, data={"outcome": "contacted"}, headers=headers)
    assert "This clashes with the outcome recorded meanwhile." in bad.text
    junk = client.post(url, data={"outcome": "maybe"}, headers=headers)
    assert "Choose one of the options." in junk.text
    forged = client.post(url, data={"outcome": "declined", "csrf_token": "forged"})
    assert forged.status_code == 403
    plain = client.post(
        f"/campaigns/{campaign_id}/members/{members[1]}/outcome",
        data={"outcome": "declined", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert plain.status_code == 303 and plain.headers["location"] == f"/campaigns/{campaign_id}"
    statuses = session.scalars(
        select(CampaignMember.status).where(CampaignMember.campaign_id == campaign_id)
    ).all()
    assert sorted(statuses) == [
        "accepted",
        "declined",
        "excluded",
        "excluded",
        "targeted",
        "targeted",
    ]
    page = client.get(f"/campaigns/{campaign_id}").text
    assert 'data-testid="build"' not in page  # outcomes are recorded: the list is final
    rebuild = client.post(
        f"/campaigns/{campaign_id}/target-list", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert rebuild.headers["location"] == f"/campaigns/{campaign_id}?notice=final"


def test_outcomes_wait_for_the_campaign_to_start(client: TestClient, market: Market) -> None:
    csrf = log_in(client, market.bank.users["product_manager"].username)
    later = (TODAY + timedelta(days=10)).isoformat()
    campaign_id = _create(client, csrf, market, starts_on=later)
    _build(client, csrf, campaign_id)
    page = client.get(f"/campaigns/{campaign_id}").text
    assert "Planned" in page
    member = re.findall(r'data-member-id="(\d+)"', page)[0]
    answer = client.post(
        f"/campaigns/{campaign_id}/members/{member}/outcome",
        data={"outcome": "contacted"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert "The campaign has not started yet" in answer.text
    assert ">Not contacted yet</span>" in answer.text


@pytest.mark.parametrize("role", AGGREGATE_ROLES)
def test_executives_and_analysts_see_results_and_no_customer(
    client: TestClient, market: Market, session: Session, role: str
) -> None:
    csrf = log_in(client, market.bank.users["product_manager"].username)
    campaign_id = _create(client, csrf, market)
    _build(client, csrf, campaign_id)
    client.cookies.clear()
    log_in(client, market.bank.users[role].username)
    listed = client.get("/campaigns").text
    assert "Savings for families" in listed and 'data-testid="new-campaign"' not in listed
    page = client.get(f"/campaigns/{campaign_id}")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="targeted">4<' in html
    assert 'data-testid="aggregates-only"' in html and 'data-testid="build"' not in html
    for c in session.scalars(select(Customer)):
        assert c.customer_no not in html and (c.email or "@") not in html
        assert (c.last_name or "-") not in html


def test_branch_manager_runs_a_branch_campaign_in_full(client: TestClient, market: Market) -> None:
    csrf = log_in(client, market.bank.users["product_manager"].username)
    bank_wide = _create(client, csrf, market)
    client.cookies.clear()
    csrf = log_in(client, market.bank.users["branch_manager"].username)
    assert client.get(f"/campaigns/{bank_wide}").status_code == 404
    assert "Savings for families" not in client.get("/campaigns").text
    local = _create(client, csrf, market, name="North savings")
    _build(client, csrf, local)
    page = client.get(f"/campaigns/{local}").text
    assert "Customers of branch" in page
    assert "6 customers matched, 3 are targeted." in page
    # the south customer is not theirs: counted, never named
    assert "1 left out: outside this campaign" in page
    assert market.gold.email is not None and market.gold.email in page  # their branch: in full
    assert market.bank.south_customer.customer_no not in page


def test_junk_addresses_are_404_pages_and_bad_pages_are_said(
    client: TestClient, market: Market
) -> None:
    csrf = log_in(client, market.bank.users["product_manager"].username)
    for path in ("/campaigns/abc", "/campaigns/0", "/campaigns/99999999999", "/campaigns/424242"):
        page = client.get(path)
        assert page.status_code == 404, path
        assert "This campaign does not exist" in page.text
    outcome = client.post(
        "/campaigns/424242/members/1/outcome", data={"outcome": "contacted", "csrf_token": csrf}
    )
    assert outcome.status_code == 404
    assert client.post("/campaigns/x/target-list", data={"csrf_token": csrf}).status_code == 404
    campaign_id = _create(client, csrf, market)
    _build(client, csrf, campaign_id)
    other = client.post(
        f"/campaigns/{campaign_id}/members/999999/outcome",
        data={"outcome": "contacted", "csrf_token": csrf},
    )
    assert other.status_code == 404
    far = client.get(f"/campaigns/{campaign_id}?page=7")
    assert far.status_code == 200 and "There is no such page; showing the last one." in far.text
    assert len(re.findall(r'data-member-id="', far.text)) == 4
    junk = client.get("/campaigns?page=-3")
    assert junk.status_code == 200 and 'data-testid="problem"' in junk.text
    assert client.get("/segments?tiers=%00&age_min=1e999").status_code == 200


def test_a_long_target_list_is_paged_and_only_the_page_shown_is_audited(
    client: TestClient, market: Market, session: Session
) -> None:
    for _ in range(22):
        extra = records.customer(session, market.bank.north, market.bank.anna)
        records.score(session, extra, SCORED_ON)
    session.commit()
    csrf = log_in(client, market.bank.users["product_manager"].username)
    campaign_id = _create(client, csrf, market)
    _build(client, csrf, campaign_id)  # 26 targeted
    before = session.scalar(select(func.max(AuditEvent.id))) or 0
    page = client.get(f"/campaigns/{campaign_id}").text
    assert "28 customers matched, 26 are targeted." in page
    assert len(re.findall(r'data-member-id="', page)) == 20 and "Page 1 of 2" in page
    second = client.get(f"/campaigns/{campaign_id}?page=2").text
    assert len(re.findall(r'data-member-id="', second)) == 6
    session.expire_all()
    reads = session.scalars(
        select(AuditEvent).where(
            AuditEvent.id > before,
            AuditEvent.action == "list",
            AuditEvent.record_type == "customer",
        )
    ).all()
    assert [len(json.loads(e.record_ids or "[]")) for e in reads] == [20, 6]
    # the second page's outcome buttons come back to the second page without htmx
    member = re.findall(r'data-member-id="(\d+)"', second)[0]
    answer = client.post(
        f"/campaigns/{campaign_id}/members/{member}/outcome",
        data={"outcome": "contacted", "page": "2", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert answer.headers["location"] == f"/campaigns/{campaign_id}?page=2"


def test_the_pages_speak_chinese(client: TestClient, market: Market) -> None:
    csrf = log_in(client, market.bank.users["product_manager"].username)
    campaign_id = _create(client, csrf, market)
    _build(client, csrf, campaign_id)
    client.cookies.set("bankcrm_lang", "zh_Hans")
    segments = client.get("/segments").text
    assert f"符合条件的客户{COLON}6 位" in segments and "未同意接收营销信息" in segments
    page = client.get(f"/campaigns/{campaign_id}").text
    assert "目标客户名单" in page and f"已排除 1 位{COLON}未同意接收营销信息" in page
    chart = re.search(r'id="campaign-results-data">([^<]*)<', page)
    assert chart is not None  # the chart's words too
    assert json.loads(chart.group(1))["stages"][0] == {"name": "目标客户", "value": 4}
