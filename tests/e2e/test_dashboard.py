"""The management dashboard in Chromium: an analyst opens it from the home page, every chart
draws (a canvas, no console error), the tables hold the numbers, the compare date changes
the tier migration, it fits a phone, and an account manager gets no dashboard."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from bankcrm.analytics.models import AnalyticsResult, ScoreRun
from bankcrm.kit.db import make_engine
from tests import records
from tests.e2e.conftest import E2E, Server, Watched
from tests.e2e.test_workbench import log_in

pytestmark = E2E
# The dates the other browser tests score on, so their "latest and previous" stay theirs,
# and one earlier date that only this module's customers have.
LATEST, PREVIOUS, FIRST = date(2026, 9, 30), date(2026, 8, 31), date(2026, 7, 31)
TIERS = ("gold", "growth", "general", "unprofitable")
BANDS = ("top", "important", "core", "mass")
CHARTS = ("lorenz", "tiers", "bands", "migration", "clv", "risk", "complaints", "demand")
SECRET = "Zelenkova"  # every seeded customer's surname: never on the dashboard


def _results(session: Session, product_id: int, branch_id: int) -> None:
    run = session.query(ScoreRun).filter_by(as_of=LATEST).one()
    curve = [[x / 10, min(1.0, (x / 10) ** 0.35)] for x in range(11)]
    payloads = {
        "pareto": {"customers": 12, "total_positive": 1.0, "total": 1.0, "share_for_80": 0.27,
                   "top_20_share": 0.71, "unprofitable_share": 0.08, "lorenz": curve},
        "segments": [{"segment_id": 1, "segment": "Digital savers", "description": "many logins",
                      "customers": 12, "share": 1.0, "mean_contribution": 900.0}],
        "associations": [{"antecedent": ["mortgage"], "consequent": "insurance", "count": 4,
                          "antecedent_size": 1, "support": 0.3, "confidence": 0.6,
                          "lift": 2.4, "sentence": "..."}],
        "demand_forecast": [{"product_id": product_id, "segment_id": 1, "branch_id": branch_id,
                             "customers": 9, "expected": 2.7, "lower": 1, "upper": 5,
                             "opened_last_quarter": 2, "opened_year_ago": 1}],
    }  # fmt: skip
    for kind, payload in payloads.items():
        exists = session.query(AnalyticsResult).filter_by(as_of=LATEST, kind=kind).first()
        if exists is None:
            session.add(
                AnalyticsResult(run_id=run.id, as_of=LATEST, kind=kind, payload=json.dumps(payload))
            )


@pytest.fixture(scope="module")
def scored(server: Server) -> None:
    """Twelve customers of a branch of their own, scored on three dates, with complaints,
    and the bank-wide results of the latest run."""
    engine = make_engine(server.database_url)
    with Session(engine) as session:
        west = records.branch(session, name="West")
        petr = records.staff(session, west)
        for n in range(12):
            customer = records.customer(session, west, petr, last_name=SECRET)
            for day, shift in ((FIRST, 2), (PREVIOUS, 1), (LATEST, 0)):
                records.score(
                    session,
                    customer,
                    day,
                    tier=TIERS[(n + shift) % 4],
                    band=BANDS[n % 4],
                    clv=300.0 * 3**n,
                    churn_probability=n / 20,
                    value_at_risk=15.0 * 3**n * n / 20,
                )
            if n % 3 == 0:
                topic = ("fees", "card", "app")[n % 9 // 3]
                records.case(
                    session, customer, topic=topic, opened_at=datetime(2026, 9 - n // 3, 5)
                )
        product = records.product(session, "insurance", name="Home insurance")
        _results(session, product.id, west.id)
        session.commit()
    engine.dispose()


def _charts_drawn(page: Page, names: tuple[str, ...] = CHARTS) -> None:
    for name in names:
        expect(page.locator(f"[data-chart={name}] canvas")).to_have_count(1)


def no_sideways_scrolling(page: Page) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_analyst_reads_the_dashboard(desk: Watched, server: Server, scored: None) -> None:
    page = desk.page
    log_in(page, server, server.users["analyst"])
    page.get_by_role("link", name="Management dashboard").click()
    expect(page).to_have_url(f"{server.url}/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Management dashboard")
    expect(page.get_by_test_id("scope")).to_have_text("The whole bank, aggregates only.")
    _charts_drawn(page)
    expect(page.get_by_test_id("lorenz")).to_contain_text("the top 27% of customers")
    expect(page.get_by_test_id("migration")).to_contain_text("31 Aug 2026")
    expect(page.get_by_test_id("branch-table")).to_contain_text("West")
    expect(page.get_by_test_id("rules-table")).to_contain_text("Mortgage")
    expect(page.get_by_test_id("segments-table")).to_contain_text("Digital savers")
    page.get_by_test_id("demand").locator("summary").click()
    expect(page.get_by_test_id("demand-table")).to_contain_text("Home insurance")
    expect(page.get_by_text(SECRET)).to_have_count(0)
    desk.shot("dashboard")

    page.get_by_test_id("compare-to").select_option(FIRST.isoformat())
    page.get_by_test_id("show").click()
    expect(page).to_have_url(f"{server.url}/dashboard?as_of={LATEST}&compare_to={FIRST}")
    expect(page.get_by_test_id("migration")).to_contain_text("31 Jul 2026")
    _charts_drawn(page)
    desk.shot("dashboard-compared")

    page.get_by_test_id("as-of").select_option(FIRST.isoformat())
    page.get_by_test_id("compare-to").select_option("")
    page.get_by_test_id("show").click()
    expect(page.get_by_test_id("no-migration")).to_be_visible()
    expect(page.locator("[data-chart=tiers] canvas")).to_have_count(1)


def test_dashboard_on_a_phone(phone: Watched, server: Server, scored: None) -> None:
    page = phone.page
    log_in(page, server, server.users["analyst"])
    expect(page).to_have_url(f"{server.url}/")
    page.goto(f"{server.url}/dashboard")
    _charts_drawn(page)
    no_sideways_scrolling(page)
    phone.shot("dashboard")
    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("管理驾驶舱")
    _charts_drawn(page)
    no_sideways_scrolling(page)
    phone.shot("dashboard-zh")


def test_branch_manager_sees_their_branch(desk: Watched, server: Server, scored: None) -> None:
    page = desk.page
    log_in(page, server, server.users["branch_manager"])
    expect(page).to_have_url(f"{server.url}/")
    page.goto(f"{server.url}/dashboard")
    expect(page.get_by_test_id("scope")).to_contain_text("Branch North")
    # North's customers are not this module's: complaints and demand may have nothing to draw.
    _charts_drawn(page, ("lorenz", "tiers", "bands", "migration", "clv", "risk"))
    expect(page.get_by_test_id("branch-table")).to_contain_text("West")  # compared, aggregates
    expect(page.get_by_text(SECRET)).to_have_count(0)


def test_account_manager_gets_no_dashboard(desk: Watched, server: Server, scored: None) -> None:
    page = desk.page
    log_in(page, server, server.users["account_manager"])
    expect(page).to_have_url(f"{server.url}/")
    expect(page.get_by_role("link", name="Management dashboard")).to_have_count(0)
    # Fetched, not opened: Chromium reports any 403 page it shows as a console error.
    answer = page.request.get(f"{server.url}/dashboard")
    assert answer.status == 403
    assert "Your role has no management dashboard." in answer.text()
    assert "data-chart" not in answer.text()
