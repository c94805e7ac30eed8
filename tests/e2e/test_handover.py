"""A portfolio handover in Chromium, maker-checker: the account manager selects customers
on the customer list and proposes handing them to another manager with a note (a refused
form first); she is offered no approve button; the branch manager approves; the customers
show their new manager and the churn watch; the scorecards page draws its charts. Then the
pages on a 375x812 phone. Any console error fails the test (conftest)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.kit.db import make_engine
from bankcrm.security.models import User
from bankcrm.staff.models import Branch, Staff
from tests import records
from tests.e2e.conftest import E2E, PHONE, Server, Watched, another_window
from tests.e2e.test_workbench import log_in

pytestmark = E2E

NOTE = "Anna joins corporate banking; the Handover customers were told by phone."


@dataclass(frozen=True)
class Team:
    boris: str  # the receiving account manager's name
    boris_user: str  # his username
    moved: list[str]  # last names of the customers Anna hands over
    kept: str  # last name of a customer of Anna's she keeps


@pytest.fixture(scope="module")
def team(server: Server) -> Iterator[Team]:
    """A second account manager of the branch (staff and user) and three customers of
    Anna's with a name to search for; two move, one stays."""
    engine = make_engine(server.database_url)
    with Session(engine) as session:
        user = session.scalars(
            select(User).where(User.username == server.users["account_manager"])
        ).one()
        anna = session.get(Staff, user.staff_id)
        assert anna is not None
        north = session.get(Branch, anna.branch_id)
        assert north is not None
        boris = records.staff(session, north, first_name="Boris", last_name="Receiver")
        boris_user = records.user(session, "account_manager", staff=boris)
        names = ["Handovera", "Handoverb", "Handoverc"]
        for n, last_name in enumerate(names):
            customer = records.customer(session, north, anna, last_name=last_name)
            records.score(session, customer, date(2026, 9, 30), tier=("gold", "growth")[n % 2])
        session.commit()
        team = Team("Boris Receiver", boris_user.username, names[:2], names[2])
    engine.dispose()
    yield team


def no_sideways_scrolling(page: Page) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def log_out(page: Page, server: Server) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{server.url}/login")


