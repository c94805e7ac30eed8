"""The service desk in Chromium: a service agent works a case from the queue to its survey
(masked, htmx forms with errors next to the field), a branch manager and an analyst see the
service-quality charts, an analyst gets no case page, and the pages fit a 375 px phone.
Any console error fails the test (conftest)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.kit.db import make_engine
from bankcrm.security.models import User
from bankcrm.staff.models import Branch
from tests import records
from tests.e2e.conftest import E2E, PHONE, Server, Watched
from tests.e2e.test_workbench import log_in

pytestmark = E2E

TOPIC = "card charged twice at the desk"
SURNAME = "Novakova"


@pytest.fixture(scope="module")
def cases(server: Server) -> dict[str, str]:
    """Two cases of a north customer (the branch manager's branch) opened now: one due in
    three hours, one breached; returns their case numbers and the customer's number."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    engine = make_engine(server.database_url)
    with Session(engine) as session:
        manager = session.scalars(
            select(User).where(User.username == server.users["branch_manager"])
        ).one()
        north = session.get(Branch, manager.branch_id)
        assert north is not None
        staff = records.staff(session, north)
        customer = records.customer(session, north, staff, first_name="Jana", last_name=SURNAME)
        soon = records.case(
            session,
            customer,
            case_no="DESK-E2E-1",
            topic=TOPIC,
            opened_at=now - timedelta(hours=1),
            due_at=now + timedelta(hours=3),
            tier_at_opening="gold",
            sla_hours=4,
        )
        late = records.case(
            session,
            customer,
            case_no="DESK-E2E-2",
            kind="request",
            topic="statement copy",
            opened_at=now - timedelta(days=3),
            due_at=now - timedelta(days=1),
            breached=True,
        )
        session.commit()
        found = {"soon": soon.case_no, "late": late.case_no, "customer": customer.customer_no}
    engine.dispose()
    return found


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_service_agent_resolves_a_case_and_records_the_survey(
    desk: Watched, server: Server, cases: dict[str, str]
) -> None:
    page = desk.page
    log_in(page, server, server.users["service_agent"])
    expect(page).to_have_url(f"{server.url}/")
    page.get_by_role("link", name="Service cases").click()
    expect(page).to_have_url(f"{server.url}/cases")
    results = page.get_by_test_id("case-results")
    soon = results.locator("tr", has_text=cases["soon"])
    expect(soon.locator("[data-sla]")).to_have_attribute("data-sla", "due_soon")
    late = results.locator("tr", has_text=cases["late"])
    expect(late.locator("[data-sla]")).to_have_text("SLA breached")
    expect(results).to_contain_text(cases["customer"])
    expect(results).not_to_contain_text(SURNAME)  # service agents see masked identifiers
    page.evaluate("window.notReloaded = true")

    # Filters swap the results through htmx and push the address.
    page.get_by_label("SLA breached only").check()
    expect(page).to_have_url(re.compile(r"/cases\?.*breached=1"))
    expect(results.locator("tr", has_text=cases["soon"])).to_have_count(0)
    expect(results.locator("tr", has_text=cases["late"])).to_have_count(1)
    assert page.evaluate("window.notReloaded") is True
    desk.shot("queue-breached")
    page.get_by_label("SLA breached only").uncheck()
    expect(results.locator("tr", has_text=cases["soon"])).to_have_count(1)
    desk.shot("queue")

    results.get_by_role("link", name=cases["soon"]).click()
    expect(page.get_by_test_id("case-no")).to_have_text(f"Case {cases['soon']}")
    expect(page.get_by_test_id("masked")).to_be_visible()
    expect(page.get_by_test_id("customer")).not_to_contain_text(SURNAME)
    expect(page.get_by_test_id("sla")).to_contain_text("Due within 24 hours")
    page.evaluate("window.notReloaded = true")

    work = page.get_by_test_id("form-work")
    work.get_by_label("Move to").select_option("resolved")
    work.get_by_role("button", name="Save").click()
    expect(page.locator("#work-resolution-error")).to_have_text(
        "A resolved or closed case needs a resolution."
    )
    desk.shot("resolution-missing")
    page.get_by_test_id("form-work").get_by_label("Resolution").fill("refunded the second charge")
    page.get_by_test_id("form-work").get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("notice")).to_have_text("The case is updated.")
    expect(page.get_by_test_id("status")).to_have_text("Resolved")
    expect(page.get_by_test_id("resolution")).to_have_text("refunded the second charge")

    survey = page.get_by_test_id("form-survey")
    survey.get_by_role("button", name="Record the survey").click()
    expect(page.locator("#survey-csat-error")).to_have_text("This field is required.")
    survey = page.get_by_test_id("form-survey")
    survey.get_by_label("Satisfaction with the handling").select_option("5")
    survey.get_by_label("How likely to recommend the bank").select_option("9")
    survey.get_by_label("Comment").fill("quick and kind")
    survey.get_by_role("button", name="Record the survey").click()
    expect(page.get_by_test_id("notice")).to_have_text(
        "The survey is recorded and the case is closed."
    )
    expect(page.get_by_test_id("status")).to_have_text("Closed")
    expect(page.get_by_test_id("survey")).to_contain_text("Satisfaction 5 of 5")
    expect(page.get_by_test_id("form-survey")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True  # htmx swapped the case, no reload
    desk.shot("case-closed")


def test_branch_manager_sees_the_service_quality_charts(
    desk: Watched, server: Server, cases: dict[str, str]
) -> None:
    page = desk.page
    log_in(page, server, server.users["branch_manager"])
    expect(page).to_have_url(f"{server.url}/")
    page.get_by_role("link", name="Service quality").click()
    expect(page).to_have_url(f"{server.url}/cases/analytics")
    expect(page.locator("[data-chart=cases-by-kind] canvas")).to_have_count(1)
    expect(page.locator("[data-chart=complaint-topics] canvas")).to_have_count(1)
    expect(page.get_by_test_id("by-topic")).to_contain_text(TOPIC)
    expect(page.locator("[data-figure=breaches]")).not_to_have_text("0")
    expect(page.locator("main")).not_to_contain_text(SURNAME)
    expect(page.locator("main")).not_to_contain_text(cases["customer"])
    desk.shot("analytics")


def test_analyst_sees_aggregates_but_no_case_on_a_phone(
    phone: Watched, server: Server, cases: dict[str, str]
) -> None:
    page = phone.page
    log_in(page, server, server.users["analyst"])
    expect(page).to_have_url(f"{server.url}/")
    page.get_by_role("link", name="Service quality").click()
    expect(page.locator("[data-chart=cases-by-kind] canvas")).to_have_count(1)
    _no_sideways_scroll(page)
    phone.shot("analytics")
    # Bad month: the error next to the field, the default months instead.
    page.goto(f"{server.url}/cases/analytics?since=2026-13")
    expect(page.locator("#range-since-error")).to_have_text("Enter a month as YYYY-MM.")
    # No queue and no case page: the refusal page, without the case's personal data.
    for path in ("/cases", "/cases/1"):
        answer = page.request.get(f"{server.url}{path}")
        assert answer.status == 403, path
        text = answer.text()
        assert "Your role does not handle service cases." in text
        for secret in (SURNAME, TOPIC, cases["customer"]):
            assert secret not in text


def test_service_agent_pages_fit_a_phone(
    phone: Watched, server: Server, cases: dict[str, str]
) -> None:
    page = phone.page
    log_in(page, server, server.users["service_agent"])
    expect(page).to_have_url(f"{server.url}/")
    page.goto(f"{server.url}/cases?status=all")
    expect(page.get_by_test_id("case-results")).to_contain_text(cases["late"])
    _no_sideways_scroll(page)
    phone.shot("queue")
    page.get_by_test_id("case-results").get_by_role("link", name=cases["late"]).click()
    expect(page.get_by_test_id("sla")).to_contain_text("SLA breached")
    _no_sideways_scroll(page)
    phone.shot("case")
