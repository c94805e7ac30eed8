"""The workbench in Chromium: log in through the form, the role's home page, log out,
a wrong password, the language switch and a phone-sized screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from bankcrm.security.roles import Role
from bankcrm.web.home.areas import AREAS, areas_for
from tests.e2e.conftest import E2E, Server, Watched
from tests.records import PASSWORD

pytestmark = E2E


def log_in(page: Page, server: Server, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{server.url}/")
    expect(page).to_have_url(f"{server.url}/login")  # strangers land on the form
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def shown_areas(page: Page) -> list[str]:
    return [
        a or ""
        for a in page.locator("[data-area]").evaluate_all("cards => cards.map(c => c.dataset.area)")
    ]


@pytest.mark.parametrize("role", ["account_manager", "branch_manager", "auditor", "admin"])
def test_each_role_sees_its_areas_then_logs_out(desk: Watched, server: Server, role: str) -> None:
    page = desk.page
    log_in(page, server, server.users[role])
    expect(page).to_have_url(f"{server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {server.users[role]}")
    expected = [area.key for area in areas_for(Role(role))]
    assert shown_areas(page) == expected
    for area in AREAS:
        title = page.get_by_text(area.title, exact=True)
        expect(title).to_have_count(1 if area.key in expected else 0)
    # The page's cookie is the API's session: the same user answers at /api/v1/me.
    me = page.request.get(f"{server.url}/api/v1/me")
    assert me.json()["role"] == role
    desk.shot("home")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{server.url}/login")
    assert page.request.get(f"{server.url}/api/v1/me").status == 401
    page.goto(f"{server.url}/")
    expect(page).to_have_url(f"{server.url}/login")


def test_wrong_password_says_so(desk: Watched, server: Server) -> None:
    page = desk.page
    log_in(page, server, server.users["analyst"], "not the password")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page.get_by_label("Username")).to_have_value(server.users["analyst"])
    desk.shot("wrong-password")
    # The right password still works (one failure is far from the throttle).
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{server.url}/")


def test_phone_screen_and_chinese(phone: Watched, server: Server) -> None:
    page = phone.page
    log_in(page, server, server.users["service_agent"])
    expect(page).to_have_url(f"{server.url}/")
    # Nothing is wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    phone.shot("home-en")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"欢迎\uff0c{server.users['service_agent']}"
    )
    expect(page.get_by_text("今日工作清单", exact=True)).to_be_visible()
    # The date in the footer is written the Chinese way (2026年11月26日星期四).
    expect(page.get_by_role("contentinfo")).to_have_text(re.compile(r"\d{4}年\d{1,2}月\d{1,2}日"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    phone.shot("home-zh")
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登录工作台")
    phone.shot("login-zh")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to the workbench")