def test_handover_from_proposal_to_approval(
    desk: Watched, server: Server, team: Team, browser: Browser
) -> None:
    """Then the branch manager's phone, on the handover made here."""
    page = desk.page
    log_in(page, server, server.users["account_manager"])
    page.goto(f"{server.url}/customers")
    page.get_by_label("Search").fill("Handover")
    page.get_by_role("button", name="Show").click()
    rows = page.get_by_test_id("customers").locator("tbody tr")
    expect(rows).to_have_count(3)
    page.evaluate("window.stayedOnPage = true")
    # "Select all on this page", then leave out the customer Anna keeps.
    page.get_by_test_id("select-all").check()
    expect(page.get_by_test_id("select-customer").nth(2)).to_be_checked()
    page.get_by_label(re.compile(f"Select .* {team.kept}")).uncheck()
    expect(page.get_by_test_id("select-all")).not_to_be_checked()
    panel = page.get_by_test_id("bulk-panel")
    panel.get_by_label("Receiving manager").select_option(label=team.boris)
    panel.get_by_label("Handover note").fill("too short")
    panel.get_by_role("button", name="Propose the handover").click()
    expect(page.get_by_test_id("error-handover_note")).to_have_text(
        "Too short: at least 10 characters."
    )
    assert page.evaluate("window.stayedOnPage === true"), "htmx swapped the form only"
    expect(page.get_by_test_id("select-customer").nth(0)).to_be_checked()  # selection kept
    desk.shot("bulk-refused")
    page.get_by_test_id("bulk-panel").get_by_label("Handover note").fill(NOTE)
    page.get_by_test_id("bulk-panel").get_by_role("button", name="Propose the handover").click()

    expect(page).to_have_url(re.compile(r"/portfolio-transfers/\d+\?notice=proposed"))
    transfer_url = page.url.split("?")[0]
    expect(page.get_by_test_id("status")).to_have_text("Waiting for a decision")
    expect(page.get_by_test_id("receiver")).to_have_text(team.boris)
    moved = page.get_by_test_id("transfer-customers").locator("tbody tr")
    expect(moved).to_have_count(2)
    expect(page.get_by_test_id("transfer-customers")).not_to_contain_text(team.kept)
    expect(page.get_by_test_id("approve")).to_have_count(0)  # the maker is no checker
    expect(page.get_by_test_id("waiting")).to_be_visible()
    desk.shot("proposed")
    log_out(page, server)

    log_in(page, server, server.users["branch_manager"])
    page.goto(f"{server.url}/portfolio-transfers")
    first = page.get_by_test_id("transfers").locator("tbody tr").first
    expect(first).to_contain_text("Waiting for a decision")  # pending first
    first.get_by_role("link").click()
    expect(page).to_have_url(transfer_url)
    page.get_by_label(re.compile("Reason or note")).fill("Agreed with Boris.")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("notice")).to_contain_text("The handover is approved")
    expect(page.get_by_test_id("status")).to_have_text("Approved")
    expect(page.get_by_test_id("approve")).to_have_count(0)
    watch = page.get_by_test_id("watch").locator("tbody tr")
    expect(watch).to_have_count(2)
    desk.shot("approved")

    page.goto(f"{server.url}/customers?q=Handover")
    for name in team.moved:
        row = page.get_by_test_id("customers").locator("tr", has_text=name)
        expect(row.get_by_test_id("manager")).to_have_text(team.boris)
    kept = page.get_by_test_id("customers").locator("tr", has_text=team.kept)
    expect(kept.get_by_test_id("manager")).not_to_have_text(team.boris)
    desk.shot("customers-moved")

    page.goto(f"{server.url}/scorecards")
    expect(page.get_by_role("heading", level=1)).to_have_text("Manager scorecards")
    cards = page.get_by_test_id("scorecard")
    expect(cards.filter(has_text=team.boris)).to_have_count(1)
    assert cards.count() >= 2  # Anna, Boris and any other manager of the branch
    expect(page.locator("[data-chart=scorecard] canvas")).to_have_count(cards.count())
    expect(page.locator("[data-chart=ranking] canvas")).to_have_count(1)
    page.get_by_label("From").fill("2026-06-30")
    page.get_by_label("To").fill("2026-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("error-to")).to_have_text("The period ends before it starts.")
    desk.shot("scorecards-bad-period")

    with another_window(browser, f"{desk.name}-phone", PHONE) as phone:
        staff_pages_on_a_phone(phone, server)


def test_the_receiver_sees_the_watch_and_only_his_own_scorecard(
    desk: Watched, server: Server, team: Team
) -> None:
    page = desk.page
    log_in(page, server, team.boris_user)
    page.goto(f"{server.url}/portfolio-transfers")
    expect(page.get_by_test_id("filters")).to_be_visible()
    page.goto(f"{server.url}/scorecards")
    expect(page.get_by_test_id("scorecard")).to_have_count(1)
    expect(page.get_by_test_id("scorecard")).to_contain_text(team.boris)
    expect(page.locator("[data-chart=scorecard] canvas")).to_have_count(1)
    desk.shot("own-scorecard")


def test_a_role_without_handovers_sees_no_checkbox(desk: Watched, server: Server) -> None:
    page = desk.page
    log_in(page, server, server.users["service_agent"])
    page.goto(f"{server.url}/customers")
    expect(page.get_by_test_id("customers")).to_be_visible()
    expect(page.get_by_test_id("select-customer")).to_have_count(0)
    expect(page.get_by_test_id("bulk-panel")).to_have_count(0)
    # Its refusal of /portfolio-transfers and /scorecards (403 pages): integration tests.


def staff_pages_on_a_phone(phone: Watched, server: Server) -> None:
    page = phone.page
    log_in(page, server, server.users["branch_manager"])
    page.goto(f"{server.url}/customers?q=Handover")
    expect(page.get_by_test_id("bulk-panel")).to_be_visible()
    no_sideways_scrolling(page)
    phone.shot("customers-bulk")
    page.goto(f"{server.url}/portfolio-transfers")
    expect(page.get_by_test_id("propose-form")).to_be_visible()
    no_sideways_scrolling(page)
    phone.shot("transfers")
    page.get_by_test_id("transfers").locator("tbody a").first.click()
    expect(page.get_by_test_id("facts")).to_be_visible()
    no_sideways_scrolling(page)
    phone.shot("transfer")
    page.goto(f"{server.url}/scorecards")
    expect(page.locator("[data-chart=ranking] canvas")).to_have_count(1)
    no_sideways_scrolling(page)
    phone.shot("scorecards")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.wait_for_load_state("load")
    no_sideways_scrolling(page)
    phone.shot("scorecards-zh")
