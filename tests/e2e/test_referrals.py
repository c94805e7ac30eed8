"""Referrals in Chromium: a service agent refers a customer from the customer page to
mortgages (the form's errors next to the fields, the person masked), the account manager
finds it to handle, accepts and converts it, and the service agent sees the outcome; the
pages fit a 375 px phone. Any console error fails the test (conftest)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.kit.db import make_engine
from bankcrm.security.models import User
from bankcrm.staff.models import Branch, Staff
from tests import records
from tests.e2e.conftest import DESKTOP, E2E, PHONE, Server, Watched, another_window
from tests.e2e.test_workbench import log_in

pytestmark = E2E

SURNAME = "Referralova"


@pytest.fixture(scope="module")
def customer(server: Server) -> dict[str, str]:
    """A customer of the account manager's portfolio (own manager: the routing rules send
    referrals of this customer to her)."""
    engine = make_engine(server.database_url)
    with Session(engine) as session:
        manager = session.scalars(
            select(User).where(User.username == server.users["account_manager"])
        ).one()
        anna = session.get(Staff, manager.staff_id)
        assert anna is not None
        north = session.get(Branch, anna.branch_id)
        assert north is not None
        found = records.customer(session, north, anna, last_name=SURNAME)
        session.commit()
        out = {
            "id": str(found.id),
            "number": found.customer_no,
            "manager": f"{anna.first_name} {anna.last_name}",
        }
    engine.dispose()
    return out


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_service_agent_refers_and_the_manager_converts(
    desk: Watched, server: Server, customer: dict[str, str]
) -> None:
    need = f"wants a mortgage for a flat ({uuid.uuid4().hex[:8]})"
    page = desk.page
    log_in(page, server, server.users["service_agent"])
    expect(page).to_have_url(f"{server.url}/")
    page.goto(f"{server.url}/customers/{customer['id']}")
    page.get_by_test_id("refer").click()
    expect(page).to_have_url(re.compile(rf"/referrals/new\?customer_id={customer['id']}$"))
    expect(page.get_by_test_id("person")).to_contain_text(customer["number"])
    expect(page.get_by_test_id("person")).not_to_contain_text(SURNAME)  # masked
    form = page.get_by_test_id("form-refer")
    form.get_by_role("button", name="Refer").click()
    expect(page.locator("#refer-line-error")).to_have_text("Choose one of the options.")
    expect(page.locator("#refer-need-error")).to_have_text("This field is required.")
    desk.shot("refer-errors")
    form = page.get_by_test_id("form-refer")
    form.get_by_label("Specialist line").select_option("mortgages")
    form.get_by_label("The need, in a sentence").fill(need)
    form.get_by_role("button", name="Refer").click()
    expect(page.get_by_test_id("notice")).to_have_text("The referral is sent.")
    expect(page.get_by_test_id("status")).to_have_text("Open")
    expect(page.get_by_test_id("assignee")).to_contain_text(customer["manager"])
    expect(page.get_by_test_id("assignee")).to_contain_text("The person's own manager")
    referral_url = page.url.split("?")[0]
    number = page.get_by_test_id("referral-no").inner_text().removeprefix("Referral ")
    desk.shot("referral-sent")

    browser = page.context.browser
    assert browser is not None
    with another_window(browser, "manager", DESKTOP) as other:
        manager = other.page
        log_in(manager, server, server.users["account_manager"])
        expect(manager).to_have_url(f"{server.url}/")
        manager.locator("[data-area=referrals] a").click()
        manager.get_by_test_id("tabs").get_by_role("link", name="To handle").click()
        row = manager.get_by_test_id("referrals").locator("tr", has_text=need)
        expect(row).to_contain_text(SURNAME)  # the own manager sees the customer in full
        row.get_by_role("link", name=number).click()
        expect(manager.get_by_test_id("person")).to_contain_text(SURNAME)
        manager.get_by_test_id("form-accept").get_by_role("button", name="Accept").click()
        expect(manager.get_by_test_id("notice")).to_have_text("You accepted the referral.")
        expect(manager.get_by_test_id("status")).to_have_text("Accepted")
        convert = manager.get_by_test_id("form-convert")
        convert.get_by_label("What came of it").fill("mortgage application signed")
        convert.get_by_role("button", name="Converted").click()
        expect(manager.get_by_test_id("notice")).to_have_text(
            "The referral is converted: well done."
        )
        expect(manager.get_by_test_id("outcome")).to_contain_text("mortgage application signed")
        expect(manager.get_by_test_id("form-convert")).to_have_count(0)
        other.shot("converted")

    page.goto(f"{server.url}/referrals")
    row = page.get_by_test_id("referrals").locator("tr", has_text=need)
    expect(row.get_by_test_id("status")).to_have_text("Converted")
    page.goto(referral_url)
    expect(page.get_by_test_id("outcome")).to_contain_text("mortgage application signed")
    expect(page.get_by_test_id("form-accept")).to_have_count(0)
    desk.shot("outcome-seen")


def test_the_referral_pages_fit_a_phone(
    phone: Watched, server: Server, customer: dict[str, str]
) -> None:
    page = phone.page
    log_in(page, server, server.users["service_agent"])
    expect(page).to_have_url(f"{server.url}/")
    page.goto(f"{server.url}/referrals/new?customer_id={customer['id']}")
    form = page.get_by_test_id("form-refer")
    form.get_by_label("Specialist line").select_option("insurance")
    form.get_by_label("The need, in a sentence").fill("home insurance for the new flat")
    form.get_by_role("button", name="Refer").click()
    expect(page.get_by_test_id("notice")).to_have_text("The referral is sent.")
    _no_sideways_scroll(page)
    phone.shot("referral")
    page.goto(f"{server.url}/referrals")
    expect(page.get_by_test_id("referrals")).to_contain_text("home insurance for the new flat")
    _no_sideways_scroll(page)
    phone.shot("list")
