"""The workbench's pages: login, logout, the role-aware home page, CSRF and languages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bankcrm.config import Settings
from bankcrm.security.models import LoginAttempt
from bankcrm.security.roles import Role
from bankcrm.web.home import areas as home_areas
from bankcrm.web.home import views as home_views
from bankcrm.web.home.areas import AREAS, Area, areas_for
from tests.integration.web.conftest import Bank
from tests.records import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    assert page.status_code == 200
    found = TOKEN.search(page.text)
    assert found is not None
    return found.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Logs in through the form; returns the CSRF token the next pages carry."""
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": form_token(client)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/"
    return form_token(client, "/")


def areas_shown(html: str) -> list[str]:
    return re.findall(r'data-area="(\w+)"', html)


def test_pages_send_strangers_to_the_login_form(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    page = client.get("/login")
    assert "Log in to the workbench" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    # The form's token is the browser's cookie (double submit before log-in).
    assert client.cookies["bankcrm_csrf"] == TOKEN.search(page.text).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize("role", [r.value for r in Role] + ["account_manager_2"])
def test_home_lists_the_roles_areas_and_no_other(client: TestClient, bank: Bank, role: str) -> None:
    user = bank.users[role]
    log_in(client, user.username)
    page = client.get("/")
    assert page.status_code == 200
    expected = [a.key for a in areas_for(Role(user.role))]
    assert areas_shown(page.text) == expected
    assert expected, "every role reaches something"
    assert f"Welcome, {user.username}" in page.text
    for area in AREAS:
        if area.key not in expected:
            assert f"<strong>{area.title}</strong>" not in page.text


def test_the_form_session_is_the_api_session(client: TestClient, bank: Bank) -> None:
    csrf = log_in(client, bank.users["auditor"].username)
    me = client.get("/api/v1/me")
    assert me.json()["role"] == "auditor"
    # A change through the API with the page's token works; without it, 403.
    assert client.delete("/api/v1/auth/session").status_code == 403
    answer = client.delete("/api/v1/auth/session", headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_password_shows_the_form_again_and_counts(
    client: TestClient, bank: Bank, session: Session
) -> None:
    username = bank.users["analyst"].username
    answer = client.post(
        "/login",
        data={"username": username, "password": "not it", "csrf_token": form_token(client)},
    )
    assert answer.status_code == 200  # the form again, with the reason
    assert "Wrong username or password." in answer.text
    assert f'value="{username}"' in answer.text
    assert "bankcrm_session" not in client.cookies
    attempts = session.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.username == username)
    )
    assert attempts == 1


def test_repeated_failures_are_throttled(
    client: TestClient, bank: Bank, settings: Settings
) -> None:
    username = bank.users["executive"].username
    token = form_token(client)
    for _ in range(settings.login_max_failures):
        data = {"username": username, "password": "guess", "csrf_token": token}
        assert "Wrong username" in client.post("/login", data=data).text
    # Even the right password is refused now, with the wait in the page and the header.
    data = {"username": username, "password": PASSWORD, "csrf_token": token}
    answer = client.post("/login", data=data)
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) > 0
    assert "Too many failed log-ins for this username. Try again in 15 minutes." in answer.text
    assert "bankcrm_session" not in client.cookies


def test_login_without_the_form_token_is_refused(client: TestClient, bank: Bank) -> None:
    form_token(client)
    data = {"username": bank.users["admin"].username, "password": PASSWORD}
    answer = client.post("/login", data={**data, "csrf_token": "forged"})
    assert "The form had expired" in answer.text
    assert "bankcrm_session" not in client.cookies


def test_logout_needs_the_session_token_and_ends_the_session(
    client: TestClient, bank: Bank
) -> None:
    csrf = log_in(client, bank.users["service_agent"].username)
    refused = client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/api/v1/me").status_code == 200
    answer = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_language_switch_and_browser_language(client: TestClient, bank: Bank) -> None:
    chinese = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-Hans">' in chinese.text
    assert "登录工作台" in chinese.text
    token = form_token(client)
    answer = client.post(
        "/language",
        data={"language": "zh_Hans", "csrf_token": token, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"  # never another site
    assert client.cookies["bankcrm_lang"] == "zh_Hans"
    log_in(client, bank.users["branch_manager"].username)
    home = client.get("/", headers={"Accept-Language": "en"})  # the cookie wins
    assert "今日工作清单" in home.text
    assert "Today's worklist" not in home.text
    assert client.post("/language", data={"language": "en"}).status_code == 403


def test_vendored_assets_are_served(client: TestClient) -> None:
    for name in ("htmx.min.js", "echarts.min.js", "pico.min.css"):
        answer = client.get(f"/static/vendor/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["cache-control"] == "no-cache"
        again = client.get(
            f"/static/vendor/{name}", headers={"If-None-Match": answer.headers["etag"]}
        )
        assert again.status_code == 304


def test_dates_follow_the_browsers_region(client: TestClient) -> None:
    """The footer's date: British order for en-GB, American for en-US, Chinese for zh."""
    british = client.get("/login", headers={"Accept-Language": "en-GB"}).text
    assert re.search(r"<small>\w+day, \d{1,2} \w+ \d{4}</small>", british)
    american = client.get("/login", headers={"Accept-Language": "en-US"}).text
    assert re.search(r"<small>\w+day, \w+ \d{1,2}, \d{4}</small>", american)
    chinese = client.get("/login", headers={"Accept-Language": "zh-CN"}).text
    assert re.search(r"<small>\d{4}年\d{1,2}月\d{1,2}日星期.</small>", chinese)


def test_an_area_links_to_its_page_once_the_app_serves_it(
    client: TestClient, bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_in(client, bank.users["branch_manager"].username)
    before = client.get("/").text
    # Pages of included routers count: the worklist, customers and handovers are served.
    assert '<a href="/worklist"><strong>Today&#39;s worklist</strong></a>' in before
    assert '<a href="/customers"><strong>Customers</strong></a>' in before
    assert '<a href="/portfolio-transfers"><strong>Portfolio handovers</strong></a>' in before
    # Every area has its page by now: an area of the future names its API route instead.
    area = Area(
        "reports",
        "Reports",
        "Reports to come.",
        "/reports",
        "GET /api/v1/reports",
        frozenset({Role.BRANCH_MANAGER}),
    )
    with_it = (*home_areas.AREAS, area)
    monkeypatch.setattr(home_areas, "AREAS", with_it)
    monkeypatch.setattr(home_views, "AREAS", with_it)
    waiting = client.get("/").text
    assert '<a href="/reports">' not in waiting
    assert "available now through GET /api/v1/reports." in waiting

    def the_page() -> str:
        return "the page"

    client.app.add_api_route(area.page, the_page, methods=["GET"])  # type: ignore[attr-defined]
    after = client.get("/").text
    assert '<a href="/reports"><strong>Reports</strong></a>' in after
    assert "available now through GET /api/v1/reports." not in after
