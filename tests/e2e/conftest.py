"""Browser tests: the real server (uvicorn on 127.0.0.1, a free port, its own SQLite file)
and Debian's Chromium driven by Playwright, which never downloads a browser of its own.

All e2e tests share one server and one browser, so they are one xdist group (each module
sets `pytestmark = E2E`): under
`pytest -n 2 --dist loadgroup` they run on one worker, the other worker runs the rest.
Every page is watched: a console error or an uncaught exception fails its test.
Screenshots go to test-artifacts/e2e/ (gitignored)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)
from sqlalchemy import text
from sqlalchemy.orm import Session

from bankcrm.config import Settings
from bankcrm.kit import migrate
from bankcrm.kit.db import make_engine
from bankcrm.web.app import create_app
from tests import records

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PHONE: ViewportSize = {"width": 375, "height": 812}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
E2E = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@dataclass(frozen=True)
class Server:
    url: str
    users: dict[str, str]  # role -> username (password: records.PASSWORD)
    database_url: str = ""  # the server's SQLite file: a test module may add its records


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A small bank with users of several roles, served over HTTP as `bankcrm serve` does."""
    var = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{var / 'bankcrm.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        north = records.branch(session, name="North")
        anna = records.staff(session, north)
        records.customer(session, north, anna)
        users = {
            "account_manager": records.user(session, "account_manager", staff=anna),
            "branch_manager": records.user(session, "branch_manager", branch=north),
            "service_agent": records.user(session, "service_agent", branch=north),
            "analyst": records.user(session, "analyst"),
            "auditor": records.user(session, "auditor"),
            "admin": records.user(session, "admin"),
        }
        names = {role: user.username for role, user in users.items()}
        session.commit()
    engine.dispose()
    settings = Settings(
        database_url=url,
        lake_dir=var / "lake",
        secret_key_file=var / "secret.key",
        secure_cookies=False,  # plain HTTP on 127.0.0.1
    )
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", names, url)
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _users_speak_the_default_again(server: Server) -> Iterator[None]:
    """A test that switches a signed-in user's language stores it on the user (it follows
    them to any browser); the next test of the shared server starts from the default."""
    yield
    engine = make_engine(server.database_url)
    with engine.begin() as connection:
        connection.execute(text("update users set language = null"))
    engine.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail("Debian's chromium is missing: `make test` or .ci/run installs it")
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    yield browser
    browser.close()


class Watched:
    """A page whose console errors and uncaught exceptions are collected."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.name = name
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} at {message.location.get('url')}")

    def shot(self, label: str) -> Path:
        """A full-page screenshot for people to look at (test-artifacts/e2e/). caret="initial":
        hiding the caret leaves an empty style attribute on inputs, which htmx copies into
        swapped content, where the page's CSP refuses it (a console error)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{label}.png"
        self.page.screenshot(path=path, full_page=True, caret="initial")
        return path


def _new_page(
    browser: Browser, request: pytest.FixtureRequest, viewport: ViewportSize
) -> Iterator[Watched]:
    context = browser.new_context(viewport=viewport, locale="en-GB")
    context.set_default_timeout(5_000)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    watched = Watched(context.new_page(), name)
    yield watched
    context.close()
    assert not watched.errors, watched.errors


@contextmanager
def another_window(browser: Browser, name: str, viewport: ViewportSize) -> Iterator[Watched]:
    """A second person's browser inside one test, watched like `desk` and `phone`: for a
    flow whose later steps need what its earlier steps made (xdist does not keep the
    order of a module's tests, so one test may not rely on another having run)."""
    context = browser.new_context(viewport=viewport, locale="en-GB")
    context.set_default_timeout(5_000)
    watched = Watched(context.new_page(), name)
    try:
        yield watched
    finally:
        context.close()
    assert not watched.errors, watched.errors


@pytest.fixture
def desk(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Watched]:
    """A desktop-sized browser window."""
    yield from _new_page(browser, request, DESKTOP)


@pytest.fixture
def phone(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Watched]:
    """A phone-sized browser window (375x812)."""
    yield from _new_page(browser, request, PHONE)
