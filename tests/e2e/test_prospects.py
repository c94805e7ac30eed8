"""Winning a prospect in Chromium: an account manager adds a prospect (an error shown next
to its field first), logs a contact, qualifies it, refers it to a specialist line, and
finds it in the list, which also fits a 375x812 phone screen. Any console error fails the
test (conftest)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import E2E, PHONE, Server, Watched, another_window
from tests.e2e.test_workbench import log_in

pytestmark = E2E


def no_sideways_scrolling(page: Page) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_an_account_manager_wins_a_prospect(
    desk: Watched, server: Server, browser: Browser
) -> None:
    page = desk.page
    last_name = f"Prospectova{uuid.uuid4().hex[:6]}"  # the server is shared by the modules
    log_in(page, server, server.users["account_manager"])
    expect(page.locator('[data-area="prospects"]')).to_have_count(1)
    page.locator("[data-area=prospects] a").click()
    expect(page).to_have_url(f"{server.url}/prospects")
    expect(page.get_by_role("heading", level=1)).to_have_text("Prospects")

    form = page.get_by_test_id("form-new")
    page.get_by_test_id("new-prospect").click()
    form.get_by_label("Last name").fill(last_name)
    form.get_by_role("button", name="Add the prospect").click()  # no source chosen
    expect(page.locator("#new-source-error")).to_have_text("This field is required.")
    expect(form.get_by_label("Last name")).to_have_value(last_name)  # kept, nothing lost
    desk.shot("prospect-form-error")

    form.get_by_label("Source").select_option("event")
    form.get_by_label("First name").fill("Hana")
    form.get_by_label("Phone").fill("+420 777 000 111")
    form.get_by_label("Needs").fill("a mortgage for a first flat")
    form.get_by_label("Next step", exact=True).fill("send the mortgage offer")
    form.get_by_role("button", name="Add the prospect").click()
    expect(page).to_have_url(re.compile(r"/prospects/\d+$"))
    expect(page.get_by_test_id("prospect-name")).to_have_text(f"Hana {last_name}")
    expect(page.get_by_test_id("status")).to_have_text("New")
    expect(page.get_by_test_id("profile")).to_contain_text("a mortgage for a first flat")

    contact = page.get_by_test_id("form-contact")
    contact.get_by_label("Channel").select_option("phone")
    contact.get_by_label("What was it about").fill("called about rates")
    contact.get_by_label("Note").fill("prefers a fixed rate for five years")
    contact.get_by_role("button", name="Log the contact").click()
    expect(page.get_by_test_id("done")).to_have_text("The contact is logged.")
    expect(page.get_by_test_id("status")).to_have_text("Contacted")
    expect(page.get_by_test_id("activities")).to_contain_text("called about rates")
    expect(page.get_by_test_id("activities")).to_contain_text("prefers a fixed rate")

    page.get_by_text("Change the status", exact=True).first.click()
    status = page.get_by_test_id("form-status")
    status.get_by_label("New status").select_option("qualified")
    status.get_by_role("button", name="Change the status").click()
    expect(page.get_by_test_id("status")).to_have_text("Qualified")
    expect(page.get_by_test_id("activities")).to_contain_text("contacted → qualified")
    desk.shot("prospect-qualified")

    # Refer the prospect to a specialist line from its page: its owner takes it first.
    page.get_by_test_id("refer").click()
    expect(page).to_have_url(re.compile(r"/referrals/new\?prospect_id=\d+$"))
    expect(page.get_by_test_id("person")).to_contain_text(last_name)
    refer = page.get_by_test_id("form-refer")
    refer.get_by_label("Specialist line").select_option("mortgages")
    refer.get_by_label("The need, in a sentence").fill("a mortgage for a first flat")
    refer.get_by_role("button", name="Refer").click()
    expect(page.get_by_test_id("notice")).to_have_text("The referral is sent.")
    expect(page.get_by_test_id("status")).to_have_text("Open")
    expect(page.get_by_test_id("assignee")).to_contain_text("The person's own manager")
    desk.shot("prospect-referred")

    page.goto(f"{server.url}/prospects?status=qualified&q={last_name.lower()}")
    rows = page.get_by_test_id("prospects").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Qualified")
    expect(rows.first).to_contain_text("send the mortgage offer")

    with another_window(browser, "prospects-phone", PHONE) as phone:
        log_in(phone.page, server, server.users["account_manager"])
        phone.page.goto(f"{server.url}/prospects")
        expect(phone.page.get_by_test_id("prospects")).to_contain_text(last_name)
        no_sideways_scrolling(phone.page)
        phone.shot("prospects-phone")
