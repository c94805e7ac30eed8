"""Campaigns in Chromium: a product manager builds a segment and watches the live count
(and the consent exclusion) change with the filters, creates a campaign from it, builds
its target list (masked) and records outcomes that move the chart; an analyst sees the
results and no personal identifier; both pages fit a 375x812 phone. The phone checks
read the campaign the flow creates, so they are the flow's last steps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from bankcrm.kit.db import make_engine
from tests import records
from tests.e2e.conftest import E2E, PHONE, Server, Watched, another_window
from tests.e2e.test_workbench import log_in

pytestmark = E2E
SCORED_ON = date(2026, 9, 30)  # the other modules' latest scoring too
REGION = "Vysocina"  # only this module's customers live there: exact counts
TIERS = ("gold", "gold", "gold", "growth", "general", "general", "general", "unprofitable")


@dataclass(frozen=True)
class Market:
    product_manager: str
    emails: tuple[str, ...]
    numbers: tuple[str, ...]
    surnames: tuple[str, ...]


@pytest.fixture(scope="module")
def market(server: Server) -> Market:
    """Ten scored customers in a region of their own (two without marketing consent, one
    of them gold), a product to offer and a product manager, in the shared server."""
    engine = make_engine(server.database_url)
    with Session(engine) as session:
        west = records.branch(session, name="West", region=REGION)
        eva = records.staff(session, west)
        customers = []
        for n in range(10):
            consent = n not in (0, 9)
            customer = records.customer(
                session, west, eva, region=REGION, marketing_consent=consent
            )
            tier = TIERS[n] if n < len(TIERS) else "general"
            records.score(session, customer, SCORED_ON, tier=tier, churn_probability=n / 10)
            customers.append(customer)
        records.product(session, "savings_account", name="Family saver")
        manager = records.user(session, "product_manager")
        session.commit()
        found = Market(
            manager.username,
            tuple(c.email or "" for c in customers),
            tuple(c.customer_no for c in customers),
            tuple(c.last_name or "" for c in customers),
        )
    engine.dispose()
    return found


def no_sideways_scrolling(page: Page) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def change(page: Page, selector: str, value: str) -> None:
    """Type into a box and leave it, as a person does (the change event htmx listens to)."""
    page.locator(selector).fill(value)
    page.locator(selector).press("Tab")


def test_product_manager_runs_a_campaign(
    desk: Watched, server: Server, market: Market, browser: Browser
) -> None:
    """Then, on that campaign: an analyst's and the product manager's phone."""
    page = desk.page
    log_in(page, server, market.product_manager)
    expect(page).to_have_url(f"{server.url}/")
    page.locator("[data-area=segments] a").first.click()
    expect(page).to_have_url(f"{server.url}/segments")
    page.wait_for_load_state("load")

    # The count follows the filters (htmx), with the consent exclusion in words.
    page.get_by_text("Where", exact=True).click()
    page.get_by_label("Regions, separated by commas").press_sequentially(REGION)  # keyup
    count = page.get_by_test_id("segment-count")
    expect(count.get_by_test_id("matching")).to_have_text("10 customers match")
    expect(count.get_by_test_id("no-consent")).to_have_text(
        "2 left out: they have not given marketing consent."
    )
    expect(count.get_by_test_id("reachable")).to_have_text("8 of them may be contacted.")
    page.get_by_test_id("segment-form").get_by_label("Gold").check()
    expect(count.get_by_test_id("matching")).to_have_text("3 customers match")
    expect(count.get_by_test_id("no-consent")).to_have_text(
        "1 left out: they have not given marketing consent."
    )
    expect(count.get_by_test_id("by-tier")).to_contain_text("Gold3")
    desk.shot("segment")

    # An impossible range: the error next to the field, no count until it is fixed.
    change(page, "#segment-churn_probability_min", "60")
    change(page, "#segment-churn_probability_max", "30")
    expect(page.locator("#segment-churn_probability_max-error")).to_have_text(
        "The maximum is below the minimum."
    )
    expect(count.get_by_test_id("fix-errors")).to_be_visible()
    desk.shot("segment-error")
    change(page, "#segment-churn_probability_max", "")
    expect(page.locator("#segment-churn_probability_max-error")).to_have_text("")
    expect(count.get_by_test_id("matching")).to_have_text("0 customers match")
    change(page, "#segment-churn_probability_min", "")
    expect(count.get_by_test_id("matching")).to_have_text("3 customers match")

    # From the segment to a campaign.
    page.get_by_test_id("to-campaign").click()
    expect(page).to_have_url(re.compile(r"/campaigns/new\?tiers=gold&.*regions=Vysocina"))
    assert "csrf" not in page.url  # the token never goes into an address
    summary = page.get_by_test_id("segment-summary")
    expect(summary).to_contain_text("Tier: Gold")
    expect(summary).to_contain_text(f"Regions: {REGION}")
    form = page.get_by_test_id("campaign-form")
    form.get_by_role("button", name="Create the campaign").click()
    expect(page.locator("#campaign-name-error")).to_have_text("This field is required.")
    expect(page.locator("#campaign-product_id-error")).to_be_visible()
    page.locator("#campaign-name").fill("Gold savers in Vysocina")
    offer = page.locator("#campaign-product_id option", has_text="Family saver").first
    page.locator("#campaign-product_id").select_option(offer.get_attribute("value") or "")
    page.locator("#campaign-starts_on").fill((date.today() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Create the campaign").click()
    expect(page.get_by_test_id("campaign-name")).to_have_text("Gold savers in Vysocina")
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("no-target-list")).to_be_visible()

    # The target list: consent only, masked for a product manager.
    page.get_by_test_id("build").click()
    expect(page.get_by_test_id("notice")).to_contain_text("The target list is built")
    expect(page.get_by_test_id("target-counts")).to_contain_text(
        "3 customers matched, 2 are targeted."
    )
    expect(page.get_by_test_id("exclusions")).to_contain_text("1 left out: no marketing consent")
    rows = page.get_by_test_id("member")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("***@mail.example")
    body = page.locator("main").inner_text()
    for email in market.emails:
        assert email not in body
    expect(page.locator("[data-chart=campaign-results] canvas")).to_have_count(1)
    page.evaluate("window.notReloaded = true")

    # Outcomes: the row and the results change without a reload.
    first = rows.first
    first.get_by_role("button", name="Contacted").click()
    expect(first.get_by_test_id("member-status")).to_have_text("Contacted")
    expect(page.get_by_test_id("contacted")).to_have_text("1")
    first.get_by_role("button", name="Accepted").click()
    expect(first.get_by_test_id("member-status")).to_have_text("Accepted")
    expect(page.get_by_test_id("accepted")).to_have_text("1")
    expect(page.get_by_test_id("response_rate")).to_have_text("100 %")
    expect(page.get_by_test_id("results")).to_have_count(1)
    expect(page.locator("[data-chart=campaign-results] canvas")).to_have_count(1)
    assert page.evaluate("window.notReloaded") is True
    expect(page.get_by_test_id("build")).to_have_count(0)  # the list is final now
    desk.shot("campaign")

    page.goto(f"{server.url}/campaigns")
    expect(page.get_by_test_id("campaigns")).to_contain_text("Gold savers in Vysocina")

    with another_window(browser, f"{desk.name}-analyst", PHONE) as phone:
        analyst_sees_results_and_no_customer_on_a_phone(phone, server, market)
    with another_window(browser, f"{desk.name}-manager", PHONE) as phone:
        product_manager_pages_fit_a_phone(phone, server, market)


def analyst_sees_results_and_no_customer_on_a_phone(
    phone: Watched, server: Server, market: Market
) -> None:
    page = phone.page
    log_in(page, server, server.users["analyst"])
    expect(page).to_have_url(f"{server.url}/")
    page.goto(f"{server.url}/segments?regions={REGION}")
    expect(page.get_by_test_id("matching")).to_have_text("10 customers match")
    expect(page.get_by_test_id("to-campaign")).to_have_count(0)
    no_sideways_scrolling(page)
    phone.shot("segment")

    page.goto(f"{server.url}/campaigns")
    link = page.get_by_role("link", name="Gold savers in Vysocina")
    expect(link).to_have_count(1)
    expect(page.get_by_test_id("new-campaign")).to_have_count(0)
    no_sideways_scrolling(page)
    link.click()
    expect(page.get_by_test_id("aggregates-only")).to_be_visible()
    expect(page.get_by_test_id("targeted")).to_have_text("2")
    expect(page.get_by_test_id("accepted")).to_have_text("1")
    expect(page.locator("[data-chart=campaign-results] canvas")).to_have_count(1)
    expect(page.get_by_test_id("build")).to_have_count(0)
    expect(page.get_by_test_id("member")).to_have_count(0)
    html = page.content()
    for value in (*market.emails, *market.numbers, *market.surnames):
        assert value not in html
    no_sideways_scrolling(page)
    phone.shot("campaign")


def product_manager_pages_fit_a_phone(phone: Watched, server: Server, market: Market) -> None:
    page = phone.page
    log_in(page, server, market.product_manager)
    expect(page).to_have_url(f"{server.url}/")
    page.goto(f"{server.url}/segments?regions={REGION}&tiers=gold")
    expect(page.get_by_test_id("matching")).to_have_text("3 customers match")
    no_sideways_scrolling(page)
    page.get_by_test_id("to-campaign").click()
    expect(page.get_by_test_id("segment-summary")).to_contain_text("Tier: Gold")
    no_sideways_scrolling(page)
    phone.shot("new-campaign")
    page.goto(f"{server.url}/campaigns")
    page.get_by_role("link", name="Gold savers in Vysocina").click()
    expect(page.get_by_test_id("member")).to_have_count(2)
    no_sideways_scrolling(page)
    phone.shot("campaign")
