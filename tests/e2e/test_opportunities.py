"""Opportunities in Chromium: an account manager opens one for a customer and moves it
identified -> needs analysis -> proposal -> credit review (the credit department's task
appears) -> approved -> won; the pipeline page then shows it, on a desktop and on a
375 px phone. Any console error fails the test (conftest)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.kit.db import make_engine
from bankcrm.security.models import User
from bankcrm.staff.models import Branch, Staff
from tests import records
from tests.e2e.conftest import E2E, PHONE, Server, Watched
from tests.e2e.test_workbench import log_in

pytestmark = E2E

PRODUCT = "E2E car loan"
SURNAME = "Dvorakova"


@pytest.fixture(scope="module")
def customer_no(server: Server) -> str:
    """A customer of the account manager's portfolio and a lending product."""
    engine = make_engine(server.database_url)
    with Session(engine) as session:
        manager = session.scalars(
            select(User).where(User.username == server.users["account_manager"])
        ).one()
        staff = session.get(Staff, manager.staff_id)
        assert staff is not None
        branch = session.get(Branch, staff.branch_id)
        assert branch is not None
        customer = records.customer(session, branch, staff, first_name="Alena", last_name=SURNAME)
        records.product(session, "consumer_loan", name=PRODUCT)
        session.commit()
        number = customer.customer_no
    engine.dispose()
    return number


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _move(page: Page, stage: str, expected: str) -> None:
    form = page.get_by_test_id("form-move")
    form.get_by_label("Stage", exact=True).select_option(stage)
    form.get_by_role("button", name="Move").click()
    expect(page.get_by_test_id("notice")).to_have_text("The opportunity has moved.")
    expect(page.get_by_test_id("current-stage")).to_have_text(expected)


def test_account_manager_wins_an_opportunity(
    desk: Watched, server: Server, customer_no: str
) -> None:
    page = desk.page
    log_in(page, server, server.users["account_manager"])
    expect(page).to_have_url(f"{server.url}/")
    page.get_by_role("link", name="Opportunities").click()
    expect(page).to_have_url(f"{server.url}/opportunities")
    page.get_by_test_id("new-opportunity").click()
    form = page.get_by_test_id("form-new")
    form.get_by_label("Customer number").fill(customer_no)
    form.get_by_label("Product", exact=True).select_option(label=f"{PRODUCT} (CZK)")
    form.get_by_label("Amount").fill("0")
    form.get_by_role("button", name="Open the opportunity").click()
    expect(page.locator("#new-amount-error")).to_have_text(
        "Enter an amount above zero, with at most two decimals."
    )
    desk.shot("new-error")
    page.get_by_test_id("form-new").get_by_label("Amount").fill("450000")
    page.get_by_test_id("form-new").get_by_role("button", name="Open the opportunity").click()
    expect(page.get_by_test_id("notice")).to_have_text("The opportunity is opened.")
    expect(page.get_by_test_id("party")).to_contain_text(SURNAME)
    expect(page.get_by_test_id("current-stage")).to_have_text("Identified")
    page.evaluate("window.notReloaded = true")

    _move(page, "needs_analysis", "Needs analysis")
    _move(page, "proposal", "Proposal")
    # Moving back needs a note: the error shows next to the field.
    form = page.get_by_test_id("form-move")
    form.get_by_label("Stage", exact=True).select_option("identified")
    form.get_by_role("button", name="Move").click()
    expect(page.locator("#move-note-error")).to_contain_text("Say why in a note")
    _move(page, "credit_review", "Credit review")
    credit = page.locator("[data-task-department=credit]")
    expect(credit).to_have_attribute("data-task-status", "open")
    expect(credit).to_contain_text("Credit review of OPP-")
    desk.shot("credit-review")
    _move(page, "approved", "Approved")
    _move(page, "won", "Won")
    expect(page.get_by_test_id("probability")).to_have_text("100 %")
    expect(page.get_by_test_id("form-move")).to_have_count(0)  # final for its owner
    expect(page.get_by_test_id("history")).to_contain_text("Approved → Won")
    assert page.evaluate("window.notReloaded") is True  # htmx swapped the page each time
    desk.shot("won")

    page.goto(f"{server.url}/opportunities/pipeline?by=product")
    expect(page.locator("[data-chart=win-rate] canvas")).to_have_count(1)
    expect(page.get_by_test_id("by-product")).to_contain_text(PRODUCT)
    expect(page.locator("main")).not_to_contain_text(SURNAME)  # aggregates only
    desk.shot("pipeline")


def test_pipeline_and_list_fit_a_phone(phone: Watched, server: Server, customer_no: str) -> None:
    page = phone.page
    log_in(page, server, server.users["branch_manager"])
    expect(page).to_have_url(f"{server.url}/")
    page.get_by_role("link", name="Sales pipeline").click()
    expect(page).to_have_url(f"{server.url}/opportunities/pipeline")
    _no_sideways_scroll(page)
    phone.shot("pipeline")
    page.goto(f"{server.url}/opportunities?show=all&outcome=all")
    _no_sideways_scroll(page)
    phone.shot("list")
    page.goto(f"{server.url}/opportunities/new")
    _no_sideways_scroll(page)
    phone.shot("new")
