"""The management dashboard: `GET /api/v1/dashboard` and the page `/dashboard`, per role,
with two scoring runs, stored bank-wide results, bad dates and a bank never scored."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.analytics.models import AnalyticsResult, ScoreRun
from bankcrm.customers.models import Customer
from bankcrm.security.models import AuditEvent
from tests import records
from tests.integration.web.conftest import SCORED_ON, Bank, Login
from tests.integration.web.test_pages import log_in

EARLIER = date(2026, 6, 30)
READERS = ("executive", "analyst", "product_manager", "branch_manager")
OTHERS = ("account_manager", "service_agent", "auditor", "admin")
LORENZ = [[0.0, 0.0], [0.2, 0.85], [0.5, 1.02], [1.0, 1.0]]


def _stored(session: Session, product_id: int, north: int, south: int) -> dict[str, Any]:
    run = session.scalars(select(ScoreRun).where(ScoreRun.as_of == SCORED_ON)).one()
    payloads: dict[str, Any] = {
        "pareto": {
            "customers": 3,
            "total_positive": 3600.0,
            "total": 3600.0,
            "share_for_80": 0.2,
            "top_20_share": 0.85,
            "unprofitable_share": 0.0,
            "lorenz": LORENZ,
        },
        "segments": [
            {
                "segment_id": 1,
                "segment": "Young digital savers",
                "description": "mobile logins 3x the bank's average",
                "customers": 3,
                "share": 1.0,
                "mean_contribution": float("nan"),
            }
        ],
        "associations": [
            {
                "antecedent": ["current_account", "mortgage"],
                "consequent": "insurance",
                "antecedent_size": 2,
                "count": 2,
                "support": 0.25,
                "confidence": 0.5,
                "lift": 3.125,
                "sentence": "Customers who hold ...",
            }
        ],
        "demand_forecast": [
            {
                "product_id": product_id,
                "segment_id": 1,
                "branch_id": north,
                "customers": 2,
                "expected": 1.5,
                "lower": 0,
                "upper": 3,
                "opened_last_quarter": 1,
                "opened_year_ago": 0,
            },
            {
                "product_id": product_id,
                "segment_id": 1,
                "branch_id": south,
                "customers": 1,
                "expected": 0.25,
                "lower": 0,
                "upper": 1,
                "opened_last_quarter": 2,
                "opened_year_ago": 1,
            },
        ],
    }
    for kind, payload in payloads.items():
        session.add(
            AnalyticsResult(run_id=run.id, as_of=SCORED_ON, kind=kind, payload=json.dumps(payload))
        )
    return payloads


@pytest.fixture
def scored(session: Session, bank: Bank) -> Bank:
    """Two runs: on EARLIER Anna's customer was gold and the southern one growth; on
    SCORED_ON all three are general (conftest) and a new northern customer is gold.
    Complaints: two northern ones in September, one southern one, one too old to count."""
    newcomer = records.customer(session, bank.north, bank.anna, last_name="Newcomer")
    records.score(session, newcomer, SCORED_ON, tier="gold", band="top", clv=250_000.0)
    records.score(session, bank.anna_customer, EARLIER, tier="gold")
    records.score(session, bank.south_customer, EARLIER, tier="growth")
    records.score(session, bank.boris_customer, EARLIER)
    september = datetime(2026, 9, 10, 9, 0)
    records.case(session, bank.anna_customer, topic="card fee", opened_at=september)
    records.case(session, bank.boris_customer, topic="branch queue", opened_at=september)
    records.case(session, bank.south_customer, topic="card fee", opened_at=datetime(2026, 3, 3))
    records.case(session, bank.south_customer, opened_at=datetime(2025, 1, 5))  # too old
    records.case(session, bank.anna_customer, kind="request", opened_at=september)
    product = records.product(session, name="Home insurance", category="insurance")
    _stored(session, product.id, bank.north.id, bank.south.id)
    session.commit()
    return bank


def _get(client: TestClient, login: Login, bank: Bank, role: str, query: str = "") -> Any:
    return client.get(f"/api/v1/dashboard{query}", headers=login(bank.users[role]))


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {r["code"]: r["customers"] for r in rows}


def test_executive_sees_the_bank_wide_dashboard(
    client: TestClient, scored: Bank, login: Login
) -> None:
    answer = _get(client, login, scored, "executive")
    assert answer.status_code == 200, answer.text
    board = answer.json()
    assert board["runs"] == [SCORED_ON.isoformat(), EARLIER.isoformat()]
    assert (board["as_of"], board["compare_to"]) == (SCORED_ON.isoformat(), EARLIER.isoformat())
    assert board["scope"] == {"bank_wide": True, "branch_id": None, "branch_name": None}
    assert board["customers"] == 4
    assert board["contribution"] == 4800.0
    assert board["value_at_risk"] == 2000.0
    assert board["mean_churn_probability"] == pytest.approx(0.1)
    assert _counts(board["tiers"]) == {"gold": 1, "growth": 0, "general": 3, "unprofitable": 0}
    assert _counts(board["bands"]) == {"top": 1, "important": 0, "core": 3, "mass": 0}
    move = board["migration"]
    assert move["tiers"] == ["gold", "growth", "general", "unprofitable"]
    # From gold: Anna's customer became general; from growth: the southern one; Boris's stayed.
    assert move["matrix"] == [[0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    assert move["new"] == [1, 0, 0, 0]  # the newcomer, gold
    assert move["gone"] == [0, 0, 0, 0]
    # CLV: three at 5,000 (bin 5,000-10,000) and one at 250,000 (250,000-500,000).
    bins = board["clv_bins"]
    assert (bins[0]["low"], bins[0]["high"], bins[0]["customers"]) == (5000.0, 10000.0, 3)
    assert (bins[-1]["low"], bins[-1]["high"], bins[-1]["customers"]) == (250000.0, 500000.0, 1)
    assert sum(b["customers"] for b in bins) == 4
    branches = {b["branch"]: b for b in board["branches"]}
    assert branches["North"]["customers"] == 3 and branches["South"]["customers"] == 1
    assert branches["North"]["gold_share"] == pytest.approx(1 / 3, abs=1e-6)
    assert branches["North"]["complaints"] == 2 and branches["South"]["complaints"] == 1
    assert branches["South"]["value_at_risk"] == 500.0
    assert board["lorenz"]["share_for_80"] == 0.2 and board["lorenz"]["curve"] == LORENZ
    assert board["complaint_months"][0] == "2025-10" and board["complaint_months"][-1] == "2026-09"
    topics = {(t["month"], t["topic"]): t["complaints"] for t in board["complaints"]}
    assert topics == {("2026-09", "card fee"): 1, ("2026-09", "branch queue"): 1,
                      ("2026-03", "card fee"): 1}  # fmt: skip
    assert board["demand"] == [
        {"product_id": board["demand"][0]["product_id"], "product": "Home insurance",
         "customers": 3, "expected": 1.75, "opened_last_quarter": 3, "opened_year_ago": 1}
    ]  # fmt: skip
    assert board["segments"][0]["name"] == "Young digital savers"
    assert board["segments"][0]["mean_contribution"] is None  # NaN stored: no number
    assert board["rules"][0]["antecedent"] == ["current_account", "mortgage"]
    assert board["rules"][0]["lift"] == 3.125


def test_the_dashboard_names_no_customer(
    client: TestClient, scored: Bank, login: Login, session: Session
) -> None:
    for role in ("analyst", "product_manager"):
        text = _get(client, login, scored, role).text
        for customer in session.scalars(select(Customer)):
            assert customer.customer_no not in text
            assert customer.last_name is None or customer.last_name not in text
        assert "customer_id" not in text


def test_branch_manager_sees_own_branch_and_compares_all(
    client: TestClient, scored: Bank, login: Login
) -> None:
    board = _get(client, login, scored, "branch_manager").json()
    assert board["scope"] == {
        "bank_wide": False, "branch_id": scored.north.id, "branch_name": "North"
    }  # fmt: skip
    assert board["customers"] == 3
    assert _counts(board["tiers"]) == {"gold": 1, "growth": 0, "general": 2, "unprofitable": 0}
    assert board["migration"]["matrix"][1] == [0, 0, 0, 0]  # the southern move is not theirs
    assert board["migration"]["matrix"][0] == [0, 0, 1, 0]
    assert sum(b["customers"] for b in board["clv_bins"]) == 3
    assert [b["branch"] for b in board["branches"]] == ["North", "South"]
    assert {t["topic"] for t in board["complaints"]} == {"card fee", "branch queue"}
    assert sum(t["complaints"] for t in board["complaints"]) == 2
    assert board["demand"][0]["expected"] == 1.5 and board["demand"][0]["customers"] == 2


@pytest.mark.parametrize("role", OTHERS)
def test_other_roles_get_no_dashboard(
    client: TestClient, scored: Bank, login: Login, role: str
) -> None:
    answer = _get(client, login, scored, role)
    assert answer.status_code == 403
    assert "management dashboard" in answer.json()["detail"]
    log_in(client, scored.users[role].username)
    page = client.get("/dashboard")
    assert page.status_code == 403
    assert "Your role has no management dashboard." in page.text
    assert 'data-chart="' not in page.text


def test_strangers_are_sent_to_log_in(client: TestClient, scored: Bank) -> None:
    assert client.get("/api/v1/dashboard").status_code == 401
    answer = client.get("/dashboard", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")


def test_a_chosen_pair_of_dates(client: TestClient, scored: Bank, login: Login) -> None:
    query = f"?as_of={EARLIER.isoformat()}"
    board = _get(client, login, scored, "analyst", query).json()
    assert board["as_of"] == EARLIER.isoformat()
    assert board["compare_to"] is None and board["migration"] is None  # the first run
    assert board["customers"] == 3 and board["lorenz"] is None and board["rules"] == []
    query = f"?as_of={SCORED_ON.isoformat()}&compare_to={EARLIER.isoformat()}"
    assert _get(client, login, scored, "analyst", query).json()["migration"]["new"][0] == 1
    query = f"?as_of={EARLIER.isoformat()}&compare_to={SCORED_ON.isoformat()}"
    backwards = _get(client, login, scored, "analyst", query).json()["migration"]
    assert backwards["gone"] == [1, 0, 0, 0]  # seen from the earlier date, the newcomer is gone


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("?as_of=2026-09-31", 422, "date"),
        ("?as_of=junk", 422, "date"),
        ("?compare_to=2026-13-01", 422, "date"),
        ("?as_of=2026-09-29", 404, "no scoring run on 2026-09-29"),
        ("?compare_to=2020-01-01", 404, "no scoring run on 2020-01-01"),
        ("?compare_to=2026-09-30", 422, "another scoring date"),
    ],
)
def test_api_bad_dates(
    client: TestClient, scored: Bank, login: Login, query: str, status: int, words: str
) -> None:
    answer = _get(client, login, scored, "executive", query)
    assert answer.status_code == status
    assert words in answer.text


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("?as_of=junk", 400, "That is not a date"),
        ("?as_of=2026-02-30", 400, "That is not a date"),
        ("?compare_to=20260630", 400, "That is not a date"),
        ("?as_of=%00%ff", 400, "That is not a date"),
        ("?as_of=2026-09-29", 404, "There was no scoring run on that date"),
        ("?as_of=2026-09-30&compare_to=2026-09-30", 400, "Compare with another scoring date"),
    ],
)
def test_page_bad_dates(
    client: TestClient, scored: Bank, query: str, status: int, words: str
) -> None:
    log_in(client, scored.users["executive"].username)
    page = client.get(f"/dashboard{query}")
    assert page.status_code == status
    assert words in page.text


def test_a_bank_never_scored(client: TestClient, session: Session, login: Login) -> None:
    analyst = records.user(session, "analyst")
    session.commit()
    answer = client.get("/api/v1/dashboard", headers=login(analyst))
    assert answer.status_code == 200
    board = answer.json()
    assert board["runs"] == [] and board["as_of"] is None and board["tiers"] == []
    missing = client.get("/api/v1/dashboard?as_of=2026-09-30", headers=login(analyst))
    assert missing.status_code == 404 and "bankcrm score" in missing.text
    log_in(client, analyst.username)
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert 'data-testid="no-run"' in page.text and "bankcrm score" in page.text
    assert "dashboard.js" not in page.text


def test_the_page_shows_every_chart_with_its_numbers(
    client: TestClient, scored: Bank, session: Session
) -> None:
    log_in(client, scored.users["analyst"].username)
    page = client.get("/dashboard")
    assert page.status_code == 200
    html = page.text
    charts = set(re.findall(r'data-chart="(\w+)"', html))
    assert charts == {
        "lorenz", "tiers", "bands", "migration", "clv", "risk", "complaints", "demand"
    }  # fmt: skip
    assert "<script>" not in html and "style=" not in html
    assert '<form method="get" action="/dashboard"' in html
    found = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html)
    assert found is not None
    data = json.loads(found.group(1))
    assert data["tiers"]["labels"] == ["Gold", "Growth", "General", "Unprofitable"]
    assert data["migration"]["cells"][2] == [2, 0, 1]  # gold -> general
    assert data["lorenz"]["shareFor80"] == 20.0
    assert "20%" in html and "85%" in html  # the Lorenz caption
    migration = re.search(r'data-testid="migration-table">(.*?)</table>', html, re.S)
    assert migration is not None and "Not scored before" in migration.group(1)
    branches = re.search(r'data-testid="branch-table">(.*?)</table>', html, re.S)
    assert branches is not None and "North" in branches.group(1) and "South" in branches.group(1)
    rules = re.search(r'data-testid="rules-table">(.*?)</table>', html, re.S)
    assert rules is not None and "Current account + Mortgage" in rules.group(1)
    assert "Insurance" in rules.group(1)
    assert "Home insurance" in html and "Young digital savers" in html
    assert "Newcomer" not in html
    for customer in session.scalars(select(Customer)):
        assert customer.customer_no not in html
    assert '<option value="2026-09-30" selected>' in html
    events = session.scalars(select(AuditEvent).where(AuditEvent.record_type == "dashboard"))
    assert [e.record_id for e in events] == [SCORED_ON.isoformat()]


def test_the_page_in_chinese_for_a_branch_manager(client: TestClient, scored: Bank) -> None:
    log_in(client, scored.users["branch_manager"].username)
    client.cookies.set("bankcrm_lang", "zh_Hans")
    page = client.get(f"/dashboard?compare_to={EARLIER.isoformat()}")
    assert page.status_code == 200
    assert "管理驾驶舱" in page.text
    assert 'data-testid="scope"' in page.text and "North" in page.text


def test_the_page_takes_no_posts(client: TestClient, scored: Bank) -> None:
    """Nothing on the dashboard changes data: a post (with or without a token) is refused."""
    token = log_in(client, scored.users["executive"].username)
    for data in ({}, {"csrf_token": token}):
        assert client.post("/dashboard", data=data).status_code == 405


@pytest.mark.parametrize("role", ["executive", "branch_manager"])
def test_complaints_match_the_service_desk_analytics(
    client: TestClient, scored: Bank, login: Login, session: Session, role: str
) -> None:
    """The dashboard counts complaints in one query of its own (per branch, month and topic);
    per month and topic they are those of `GET /api/v1/cases/analytics`, month edges too."""
    for moment in (
        datetime(2025, 9, 30, 23, 59, 59),  # before the twelve months
        datetime(2025, 10, 1, 0, 0),
        datetime(2026, 8, 31, 23, 59, 59),
        datetime(2026, 9, 1, 0, 0),
        datetime(2026, 10, 1, 0, 0),  # after the scoring month
    ):
        records.case(session, scored.boris_customer, topic="edge", opened_at=moment)
        records.case(session, scored.south_customer, topic="edge", opened_at=moment)
    session.commit()
    headers = login(scored.users[role])
    board = client.get("/api/v1/dashboard", headers=headers).json()
    desk = client.get("/api/v1/cases/analytics?since=2025-10&until=2026-09", headers=headers)
    assert desk.status_code == 200
    expected = {
        (m["month"], m["topic"]): m["cases"] for m in desk.json()["by_month"]
        if m["kind"] == "complaint"
    }  # fmt: skip
    assert {(t["month"], t["topic"]): t["complaints"] for t in board["complaints"]} == expected
    edges = {month for month, topic in expected if topic == "edge"}
    assert edges == {"2025-10", "2026-08", "2026-09"}
    branches = {b["branch"]: b["complaints"] for b in board["branches"]}
    assert branches == {"North": 2 + 3, "South": 1 + 3}
