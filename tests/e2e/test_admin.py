"""The security pages in Chromium: the admin creates an account manager through the form
(a validation error first), the auditor finds and filters that "create user" event in the
audit log, a branch manager reviews a break-glass access, a user's language follows them to
a fresh browser, and an account manager reaches neither page. Each page fits a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.kit.db import make_engine, utcnow
from bankcrm.security.models import BreakGlassGrant, User
from bankcrm.staff.models import Staff
from tests import records
from tests.e2e.conftest import E2E, PHONE, Server, Watched
from tests.e2e.test_workbench import log_in

pytestmark = E2E
NEW_PASSWORD = "correct horse battery"
REASON = "customer called about a blocked card abroad"


@pytest.fixture(scope="module")
def setting(server: Server) -> Iterator[dict[str, str]]:
    """A break-glass access to report to the server's branch manager, a user of its own for
    the language flow, and the staff id of the server's account manager."""
    engine = make_engine(server.database_url)
    with Session(engine) as session:
        manager = session.scalars(
            select(User).where(User.username == server.users["branch_manager"])
        ).one()
        customer = session.scalars(
            select(Customer).where(Customer.branch_id == manager.branch_id).order_by(Customer.id)
        ).first()
        assert customer is not None
        agent = records.user(session, "service_agent", username="e2e.agent")
        traveller = records.user(session, "analyst", username="e2e.traveller")
        now = utcnow()
        session.add(
            BreakGlassGrant(
                user_id=agent.id,
                customer_id=customer.id,
                branch_id=customer.branch_id,
                reason=REASON,
                granted_at=now - timedelta(minutes=10),
                expires_at=now + timedelta(minutes=20),
            )
        )
        am = session.scalars(
            select(User).where(User.username == server.users["account_manager"])
        ).one()
        staff = session.get(Staff, am.staff_id)
        assert staff is not None
        found = {"staff_code": staff.staff_code, "traveller": traveller.username}
        session.commit()
    engine.dispose()
    yield found


def no_sideways_scrolling(page: Page) -> None:
    page.wait_for_load_state("load")  # the styles too, before measuring
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def log_out(page: Page, server: Server) -> None:
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(f"{server.url}/login")


def test_admin_creates_a_user_and_the_auditor_finds_it(
    desk: Watched, server: Server, setting: dict[str, str]
) -> None:
    page = desk.page
    admin = server.users["admin"]
    log_in(page, server, admin)
    page.get_by_role("link", name="Users and roles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users and roles")
    page.evaluate("window.notReloaded = true")
    page.get_by_text("Create a user", exact=True).click()
    form = page.get_by_test_id("create-user")
    form.get_by_label("Username").fill("e2e.manager")
    form.get_by_label("Role").select_option("account_manager")
    form.get_by_label("Initial password").fill(NEW_PASSWORD)
    form.get_by_label("The password again").fill(NEW_PASSWORD)
    form.get_by_role("button", name="Create the user").click()
    # No staff id: the error appears next to the field, in place, and nothing is created.
    expect(page.locator("#new-staff_id-error")).to_have_text(
        "An account manager needs a staff ID (their portfolio)."
    )
    assert page.evaluate("window.notReloaded") is True
    expect(page.get_by_label("Username")).to_have_value("e2e.manager")
    expect(page.get_by_label("Initial password")).to_have_value("")  # never sent back
    expect(page.locator('[data-username="e2e.manager"]')).to_have_count(0)
    desk.shot("create-user-error")

    page.get_by_label("Staff ID (account managers)").fill(setting["staff_code"])
    page.get_by_label("Initial password").fill(NEW_PASSWORD)
    page.get_by_label("The password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create the user").click()
    expect(page.get_by_test_id("notice")).to_have_text("The user is created.")
    expect(page.get_by_test_id("username")).to_have_text("e2e.manager")
    expect(page.get_by_test_id("user-facts")).to_contain_text(setting["staff_code"])
    assert NEW_PASSWORD not in page.content()
    desk.shot("user-created")
    page.get_by_role("link", name="All users").click()
    expect(page.locator('[data-username="e2e.manager"]')).to_contain_text("Account manager")
    log_out(page, server)

    # The auditor finds the event and narrows the log to it.
    log_in(page, server, server.users["auditor"])
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_test_id("audit-events")).to_be_visible()
    page.evaluate("window.notReloaded = true")
    filters = page.get_by_test_id("audit-filters")
    filters.get_by_label("User").fill(admin)
    filters.get_by_label("Action").fill("create")
    filters.get_by_label("Record type").fill("user")
    filters.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"/audit-events\?actor={admin}&action=create"))
    rows = page.get_by_test_id("audit-events").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(admin)
    expect(rows.first).to_contain_text("Create")
    expect(rows.first).to_contain_text("role, username")  # the fields, never a password
    assert page.evaluate("window.notReloaded") is True
    desk.shot("audit-filtered")
    # A bad date is named next to its field, not a server error.
    page.goto(f"{server.url}/audit-events?since=not-a-date")
    expect(page.locator("#audit-since-error")).to_have_text("Enter a date and time.")


