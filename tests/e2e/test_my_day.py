"""An account manager's day in Chromium: the worklist with its reasons, the tier-mix chart
(a canvas), marking a task done, the customer list filtered and paged through htmx, and
both pages on a 375x812 phone screen. Any console error fails the test (conftest)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.kit.db import make_engine
from bankcrm.security.models import User
from bankcrm.staff.models import Branch, Staff
from tests import records
from tests.e2e.conftest import E2E, Server, Watched
from tests.e2e.test_workbench import log_in

pytestmark = E2E

REASON = "Churn risk 64%: salary stopped arriving, balances fell by 40%"
TIERS = ("gold", "growth", "general", "unprofitable")


@pytest.fixture(scope="module")
def portfolio(server: Server) -> Iterator[None]:
    """Thirty scored customers of the account manager, two scorings, tasks and a case."""
    engine = make_engine(server.database_url)
    with Session(engine) as session:
        user = session.scalars(
            select(User).where(User.username == server.users["account_manager"])
        ).one()
        anna = session.get(Staff, user.staff_id)
        assert anna is not None
        north = session.get(Branch, anna.branch_id)
        assert north is not None
        today = date.today()
        for n in range(30):
            customer = records.customer(session, north, anna)
            records.score(session, customer, date(2026, 8, 31), tier=TIERS[n % 2 * 2])
            records.score(
                session,
                customer,
                date(2026, 9, 30),
                tier=TIERS[n % 4],
                value_at_risk=100.0 * n,
                churn_probability=n / 40,
            )
            if n == 29:
                records.task(
                    session,
                    customer,
                    kind="retention_call",
                    reason=REASON,
                    value_at_risk=12_500.0,
                    due_on=today - timedelta(days=1),
                )
                records.task(
                    session,
                    customer,
                    kind="review",
                    reason="Monthly review of a gold customer",
                    value_at_risk=300.0,
                    due_on=today + timedelta(days=5),
                )
                records.case(session, customer, topic="card fee refund", breached=True)
        session.commit()
    engine.dispose()
    yield


def no_sideways_scrolling(page: Page) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_my_day_and_the_portfolio(desk: Watched, server: Server, portfolio: None) -> None:
    page = desk.page
    log_in(page, server, server.users["account_manager"])
    page.get_by_role("link", name="Today's worklist").click()
    expect(page).to_have_url(f"{server.url}/worklist")
    expect(page.get_by_role("heading", level=1)).to_have_text("My day")
    tasks = page.get_by_test_id("task")
    expect(tasks.first.get_by_test_id("reason")).to_have_text(REASON)  # most value at risk
    expect(page.get_by_test_id("due")).to_contain_text("Overdue since")
    expect(page.get_by_test_id("alerts")).to_contain_text("SLA breached")
    expect(page.locator("[data-chart=tier-mix] canvas")).to_have_count(1)
    desk.shot("my-day")

    page.evaluate("window.stayedOnPage = true")
    tasks.first.get_by_role("button", name="Mark done").click()
    expect(page.get_by_test_id("notice")).to_have_text("The task is marked done.")
    expect(page.get_by_text(REASON)).to_have_count(0)
    expect(page.get_by_test_id("task")).to_have_count(1)
    expect(page.locator("[data-chart=tier-mix] canvas")).to_have_count(1)  # drawn again
    assert page.evaluate("window.stayedOnPage === true"), "htmx swapped, no reload"
    desk.shot("my-day-done")

    page.goto(f"{server.url}/customers")
    # Other modules add customers to the shared server: count what is there.
    count = page.get_by_test_id("count")
    expect(count).to_contain_text("customers")
    total = int(re.sub(r"\D", "", count.inner_text().split(" customers")[0]))
    assert total >= 31
    page.evaluate("window.stayedOnPage = true")
    page.get_by_label("Tier").select_option("gold")
    expect(page).to_have_url(re.compile(r"tier=gold"))
    rows = page.get_by_test_id("customers").locator("tbody tr")
    expect(count).not_to_contain_text(f"{total:,} customers")
    tiers = rows.locator("td:nth-child(3)").all_inner_texts()
    assert len(tiers) >= 8 and set(tiers) == {"Gold"}
    page.get_by_label("Tier").select_option("")
    page.get_by_label("Sort").select_option("-value_at_risk")
    expect(page).to_have_url(re.compile(r"sort=-value_at_risk"))  # pushed after the swap
    expect(count).to_contain_text("Page 1 of")
    expect(rows).to_have_count(25)
    first_page = rows.locator("td:nth-child(2)").all_inner_texts()
    page.get_by_test_id("pager").get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(count).to_contain_text("Page 2 of")
    expect(rows).to_have_count(min(25, total - 25))
    assert not set(rows.locator("td:nth-child(2)").all_inner_texts()) & set(first_page)
    assert page.evaluate("window.stayedOnPage === true"), "htmx swapped, no reload"
    desk.shot("customers-page-2")
    # A bad parameter is explained on the page.
    page.goto(f"{server.url}/customers?sort=shoe_size&page=0")
    expect(page.get_by_test_id("problem")).to_have_count(2)
    desk.shot("customers-bad-parameters")


def test_my_day_and_the_portfolio_on_a_phone(
    phone: Watched, server: Server, portfolio: None
) -> None:
    page = phone.page
    log_in(page, server, server.users["account_manager"])
    page.goto(f"{server.url}/worklist")
    expect(page.locator("[data-chart=tier-mix] canvas")).to_have_count(1)
    no_sideways_scrolling(page)
    phone.shot("my-day")
    page.goto(f"{server.url}/customers")
    expect(page.get_by_test_id("customers")).to_be_visible()
    no_sideways_scrolling(page)
    phone.shot("customers")
    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("客户")
    page.wait_for_load_state("load")  # the styles too, before measuring
    no_sideways_scrolling(page)
    phone.shot("customers-zh")
    # The switch is kept on the user now: back to English for the other browser tests.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")
