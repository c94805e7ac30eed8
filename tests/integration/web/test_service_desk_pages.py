"""The service desk's pages: the case queue (/cases), the case page (/cases/{id}) with its
work and survey forms, and service quality (/cases/analytics); who may use each, masking,
bad input, stale versions and the CSRF check."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.security.models import AuditEvent
from bankcrm.service_desk.models import Case, CaseSurvey
from bankcrm.service_desk.schemas import CaseSummary
from bankcrm.service_desk.sla import hours_left, sla_state
from bankcrm.web.pages import CSRF_COOKIE
from tests import records
from tests.integration.web.conftest import Bank, Login
from tests.integration.web.test_pages import log_in

NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
HTMX = {"HX-Request": "true"}
NOT_HANDLER = "Your role does not handle service cases."


def _cases(session: Session, bank: Bank) -> dict[str, Case]:
    """Cases of Anna's, Boris's (both north) and the southern customer, due at various
    times; one breached, one resolved."""
    cases = {
        "soon": records.case(
            session, bank.anna_customer, topic="card blocked", due_at=NOW + timedelta(hours=3)
        ),
        "late": records.case(
            session,
            bank.anna_customer,
            topic="fee charged twice",
            status="in_progress",
            priority="high",
            due_at=NOW - timedelta(hours=5),
        ),
        "breached": records.case(
            session,
            bank.anna_customer,
            kind="request",
            topic="statement copy",
            due_at=NOW - timedelta(days=1),
            breached=True,
        ),
        "later": records.case(
            session, bank.anna_customer, topic="new card pin", due_at=NOW + timedelta(days=3)
        ),
        "done": records.case(
            session,
            bank.anna_customer,
            topic="address change",
            status="resolved",
            resolution="address updated",
            due_at=NOW - timedelta(days=2),
            resolved_at=NOW - timedelta(days=3),
        ),
        "boris": records.case(
            session, bank.boris_customer, topic="boris topic", due_at=NOW + timedelta(days=1)
        ),
        "south": records.case(
            session, bank.south_customer, topic="southern topic", due_at=NOW + timedelta(days=2)
        ),
    }
    session.commit()
    return cases


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _version(html: str, form: str) -> str:
    found = re.search(rf'data-testid="form-{form}">.*?name="version" value="(\d+)"', html, re.S)
    assert found is not None
    return found.group(1)


def _surname(customer: Customer) -> str:
    assert customer.last_name is not None
    return customer.last_name


def _case_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-case-id="(\d+)"', html)]


def _reload(session: Session, case: Case) -> Case:
    session.expire_all()
    found = session.get(Case, case.id)
    assert found is not None
    return found


# --- the queue -------------------------------------------------------------------------


def test_strangers_go_to_the_login_form(client: TestClient) -> None:
    for path in ("/cases", "/cases/1", "/cases/analytics"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/login"


def test_account_manager_queue_soonest_due_first_with_sla_state(
    client: TestClient, bank: Bank, session: Session
) -> None:
    cases = _cases(session, bank)
    log_in(client, bank.users["account_manager"].username)
    page = client.get("/cases")
    assert page.status_code == 200
    html = page.text
    # Unresolved cases of Anna's customer only, soonest due first.
    assert _case_ids(html) == [cases[k].id for k in ("breached", "late", "soon", "later")]
    for state in ("breached", "overdue", "due_soon", "on_time"):
        assert f'data-sla="{state}"' in html, state
    assert "SLA breached" in html and "Past due" in html and "Due within 24 hours" in html
    assert "boris topic" not in html and "southern topic" not in html
    assert f"{bank.anna_customer.first_name} {bank.anna_customer.last_name}" in html
    assert f'href="/cases/{cases["soon"].id}"' in html
    assert (
        "<script>" not in html and "default-src 'self'" in page.headers["content-security-policy"]
    )
    listed = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "list", AuditEvent.record_type == "case")
    ).all()
    assert listed, "the page's list is audited as the API's"


def test_branch_manager_sees_the_branch_and_service_agent_all_masked(
    client: TestClient, bank: Bank, session: Session
) -> None:
    cases = _cases(session, bank)
    log_in(client, bank.users["branch_manager"].username)
    html = client.get("/cases").text
    assert cases["boris"].id in _case_ids(html)
    assert cases["south"].id not in _case_ids(html)
    client.cookies.clear()
    log_in(client, bank.users["service_agent"].username)
    html = client.get("/cases").text
    assert {cases["boris"].id, cases["south"].id} <= set(_case_ids(html))
    for customer in (bank.anna_customer, bank.south_customer):
        assert _surname(customer) not in html  # masked: no names
        assert customer.customer_no in html


@pytest.mark.parametrize("role", ["product_manager", "executive", "analyst", "auditor", "admin"])
def test_queue_is_refused_to_roles_that_do_not_handle_cases(
    client: TestClient, bank: Bank, session: Session, role: str
) -> None:
    _cases(session, bank)
    log_in(client, bank.users[role].username)
    page = client.get("/cases")
    assert page.status_code == 403
    assert NOT_HANDLER in page.text
    assert "card blocked" not in page.text


def test_queue_filters_and_htmx_partial(client: TestClient, bank: Bank, session: Session) -> None:
    cases = _cases(session, bank)
    log_in(client, bank.users["account_manager"].username)
    assert _case_ids(client.get("/cases?kind=request").text) == [cases["breached"].id]
    assert _case_ids(client.get("/cases?priority=high").text) == [cases["late"].id]
    assert _case_ids(client.get("/cases?breached=1").text) == [cases["breached"].id]
    assert _case_ids(client.get("/cases?status=resolved").text) == [cases["done"].id]
    assert _case_ids(client.get("/cases?status=in_progress").text) == [cases["late"].id]
    everything = _case_ids(client.get("/cases?status=all").text)
    assert set(everything) == {cases[k].id for k in ("soon", "late", "breached", "later", "done")}
    partial = client.get("/cases?kind=complaint", headers={**HTMX, "HX-Target": "case-results"})
    assert partial.text.lstrip().startswith('<div id="case-results"')
    assert "<html" not in partial.text
    assert cases["breached"].id not in _case_ids(partial.text)


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("status=bogus", "Status"),
        ("kind=parcel", "Kind"),
        ("priority=9", "Priority"),
        ("breached=yes", "SLA breached only"),
        ("page=x", "Page"),
    ],
)
def test_queue_bad_parameters_are_explained(
    client: TestClient, bank: Bank, session: Session, query: str, named: str
) -> None:
    cases = _cases(session, bank)
    log_in(client, bank.users["account_manager"].username)
    page = client.get(f"/cases?{query}")
    assert page.status_code == 200
    assert f"The value given for “{named}” is not valid and was ignored." in page.text
    assert cases["soon"].id in _case_ids(page.text)


def test_queue_past_the_last_page_and_in_chinese(
    client: TestClient, bank: Bank, session: Session
) -> None:
    _cases(session, bank)
    log_in(client, bank.users["account_manager"].username)
    page = client.get("/cases?page=40")
    assert "There is no such page; showing the last one." in page.text
    assert len(_case_ids(page.text)) == 4
    client.cookies.set("bankcrm_lang", "zh_Hans")
    chinese = client.get("/cases").text
    assert "服务工单" in chinese


def test_queue_pages_keep_the_filters(client: TestClient, bank: Bank, session: Session) -> None:
    for n in range(27):
        records.case(
            session, bank.anna_customer, topic=f"topic {n}", due_at=NOW + timedelta(hours=n)
        )
    session.commit()
    log_in(client, bank.users["account_manager"].username)
    first = client.get("/cases?kind=complaint").text
    assert "27 cases · Page 1 of 2" in first
    assert len(_case_ids(first)) == 25
    assert 'href="?kind=complaint&amp;page=2"' in first
    second = client.get(
        "/cases?kind=complaint&page=2", headers={**HTMX, "HX-Target": "case-results"}
    ).text
    assert len(_case_ids(second)) == 2 and "topic 26" in second
    assert 'href="?kind=complaint&amp;page=1" rel="prev"' in second


def test_api_list_filters_by_priority_and_unresolved(
    client: TestClient, bank: Bank, session: Session, login: Login
) -> None:
    cases = _cases(session, bank)
    headers = login(bank.users["account_manager"])
    high = client.get("/api/v1/cases?priority=high", headers=headers).json()
    assert [c["id"] for c in high["items"]] == [cases["late"].id]
    done = client.get("/api/v1/cases?unresolved=false", headers=headers).json()
    assert [c["id"] for c in done["items"]] == [cases["done"].id]
    assert client.get("/api/v1/cases?priority=9", headers=headers).status_code == 422


# --- the case page ---------------------------------------------------------------------


def test_case_page_for_the_manager_shows_everything(
    client: TestClient, bank: Bank, session: Session
) -> None:
    cases = _cases(session, bank)
    log_in(client, bank.users["account_manager"].username)
    page = client.get(f"/cases/{cases['late'].id}")
    assert page.status_code == 200
    html = page.text
    customer = bank.anna_customer
    assert f"{customer.first_name} {customer.last_name}" in html
    assert f'href="/customers/{customer.id}"' in html
    for text in ("fee charged twice", "charged twice", "Past due", "In progress", "High"):
        assert text in html, text
    assert 'data-testid="form-work"' in html
    assert 'data-testid="form-survey"' not in html  # not resolved yet
    assert "Identifiers are masked." not in html
    read = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "read",
            AuditEvent.record_type == "case",
            AuditEvent.record_id == str(cases["late"].id),
        )
    ).all()
    assert read


def test_case_page_for_the_service_agent_is_masked(
    client: TestClient, bank: Bank, session: Session
) -> None:
    cases = _cases(session, bank)
    log_in(client, bank.users["service_agent"].username)
    html = client.get(f"/cases/{cases['south'].id}").text
    assert _surname(bank.south_customer) not in html
    assert str(bank.south_customer.national_id) not in html
    assert bank.south_customer.customer_no in html
    assert "Identifiers are masked." in html
    assert f'href="/customers/{bank.south_customer.id}"' in html  # the masked 360


@pytest.mark.parametrize("path", ["/cases/abc", "/cases/0", "/cases/99999999999", "/cases/999999"])
def test_case_page_unknown_ids_are_404_pages(
    client: TestClient, bank: Bank, session: Session, path: str
) -> None:
    log_in(client, bank.users["account_manager"].username)
    page = client.get(path)
    assert page.status_code == 404
    assert "This case does not exist or is not in your scope." in page.text


def test_case_out_of_scope_is_404(client: TestClient, bank: Bank, session: Session) -> None:
    cases = _cases(session, bank)
    log_in(client, bank.users["account_manager"].username)
    page = client.get(f"/cases/{cases['boris'].id}")
    assert page.status_code == 404
    assert "boris topic" not in page.text


@pytest.mark.parametrize("role", ["analyst", "executive", "product_manager", "auditor"])
def test_case_page_without_personal_data_for_other_roles(
    client: TestClient, bank: Bank, session: Session, role: str
) -> None:
    cases = _cases(session, bank)
    log_in(client, bank.users[role].username)
    page = client.get(f"/cases/{cases['late'].id}")
    assert page.status_code == 403
    assert NOT_HANDLER in page.text
    for secret in (
        "fee charged twice",
        _surname(bank.anna_customer),
        bank.anna_customer.customer_no,
    ):
        assert secret not in page.text


def _post_work(
    client: TestClient, case: Case, html: str, headers: dict[str, str] | None = None, **fields: str
) -> str:
    data = {"csrf_token": _token(html), "version": _version(html, "work"), **fields}
    answer = client.post(f"/cases/{case.id}", data=data, headers=headers or {})
    assert answer.status_code == 200, answer.text
    return answer.text


def test_resolve_needs_a_resolution_then_resolves(
    client: TestClient, bank: Bank, session: Session
) -> None:
    cases = _cases(session, bank)
    case = cases["late"]
    log_in(client, bank.users["account_manager"].username)
    html = client.get(f"/cases/{case.id}").text
    answer = _post_work(client, case, html, status="resolved")
    assert 'id="work-resolution-error"' in answer
    assert "A resolved or closed case needs a resolution." in answer
    assert _reload(session, case).status == "in_progress"
    answer = _post_work(client, case, html, headers=HTMX, status="resolved", resolution="refunded")
    assert "The case is updated." in answer  # htmx followed the redirect to the page
    stored = _reload(session, case)
    assert (stored.status, stored.resolution) == ("resolved", "refunded")
    assert stored.resolved_at is not None
    assert 'data-testid="form-survey"' in answer
    assert "Recording the survey closes the case." in answer
    updated = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.record_type == "case")
    ).all()
    assert updated


def test_plain_post_redirects_to_the_page(client: TestClient, bank: Bank, session: Session) -> None:
    cases = _cases(session, bank)
    case = cases["soon"]
    log_in(client, bank.users["account_manager"].username)
    html = client.get(f"/cases/{case.id}").text
    data = {"csrf_token": _token(html), "version": _version(html, "work"), "priority": "urgent"}
    answer = client.post(f"/cases/{case.id}", data=data, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/cases/{case.id}?notice=updated"
    assert _reload(session, case).priority == "urgent"


def test_stale_version_shows_the_case_as_it_is_now(
    client: TestClient, bank: Bank, session: Session
) -> None:
    cases = _cases(session, bank)
    case = cases["soon"]
    log_in(client, bank.users["account_manager"].username)
    html = client.get(f"/cases/{case.id}").text
    _post_work(client, case, html, priority="high")  # someone else's change meanwhile
    version = _reload(session, case).version
    answer = _post_work(client, case, html, status="in_progress")
    assert "Someone changed this case meanwhile." in answer
    assert _reload(session, case).status == "open"
    assert _version(answer, "work") == str(version)  # the form now carries the fresh version
    data = {"csrf_token": _token(html), "version": "x", "status": "in_progress"}
    junk = client.post(f"/cases/{case.id}", data=data)
    assert "Someone changed this case meanwhile." in junk.text
    assert _reload(session, case).status == "open"


def test_assign_and_refusals_next_to_the_field(
    client: TestClient, bank: Bank, session: Session
) -> None:
    cases = _cases(session, bank)
    case = cases["soon"]
    agent = bank.users["service_agent"]
    log_in(client, bank.users["branch_manager"].username)
    html = client.get(f"/cases/{case.id}").text
    assert f'<option value="{agent.id}">{agent.username}</option>' in html
    assert bank.users["analyst"].username not in html  # not a case handler
    answer = _post_work(client, case, html, assignee_id=str(bank.users["analyst"].id))
    assert "Choose an active case handler." in answer and 'id="work-assignee_id-error"' in answer
    answer = _post_work(client, case, html, assignee_id="x")
    assert "This value is not accepted." in answer
    answer = _post_work(client, case, html, status="open")
    assert "Choose one of the options." in answer and 'id="work-status-error"' in answer
    answer = _post_work(client, case, html, resolution="x" * 4001)
    assert "Too long: at most 4000 characters." in answer
    answer = _post_work(client, case, html)
    assert "Change at least one field." in answer
    assert _reload(session, case).version == case.version
    answer = _post_work(client, case, html, assignee_id=str(agent.id))
    assert "The case is updated." in answer
    assert f'data-testid="assignee">{agent.username}<' in answer
    assert _reload(session, case).assignee_id == agent.id


def test_forms_without_the_token_are_refused(
    client: TestClient, bank: Bank, session: Session
) -> None:
    cases = _cases(session, bank)
    case = cases["done"]
    log_in(client, bank.users["account_manager"].username)
    html = client.get(f"/cases/{case.id}").text
    for path, data in (
        (f"/cases/{case.id}", {"version": _version(html, "work"), "status": "closed"}),
        (
            f"/cases/{case.id}/survey",
            {"version": _version(html, "survey"), "csat": "5", "nps": "9"},
        ),
    ):
        answer = client.post(path, data={**data, "csrf_token": "forged"})
        assert answer.status_code == 403
        assert "The form had expired" in answer.text
    stored = _reload(session, case)
    assert stored.status == "resolved"
    assert session.scalars(select(CaseSurvey)).first() is None
    client.cookies.delete(CSRF_COOKIE)
    client.cookies.clear()
    answer = client.post(f"/cases/{case.id}", data={"csrf_token": "x"}, follow_redirects=False)
    assert answer.status_code == 403


def test_survey_closes_a_resolved_case_once(
    client: TestClient, bank: Bank, session: Session
) -> None:
    cases = _cases(session, bank)
    case = cases["done"]
    log_in(client, bank.users["service_agent"].username)
    html = client.get(f"/cases/{case.id}").text
    token, version = _token(html), _version(html, "survey")

    def post(**fields: str) -> str:
        data = {"csrf_token": token, "version": version, **fields}
        answer = client.post(f"/cases/{case.id}/survey", data=data, headers=HTMX)
        assert answer.status_code == 200
        return answer.text

    answer = post(nps="9")
    assert 'id="survey-csat-error"' in answer and "This field is required." in answer
    answer = post(csat="9", nps="11")
    assert "Choose a score from 1 to 5." in answer and "Choose a score from 0 to 10." in answer
    assert _reload(session, case).status == "resolved"
    answer = post(csat="4", nps="9", comment="quick and kind")
    assert "The survey is recorded and the case is closed." in answer
    stored = _reload(session, case)
    assert (stored.status, stored.satisfaction) == ("closed", 4)
    assert "Satisfaction 4 of 5 · would recommend 9 of 10" in answer
    assert 'data-testid="form-survey"' not in answer and 'data-testid="form-work"' not in answer
    again = post(csat="1", nps="0")
    assert "This case already has its survey." in again
    assert session.scalars(select(CaseSurvey.csat)).all() == [4]


def test_survey_on_a_closed_case_without_one(
    client: TestClient, bank: Bank, session: Session
) -> None:
    case = records.case(
        session, bank.anna_customer, status="closed", resolution="done", resolved_at=NOW
    )
    session.commit()
    log_in(client, bank.users["account_manager"].username)
    html = client.get(f"/cases/{case.id}").text
    assert 'data-testid="form-survey"' in html and 'data-testid="form-work"' not in html
    assert "Recording the survey closes the case." not in html
    data = {"csrf_token": _token(html), "version": _version(html, "survey"), "csat": "2"}
    answer = client.post(f"/cases/{case.id}/survey", data={**data, "nps": "3"})
    assert "The survey is recorded and the case is closed." in answer.text
    assert _reload(session, case).satisfaction == 2


def test_survey_on_an_open_case_is_too_early(
    client: TestClient, bank: Bank, session: Session
) -> None:
    cases = _cases(session, bank)
    case = cases["soon"]
    log_in(client, bank.users["account_manager"].username)
    html = client.get(f"/cases/{case.id}").text
    data = {"csrf_token": _token(html), "version": str(case.version), "csat": "5", "nps": "10"}
    answer = client.post(f"/cases/{case.id}/survey", data=data)
    assert "The survey is taken once the case is resolved." in answer.text
    assert session.scalars(select(CaseSurvey)).first() is None


def test_analyst_cannot_post_to_a_case(client: TestClient, bank: Bank, session: Session) -> None:
    cases = _cases(session, bank)
    case = cases["done"]
    token = log_in(client, bank.users["analyst"].username)
    for path, data in (
        (f"/cases/{case.id}", {"version": str(case.version), "status": "closed"}),
        (f"/cases/{case.id}/survey", {"version": str(case.version), "csat": "5", "nps": "9"}),
    ):
        answer = client.post(path, data={**data, "csrf_token": token})
        assert answer.status_code == 403, path
        assert NOT_HANDLER in answer.text
    assert _reload(session, case).status == "resolved"


# --- service quality -------------------------------------------------------------------


def _quality_data(html: str) -> dict[str, object]:
    found = re.search(
        r'<script type="application/json" id="quality-data">(.*?)</script>', html, re.S
    )
    assert found is not None
    data: dict[str, object] = json.loads(unescape(found.group(1)))
    return data


def _analytics_cases(session: Session, bank: Bank) -> None:
    month = datetime(NOW.year, NOW.month, 3, 10, 0)
    earlier = (month.replace(day=1) - timedelta(days=1)).replace(day=3)
    records.case(session, bank.anna_customer, topic="fees", opened_at=month)
    records.case(session, bank.anna_customer, topic="fees", opened_at=earlier)
    records.case(session, bank.boris_customer, topic="card", opened_at=month, satisfaction=5)
    records.case(session, bank.boris_customer, kind="praise", topic="staff", opened_at=month)
    records.case(session, bank.south_customer, topic="southern fees", opened_at=month)
    session.commit()


def test_analytics_for_the_branch_manager_counts_the_branch(
    client: TestClient, bank: Bank, session: Session
) -> None:
    _analytics_cases(session, bank)
    log_in(client, bank.users["branch_manager"].username)
    page = client.get("/cases/analytics")
    assert page.status_code == 200
    html = page.text
    assert 'data-figure="cases">4<' in html
    assert "southern fees" not in html
    assert 'data-chart="cases-by-kind"' in html and "js/cases.js" in html
    data = _quality_data(html)
    months = data["months"]
    assert isinstance(months, list) and len(months) == 12
    assert months[-1] == f"{NOW.year:04d}-{NOW.month:02d}"
    assert data["kinds"] == [
        {"name": "Complaint", "data": [0] * 10 + [1, 2]},
        {"name": "Praise", "data": [0] * 11 + [1]},
    ]
    assert data["topics"] == [
        {"name": "fees", "data": [0] * 10 + [1, 1]},
        {"name": "card", "data": [0] * 11 + [1]},
    ]
    for secret in (_surname(bank.anna_customer), bank.anna_customer.customer_no, "charged twice"):
        assert secret not in html


@pytest.mark.parametrize("role", ["analyst", "executive", "product_manager"])
def test_analytics_for_aggregate_roles_counts_the_bank(
    client: TestClient, bank: Bank, session: Session, role: str
) -> None:
    _analytics_cases(session, bank)
    log_in(client, bank.users[role].username)
    html = client.get("/cases/analytics").text
    assert 'data-figure="cases">5<' in html
    assert "southern fees" in html
    assert _surname(bank.south_customer) not in html


@pytest.mark.parametrize("role", ["account_manager", "service_agent", "auditor", "admin"])
def test_analytics_refused_to_other_roles(client: TestClient, bank: Bank, role: str) -> None:
    log_in(client, bank.users[role].username)
    page = client.get("/cases/analytics")
    assert page.status_code == 403
    assert "Your role does not see the service-quality figures." in page.text


def test_analytics_month_range_and_bad_months(
    client: TestClient, bank: Bank, session: Session
) -> None:
    _analytics_cases(session, bank)
    log_in(client, bank.users["analyst"].username)
    this = f"{NOW.year:04d}-{NOW.month:02d}"
    only = client.get(f"/cases/analytics?since={this}&until={this}").text
    assert 'data-figure="cases">4<' in only
    assert _quality_data(only)["months"] == [this]
    for query, field, message in (
        ("since=2026-13", "since", "Enter a month as YYYY-MM."),
        ("until=junk", "until", "Enter a month as YYYY-MM."),
        (f"since=2999-01&until={this}", "since", "The first month must not be after the last."),
        (f"since=1900-01&until={this}", "since", "At most 120 months at a time."),
    ):
        page = client.get(f"/cases/analytics?{query}")
        assert page.status_code == 200, query
        assert f'id="range-{field}-error"' in page.text and message in page.text, query
        assert 'data-figure="cases">5<' in page.text  # the default 12 months instead
    empty = client.get("/cases/analytics?since=2001-01&until=2001-02").text
    assert "No case was opened in these months." in empty
    assert 'id="quality-data"' not in empty


# --- the SLA state ---------------------------------------------------------------------


def _summary(bank: Bank, **fields: object) -> CaseSummary:
    values: dict[str, object] = {
        "id": 1,
        "case_no": "CRM-1",
        "customer": {"id": bank.anna_customer.id, "reference": "C1", "name": None},
        "kind": "complaint",
        "topic": "t",
        "channel": "phone",
        "priority": "normal",
        "status": "open",
        "opened_at": NOW,
        "due_at": None,
        "resolved_at": None,
        "breached": False,
        "assignee_id": None,
        "version": 1,
        "view": "masked",
    }
    return CaseSummary.model_validate({**values, **fields})


def test_sla_state_and_hours_left(bank: Bank) -> None:
    now = datetime.now(UTC)
    naive = now.replace(tzinfo=None)
    assert sla_state(_summary(bank), now) is None
    assert sla_state(_summary(bank, due_at=naive + timedelta(days=2)), now) == "on_time"
    soon = _summary(bank, due_at=naive + timedelta(hours=5, minutes=30))
    assert (sla_state(soon, now), hours_left(soon, now)) == ("due_soon", 5)
    late = _summary(bank, due_at=naive - timedelta(minutes=1))
    assert (sla_state(late, now), hours_left(late, now)) == ("overdue", None)
    breached = _summary(bank, due_at=naive - timedelta(hours=1), breached=True)
    assert sla_state(breached, now) == "breached"
    kept = _summary(bank, status="closed", due_at=naive, resolved_at=naive - timedelta(hours=1))
    assert (sla_state(kept, now), hours_left(kept, now)) == ("kept", None)
    missed = _summary(bank, status="resolved", due_at=naive, resolved_at=naive + timedelta(hours=1))
    assert sla_state(missed, now) == "missed"
