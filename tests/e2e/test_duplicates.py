"""One record per person in Chromium: detection (the nightly job) finds a customer's
second customer number; the account manager opens the pair, sees the matched fields side
by side and proposes the merge (a refused empty form first); she is offered no approve
button; the branch manager approves; the customer's page shows both records' contacts.
Then the pages on a 375x812 phone. Any console error fails the test (conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.duplicates import detect
from bankcrm.duplicates.models import DuplicateCandidate
from bankcrm.kit.db import make_engine
from bankcrm.security.models import User
from bankcrm.staff.models import Branch, Staff
from tests import records
from tests.e2e.conftest import DESKTOP, E2E, PHONE, Server, Watched, another_window
from tests.e2e.test_handover import no_sideways_scrolling
from tests.e2e.test_workbench import log_in

pytestmark = E2E


@dataclass(frozen=True)
class Planted:
    survivor_id: int
    twin_no: str
    twin_phone: str
    candidate_id: int


@pytest.fixture(scope="module")
def planted(server: Server) -> Iterator[Planted]:
    """Anna's customer Dvořáková and her second number (name order swapped, id and phone
    written otherwise, another e-mail); then the detection job runs, as it does nightly."""
    engine = make_engine(server.database_url)
    with Session(engine) as session:
        user = session.scalars(
            select(User).where(User.username == server.users["account_manager"])
        ).one()
        anna = session.get(Staff, user.staff_id)
        assert anna is not None
        north = session.get(Branch, anna.branch_id)
        assert north is not None
        born = date(1977, 4, 12)
        first = records.customer(
            session, north, anna, first_name="Alžběta", last_name="Dvořáková",
            national_id="775412/4417", birth_date=born, phone="+420 731 555 019",
            email="alzbeta.dvorakova@mail.example", postal_code="60200",
        )  # fmt: skip
        twin = records.customer(
            session, north, anna, first_name="DVORAKOVA", last_name="Alzbeta",
            national_id="7754124417", birth_date=born, phone="00420731555019",
            email="betty.d@other.example", postal_code="60200",
        )  # fmt: skip
        detect.detect_all(session)
        candidate = session.scalars(
            select(DuplicateCandidate).where(
                DuplicateCandidate.customer_id == first.id,
                DuplicateCandidate.other_customer_id == twin.id,
            )
        ).one()
        session.commit()
        found = Planted(first.id, twin.customer_no, "00420731555019", candidate.id)
    engine.dispose()
    yield found


def test_detect_propose_and_approve_a_merge(
    desk: Watched, server: Server, planted: Planted, browser: Browser
) -> None:
    page = desk.page
    log_in(page, server, server.users["account_manager"])
    page.locator('[data-area="duplicates"] a').first.click()
    row = page.locator(f'tr[data-candidate-id="{planted.candidate_id}"]')
    expect(row).to_contain_text(planted.twin_no)
    expect(row.get_by_test_id("matched")).to_contain_text("National id · exact")
    row.get_by_test_id("open-pair").click()
    expect(page.get_by_test_id("side-by-side")).to_contain_text(planted.twin_phone)
    page.get_by_test_id("propose").click()  # no reason yet: refused next to the field
    expect(page.get_by_test_id("error-reason")).to_be_visible()
    page.get_by_label("Reason").fill("Same birth number; she opened a second account online.")
    page.get_by_test_id("propose").click()
    expect(page.get_by_test_id("notice")).to_contain_text("The merge is proposed")
    desk.shot("proposed")
    page.goto(f"{server.url}/merges")
    waiting = page.locator("article.merge").filter(has_text=planted.twin_no)
    expect(waiting.locator("[data-testid^=not-yours]")).to_be_visible()
    expect(waiting.locator("[data-testid^=approve]")).to_have_count(0)

    with another_window(browser, "duplicates-checker", DESKTOP) as checker:
        log_in(checker.page, server, server.users["branch_manager"])
        checker.page.goto(f"{server.url}/merges")
        card = checker.page.locator("article.merge").filter(has_text=planted.twin_no)
        card.locator("[data-testid^=approve]").click()
        expect(checker.page.get_by_test_id("notice")).to_contain_text("The merge is approved")
        checker.page.goto(f"{server.url}/customers/{planted.survivor_id}")
        linked = checker.page.get_by_test_id("linked-records")
        expect(linked).to_contain_text(planted.twin_no)
        expect(linked).to_contain_text(planted.twin_phone)
        expect(checker.page.get_by_test_id("profile")).to_contain_text("731")
        checker.shot("combined-360")

    with another_window(browser, "duplicates-phone", PHONE) as phone:
        log_in(phone.page, server, server.users["branch_manager"])
        phone.page.goto(f"{server.url}/customers/{planted.survivor_id}")
        expect(phone.page.get_by_test_id("linked-records")).to_contain_text(planted.twin_phone)
        no_sideways_scrolling(phone.page)
        for path in ("/duplicates", f"/duplicates/{planted.candidate_id}", "/merges"):
            phone.page.goto(f"{server.url}{path}")
            no_sideways_scrolling(phone.page)
        phone.shot("merges")
