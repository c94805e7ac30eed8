"""The service desk API: every role on every case route, SLA by tier, optimistic locking,
surveys once per case, breach escalation and the feedback analytics."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.config import Settings
from bankcrm.customers.models import Customer
from bankcrm.security.models import AuditEvent
from bankcrm.security.principal import system_principal
from bankcrm.service_desk import service
from bankcrm.service_desk.models import Case
from tests import records
from tests.integration.web.conftest import SCORED_ON, Bank, Login

# role -> status of opening/reading a case of (anna's, boris's, the south customer).
MATRIX = {
    "account_manager": (200, 404, 404),
    "account_manager_2": (404, 404, 200),
    "branch_manager": (200, 200, 404),
    "service_agent": (200, 200, 200),
    "product_manager": (403, 403, 403),
    "executive": (403, 403, 403),
    "analyst": (403, 403, 403),
    "auditor": (403, 403, 403),
    "admin": (403, 403, 403),
}
NEW = {"kind": "complaint", "topic": "card fee", "channel": "phone", "description": "twice"}


def _customers(bank: Bank) -> tuple[Customer, Customer, Customer]:
    return bank.anna_customer, bank.boris_customer, bank.south_customer


def _events(session: Session, action: str, record_type: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.record_type == record_type)
            .order_by(AuditEvent.id)
        )
    )


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_open_case_by_role(
    client: TestClient, bank: Bank, login: Login, session: Session, role: str
) -> None:
    headers = login(bank.users[role])
    for customer, expected in zip(_customers(bank), MATRIX[role], strict=True):
        response = client.post(f"/api/v1/customers/{customer.id}/cases", json=NEW, headers=headers)
        assert response.status_code == (201 if expected == 200 else expected), response.text
        if expected == 200:
            body = response.json()
            assert body["case_no"] == f"CRM-{body['id']:08d}"
            assert body["status"] == "open" and body["opened_by"] == bank.users[role].username
            assert body["customer"]["id"] == customer.id
    created = _events(session, "create", "case")
    assert len(created) == sum(1 for s in MATRIX[role] if s == 200)
    assert all(e.actor == bank.users[role].username for e in created)


def test_case_numbers_do_not_clash_with_imported_ones(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    records.case(session, bank.anna_customer, case_no="CRM-00000001-imported")
    records.case(session, bank.anna_customer, case_no="K00000001")
    session.commit()
    headers = login(bank.users["account_manager"])
    url = f"/api/v1/customers/{bank.anna_customer.id}/cases"
    numbers = {client.post(url, json=NEW, headers=headers).json()["case_no"] for _ in range(3)}
    assert len(numbers) == 3 and all(n.startswith("CRM-") for n in numbers)


def test_bad_case_input_is_422_naming_the_field(
    client: TestClient, bank: Bank, login: Login
) -> None:
    headers = login(bank.users["service_agent"])
    url = f"/api/v1/customers/{bank.anna_customer.id}/cases"
    bad = client.post(url, json={**NEW, "kind": "rant"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "body.kind"
    missing = client.post("/api/v1/customers/999999/cases", json=NEW, headers=headers)
    assert missing.status_code == 404


def test_sla_due_time_follows_the_latest_tier(
    client: TestClient, bank: Bank, login: Login, session: Session, settings: Settings
) -> None:
    later = SCORED_ON + timedelta(days=30)
    records.score(session, bank.anna_customer, later, tier="gold")
    records.score(session, bank.boris_customer, later, tier="growth")
    records.score(session, bank.south_customer, later, tier="unprofitable")
    unscored = records.customer(session, bank.north, bank.anna)
    session.commit()
    headers = login(bank.users["service_agent"])
    expected = {
        bank.anna_customer.id: ("gold", 4),
        bank.boris_customer.id: ("growth", 24),
        bank.south_customer.id: ("unprofitable", 72),
        unscored.id: ("general", 48),
    }
    for customer_id, (tier, hours) in expected.items():
        body = client.post(
            f"/api/v1/customers/{customer_id}/cases", json=NEW, headers=headers
        ).json()
        opened, due = (datetime.fromisoformat(body[k]) for k in ("opened_at", "due_at"))
        assert (body["tier_at_opening"], body["sla_hours"]) == (tier, hours)
        assert due - opened == timedelta(hours=hours)
    # The hours are settings: one place to change them.
    settings.case_sla_hours = {**settings.case_sla_hours, "gold": 2}
    body = client.post(
        f"/api/v1/customers/{bank.anna_customer.id}/cases", json=NEW, headers=headers
    ).json()
    assert body["sla_hours"] == 2


def _three_cases(session: Session, bank: Bank) -> tuple[Case, Case, Case]:
    cases = tuple(records.case(session, c) for c in _customers(bank))
    session.commit()
    return cases  # type: ignore[return-value]


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_read_case_by_role(
    client: TestClient, bank: Bank, login: Login, session: Session, role: str
) -> None:
    cases = _three_cases(session, bank)
    headers = login(bank.users[role])
    for case, expected in zip(cases, MATRIX[role], strict=True):
        response = client.get(f"/api/v1/cases/{case.id}", headers=headers)
        assert response.status_code == expected, response.text
        if expected == 200:
            body = response.json()
            assert body["description"] == "charged twice"
            full = role != "service_agent"
            assert (body["customer"]["name"] is not None) == full
            assert body["view"] == ("full" if full else "masked")
    assert len(_events(session, "read", "case")) == sum(1 for s in MATRIX[role] if s == 200)


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_case_list_is_in_scope(
    client: TestClient, bank: Bank, login: Login, session: Session, role: str
) -> None:
    cases = _three_cases(session, bank)
    response = client.get("/api/v1/cases", headers=login(bank.users[role]))
    if MATRIX[role][0] == 403:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    seen = {item["id"] for item in response.json()["items"]}
    assert seen == {c.id for c, s in zip(cases, MATRIX[role], strict=True) if s == 200}
    listed = _events(session, "list", "case")
    assert len(listed) == 1 and listed[0].record_ids is not None


def test_case_list_filters_and_pages(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    records.case(session, bank.anna_customer, kind="praise", status="closed")
    records.case(session, bank.anna_customer, kind="complaint", status="open", breached=True)
    records.case(session, bank.boris_customer, kind="request", status="in_progress")
    session.commit()
    headers = login(bank.users["branch_manager"])

    def ids(query: str) -> list[str]:
        body = client.get(f"/api/v1/cases?{query}", headers=headers).json()
        return sorted(item["kind"] + ":" + item["status"] for item in body["items"])

    assert ids("status=open") == ["complaint:open"]
    assert ids("kind=praise") == ["praise:closed"]
    assert ids("breached=true") == ["complaint:open"]
    assert ids("breached=false") == ["praise:closed", "request:in_progress"]
    page = client.get("/api/v1/cases?limit=2&offset=1", headers=headers).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    bad = client.get("/api/v1/cases?status=lost", headers=headers)
    assert bad.status_code == 422


def _patch(client: TestClient, case_id: int, headers: dict[str, str], **change: object) -> object:
    return client.patch(f"/api/v1/cases/{case_id}", json=change, headers=headers)


def test_assign_progress_resolve_and_close(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    case = records.case(session, bank.anna_customer)
    session.commit()
    headers = login(bank.users["service_agent"])
    agent = bank.users["service_agent"]
    url = f"/api/v1/cases/{case.id}"
    step = client.patch(url, json={"version": 1, "assignee_id": agent.id}, headers=headers)
    assert step.status_code == 200 and step.json()["assignee_id"] == agent.id
    assert step.json()["version"] == 2
    not_handler = client.patch(
        url, json={"version": 2, "assignee_id": bank.users["auditor"].id}, headers=headers
    )
    assert not_handler.status_code == 422 and not_handler.json()["field"] == "assignee_id"
    step = client.patch(url, json={"version": 2, "status": "in_progress"}, headers=headers)
    assert step.json()["status"] == "in_progress"
    no_text = client.patch(url, json={"version": 3, "status": "resolved"}, headers=headers)
    assert no_text.status_code == 422 and no_text.json()["field"] == "resolution"
    resolved = client.patch(
        url,
        json={"version": 3, "status": "resolved", "resolution": "fee refunded"},
        headers=headers,
    ).json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"] is not None
    closed = client.patch(url, json={"version": 4, "status": "closed"}, headers=headers).json()
    assert closed["status"] == "closed" and closed["closed_at"] is not None
    assert closed["resolution"] == "fee refunded"
    again = client.patch(url, json={"version": 5, "status": "in_progress"}, headers=headers)
    assert again.status_code == 409
    updates = _events(session, "update", "case")
    assert len(updates) == 4  # assign, in progress, resolved, closed: not the refused ones
    assert '"resolution"' in updates[2].fields and '"closed_at"' in updates[3].fields


def test_stale_version_is_409_and_overwrites_nothing(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    case = records.case(session, bank.anna_customer)
    session.commit()
    manager, agent = login(bank.users["branch_manager"]), login(bank.users["service_agent"])
    url = f"/api/v1/cases/{case.id}"
    first = client.patch(
        url, json={"version": 1, "status": "resolved", "resolution": "refunded"}, headers=manager
    )
    assert first.status_code == 200
    stale = client.patch(
        url, json={"version": 1, "priority": "urgent", "resolution": "other"}, headers=agent
    )
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    session.expire_all()
    stored = session.get(Case, case.id)
    assert stored is not None
    assert (stored.priority, stored.resolution, stored.version) == ("normal", "refunded", 2)
    assert len(_events(session, "update", "case")) == 1


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_update_case_by_role(
    client: TestClient, bank: Bank, login: Login, session: Session, role: str
) -> None:
    cases = _three_cases(session, bank)
    headers = login(bank.users[role])
    for case, expected in zip(cases, MATRIX[role], strict=True):
        response = _patch(client, case.id, headers, version=1, priority="high")
        assert response.status_code == expected  # type: ignore[attr-defined]


def test_survey_once_on_a_closed_case(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    case = records.case(session, bank.anna_customer)
    session.commit()
    headers = login(bank.users["account_manager"])
    survey = f"/api/v1/cases/{case.id}/survey"
    answer = {"csat": 4, "nps": 9, "comment": "fine"}
    assert client.post(survey, json=answer, headers=headers).status_code == 409  # still open
    client.patch(
        f"/api/v1/cases/{case.id}",
        json={"version": 1, "status": "closed", "resolution": "explained"},
        headers=headers,
    )
    assert client.post(survey, json={"csat": 6, "nps": 9}, headers=headers).status_code == 422
    assert client.post(survey, json={"csat": 5, "nps": 11}, headers=headers).status_code == 422
    first = client.post(survey, json=answer, headers=headers)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["survey"]["csat"] == 4 and body["survey"]["nps"] == 9
    assert body["satisfaction"] == 4
    second = client.post(survey, json={"csat": 1, "nps": 0}, headers=headers)
    assert second.status_code == 409
    assert client.get(f"/api/v1/cases/{case.id}", headers=headers).json()["survey"]["csat"] == 4
    assert len(_events(session, "create", "case_survey")) == 1
    outsider = client.post(survey, json=answer, headers=login(bank.users["account_manager_2"]))
    assert outsider.status_code == 404


def test_escalation_marks_breaches_for_the_branch_manager(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    now = datetime(2026, 3, 1, 12, 0)
    past, future = now - timedelta(hours=1), now + timedelta(hours=1)
    late_north = records.case(session, bank.anna_customer, due_at=past)
    late_south = records.case(session, bank.south_customer, due_at=past, status="in_progress")
    resolved = records.case(session, bank.boris_customer, due_at=past, status="resolved")
    on_time = records.case(session, bank.boris_customer, due_at=future)
    # imported, no due time: the SLA of the customer's tier from its opening (gold: 4 h)
    records.score(session, bank.boris_customer, SCORED_ON + timedelta(days=1), tier="gold")
    imported_late = records.case(session, bank.boris_customer, opened_at=now - timedelta(hours=5))
    imported = records.case(session, bank.boris_customer, opened_at=now - timedelta(hours=3))
    imported_resolved = records.case(session, bank.boris_customer, status="resolved")
    south_manager = records.user(session, "branch_manager", branch=bank.south)
    session.commit()

    settings = Settings()
    report = service.escalate(session, settings, system_principal("cases escalate"), now)
    session.commit()
    assert report.due_times_set == 2
    assert sorted(report.case_ids) == sorted([late_north.id, late_south.id, imported_late.id])
    session.expire_all()
    timed = session.get(Case, imported.id)
    assert timed is not None and (timed.tier_at_opening, timed.sla_hours) == ("gold", 4)
    assert timed.due_at == now + timedelta(hours=1)
    kept = session.get(Case, imported_resolved.id)
    assert kept is not None and kept.due_at is None
    session.expire_all()
    north = session.get(Case, late_north.id)
    south = session.get(Case, late_south.id)
    assert north is not None and south is not None
    assert north.breached and north.escalated_at == now
    assert north.escalated_to_id == bank.users["branch_manager"].id
    assert north.escalated_branch_id == bank.north.id
    assert north.escalated_by == "system:cases escalate"
    assert south.escalated_to_id == south_manager.id
    for untouched in (resolved, on_time, imported):
        stored = session.get(Case, untouched.id)
        assert stored is not None and not stored.breached and stored.escalated_at is None
    again = service.escalate(session, settings, system_principal("cases escalate"), now)
    assert (again.escalated, again.due_times_set) == (0, 0)
    escalations = _events(session, "escalate", "case")
    assert len(escalations) == 1

    listed = client.get("/api/v1/cases?breached=true", headers=login(bank.users["branch_manager"]))
    breached = {item["id"] for item in listed.json()["items"]}
    assert breached == {late_north.id, imported_late.id}  # both customers of the north branch
    detail = client.get(
        f"/api/v1/cases/{late_north.id}", headers=login(bank.users["branch_manager"])
    ).json()
    assert detail["breached"] is True
    assert detail["escalation"]["to_username"] == bank.users["branch_manager"].username


def _analytics_fixture(session: Session, bank: Bank) -> None:
    """Five cases whose figures are worked out by hand in the test below."""
    anna, boris, south = _customers(bank)

    def at(month: int, day: int, hour: int = 9) -> datetime:
        return datetime(2025, month, day, hour, 0)

    c1 = records.case(
        session, anna, topic="fees", opened_at=at(1, 10), due_at=at(1, 10, 13),
        resolved_at=at(1, 10, 12), status="closed",
    )  # fmt: skip
    c2 = records.case(
        session, boris, topic="fees", opened_at=at(1, 20), due_at=at(1, 22),
        resolved_at=at(1, 23), status="closed",
    )  # fmt: skip
    c3 = records.case(
        session, south, kind="request", topic="card", opened_at=at(2, 5), due_at=at(2, 7)
    )
    records.case(session, anna, kind="praise", topic="service", opened_at=at(2, 14), satisfaction=4)
    c5 = records.case(
        session, south, kind="feedback", topic="card", opened_at=at(2, 20),
        due_at=datetime(2099, 1, 1),
    )  # fmt: skip
    records.case_survey(session, c1, csat=5, nps=10)
    records.case_survey(session, c2, csat=2, nps=3)
    records.case_survey(session, c3, csat=4, nps=9)
    records.case_survey(session, c5, csat=3, nps=8)
    session.commit()


def test_analytics_numbers_computed_by_hand(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    _analytics_fixture(session, bank)
    response = client.get("/api/v1/cases/analytics", headers=login(bank.users["executive"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cases"] == 5
    assert body["by_month"] == [
        {"month": "2025-01", "kind": "complaint", "topic": "fees", "cases": 2},
        {"month": "2025-02", "kind": "feedback", "topic": "card", "cases": 1},
        {"month": "2025-02", "kind": "praise", "topic": "service", "cases": 1},
        {"month": "2025-02", "kind": "request", "topic": "card", "cases": 1},
    ]
    assert body["by_kind"] == {"complaint": 2, "feedback": 1, "praise": 1, "request": 1}
    assert body["by_topic"] == {"fees": 2, "card": 2, "service": 1}
    # CSAT: 5, 2, 4 (request), 4 (praise, imported), 3 -> 18 / 5.
    assert body["mean_csat"] == pytest.approx(3.6) and body["csat_responses"] == 5
    # NPS: 10 and 9 promote, 8 is passive, 3 detracts: (2 - 1) / 4 = 25.
    assert (body["promoters"], body["passives"], body["detractors"]) == (2, 1, 1)
    assert body["nps"] == pytest.approx(25.0)
    # SLA: c1 kept, c2 resolved late, c3 unresolved past due; the praise has no due time
    # and the feedback is not due yet: 1 of 3.
    assert (body["sla_cases"], body["sla_kept"]) == (3, 1)
    assert body["sla_kept_percent"] == pytest.approx(100 / 3, abs=1e-3)
    assert "name" not in response.text and bank.anna_customer.customer_no not in response.text

    february = client.get(
        "/api/v1/cases/analytics?since=2025-02&until=2025-02",
        headers=login(bank.users["analyst"]),
    ).json()
    assert february["cases"] == 3 and february["nps"] == pytest.approx(50.0)

    north = client.get(
        "/api/v1/cases/analytics", headers=login(bank.users["branch_manager"])
    ).json()
    # The north branch: c1, c2 and the praise. CSAT (5 + 2 + 4) / 3, NPS (1 - 1) / 2, SLA 1 / 2.
    assert north["cases"] == 3 and north["by_kind"] == {"complaint": 2, "praise": 1}
    assert north["mean_csat"] == pytest.approx(11 / 3, abs=1e-3)
    assert north["nps"] == pytest.approx(0.0)
    assert north["sla_kept_percent"] == pytest.approx(50.0)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("executive", 200),
        ("analyst", 200),
        ("product_manager", 200),
        ("branch_manager", 200),
        ("account_manager", 403),
        ("service_agent", 403),
        ("auditor", 403),
        ("admin", 403),
    ],
)
def test_analytics_is_for_management(
    client: TestClient, bank: Bank, login: Login, role: str, expected: int
) -> None:
    response = client.get("/api/v1/cases/analytics", headers=login(bank.users[role]))
    assert response.status_code == expected


def test_analytics_rejects_a_bad_month(client: TestClient, bank: Bank, login: Login) -> None:
    headers = login(bank.users["executive"])
    assert client.get("/api/v1/cases/analytics?since=2025-13", headers=headers).status_code == 422
    assert client.get("/api/v1/cases/analytics?since=May", headers=headers).status_code == 422


def test_case_routes_need_a_login(client: TestClient, bank: Bank) -> None:
    assert client.get("/api/v1/cases").status_code == 401
    assert client.get("/api/v1/cases/analytics").status_code == 401
    assert (
        client.post(f"/api/v1/customers/{bank.anna_customer.id}/cases", json=NEW).status_code == 401
    )