def test_audit_log_and_users_fit_a_phone(phone: Watched, server: Server) -> None:
    page = phone.page
    log_in(page, server, server.users["auditor"])
    page.goto(f"{server.url}/audit-events")
    expect(page.get_by_test_id("audit-events")).to_be_visible()
    no_sideways_scrolling(page)
    phone.shot("audit-log")
    log_out(page, server)
    log_in(page, server, server.users["admin"])
    page.goto(f"{server.url}/users")
    expect(page.get_by_test_id("users")).to_be_visible()
    no_sideways_scrolling(page)
    phone.shot("users")


def test_branch_manager_reviews_a_break_glass_access_on_a_phone(
    phone: Watched, server: Server, setting: dict[str, str]
) -> None:
    page = phone.page
    log_in(page, server, server.users["branch_manager"])
    page.get_by_role("link", name="Break-glass report").click()
    grant = page.get_by_test_id("grant").filter(has_text=REASON)
    expect(grant).to_contain_text("e2e.agent")
    expect(grant.get_by_test_id("unreviewed")).to_be_visible()
    no_sideways_scrolling(page)
    phone.shot("break-glass")
    grant.get_by_role("button", name="Mark reviewed").click()
    expect(page.get_by_test_id("notice")).to_have_text("Marked as reviewed.")
    grant = page.get_by_test_id("grant").filter(has_text=REASON)
    expect(grant.get_by_test_id("reviewed")).to_be_visible()
    expect(grant.get_by_role("button", name="Mark reviewed")).to_have_count(0)
    no_sideways_scrolling(page)
    phone.shot("break-glass-reviewed")


def test_the_language_follows_the_user_to_a_fresh_browser(
    browser: Browser, phone: Watched, server: Server, setting: dict[str, str]
) -> None:
    page = phone.page
    log_in(page, server, setting["traveller"])
    expect(page).to_have_url(f"{server.url}/")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登录工作台")

    context = browser.new_context(viewport=PHONE, locale="en-GB")  # no cookies at all
    context.set_default_timeout(5_000)
    fresh = Watched(context.new_page(), phone.name + "-fresh")
    try:
        log_in(fresh.page, server, setting["traveller"])
        expect(fresh.page.locator("html")).to_have_attribute("lang", "zh-Hans")
        expect(fresh.page.get_by_role("heading", level=1)).to_have_text(
            f"欢迎\uff0c{setting['traveller']}"
        )
        no_sideways_scrolling(fresh.page)
        fresh.shot("home-zh-fresh-browser")
    finally:
        context.close()
    assert not fresh.errors, fresh.errors


def test_an_account_manager_reaches_neither_page(desk: Watched, server: Server) -> None:
    page = desk.page
    log_in(page, server, server.users["account_manager"])
    expect(page).to_have_url(f"{server.url}/")
    expect(page.locator('a[href="/users"], a[href="/audit-events"]')).to_have_count(0)
    for path in ("/users", "/audit-events", "/break-glass"):
        # Asked with the page's own cookies (a navigation to a 403 would log a console error).
        answer = page.request.get(f"{server.url}{path}")
        assert answer.status == 403
        assert "Your role may not do this." in answer.text()
        assert "<table" not in answer.text() and server.users["admin"] not in answer.text()
        assert REASON not in answer.text()
    desk.shot("home-without-admin-pages")
