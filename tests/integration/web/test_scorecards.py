"""Manager scorecards: every measure of a small portfolio computed by hand, portfolios as
they were (transfers undone), who sees whose scorecard, and the audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.security.models import AuditEvent, User
from bankcrm.staff.models import Staff
from tests import records
from tests.integration.web.conftest import Bank, Login

PERIOD = {"from": "2026-01-01", "to": "2026-06-30"}  # 181 days
FIRST_SCORE, LAST_SCORE = date(2026, 1, 31), date(2026, 6, 30)


@dataclass
class East:
    dana: Staff
    erik: Staff
    manager: User  # branch manager of East
    dana_user: User


@pytest.fixture
def east(session: Session, bank: Bank) -> East:
    """Dana's portfolio over the first half of 2026 (c1..c8, see the comments)."""
    branch = records.branch(session, name="East")
    dana, erik = records.staff(session, branch), records.staff(session, branch)
    records.staff(session, branch, role="service_agent")  # not an account manager: no card
    manager = records.user(session, "branch_manager", branch=branch)
    current, mortgage = records.product(session), records.product(session, "mortgage")
    savings = records.product(session, "savings_account")
    since_2015 = {"opened_on": date(2015, 1, 1)}

    def customer(owner: Staff) -> Any:
        return records.customer(session, branch, owner)

    # c1 gold: current account and mortgage; complaint solved in 3 h (SLA 4 h), CSAT 5;
    # contacted 11 days before the period's end (monthly review kept)
    c1 = customer(dana)
    records.holding(session, c1, current, **since_2015)
    records.holding(session, c1, mortgage, opened_on=date(2016, 3, 1))
    records.case(session, c1, status="resolved", opened_at=datetime(2026, 3, 1, 9),
                 resolved_at=datetime(2026, 3, 1, 12), satisfaction=5)  # fmt: skip
    records.interaction(session, c1, occurred_at=datetime(2026, 6, 20, 10))
    # c2 growth: complaint solved in 48 h (SLA 24 h), CSAT 3; last contact in February
    # (quarterly review missed; a contact after the period does not count)
    c2 = customer(dana)
    records.holding(session, c2, current, **since_2015)
    records.case(session, c2, status="resolved", opened_at=datetime(2026, 4, 1, 9),
                 resolved_at=datetime(2026, 4, 3, 9), satisfaction=3)  # fmt: skip
    records.interaction(session, c2, occurred_at=datetime(2026, 2, 1, 10))
    records.interaction(session, c2, occurred_at=datetime(2026, 7, 15, 10))
    # c3 general: closed their only account on 1 May (lost)
    c3 = customer(dana)
    records.holding(session, c3, current, opened_on=date(2015, 1, 1), closed_on=date(2026, 5, 1))
    # c4 general: new customer, opened a savings account in February (a sale); a complaint
    # on the last evening is open and not yet due (left out of the SLA)
    c4 = customer(dana)
    records.holding(session, c4, savings, opened_on=date(2026, 2, 10))
    records.case(session, c4, opened_at=datetime(2026, 6, 30, 20))
    # c5 came from Erik on 1 April; c6 went to Erik on 1 May
    c5, c6 = customer(dana), customer(erik)
    records.holding(session, c5, current, **since_2015)
    records.holding(session, c6, current, **since_2015)
    # c5's request opened in the CRM with its own due time, met; a request without one has
    # no SLA
    records.case(session, c5, kind="request", status="resolved",
                 opened_at=datetime(2026, 5, 10, 9), due_at=datetime(2026, 5, 11, 9),
                 resolved_at=datetime(2026, 5, 10, 15))  # fmt: skip
    records.case(session, c5, kind="request", opened_at=datetime(2026, 5, 12, 9))
    records.portfolio_transfer(session, manager, erik, dana, [c5], datetime(2026, 4, 1, 12))
    records.portfolio_transfer(session, manager, dana, erik, [c6], datetime(2026, 5, 1, 12))
    # c7, c8: one account each, all along, never scored
    for _ in range(2):
        records.holding(session, customer(dana), current, **since_2015)
    # scores: contribution 1000 -> 1200, 500 -> 600, 300 -> 0, 200 -> 300 (both dates);
    # c4 only on the last date
    for c, first, last, tier in (
        (c1, 1000.0, 1200.0, "gold"),
        (c2, 500.0, 600.0, "growth"),
        (c3, 300.0, 0.0, "general"),
        (c5, 200.0, 300.0, "general"),
    ):
        records.score(session, c, FIRST_SCORE, contribution=first, tier=tier)
        records.score(session, c, LAST_SCORE, contribution=last, tier=tier)
    records.score(session, c4, LAST_SCORE, contribution=100.0)
    dana_user = records.user(session, "account_manager", staff=dana)

    # Dana's referrals: three made in the period (one converted in it, one after it, one
    # open), one made before it and converted in it, one made after it.
    def referral(made: datetime, converted: datetime | None = None) -> None:
        decided = {"status": "converted", "decided_at": converted} if converted else {}
        records.referral(session, c1, dana_user, created_at=made, **decided)

    referral(datetime(2026, 2, 1), datetime(2026, 3, 1))
    referral(datetime(2026, 5, 1), datetime(2026, 7, 2))
    referral(datetime(2026, 6, 30, 23, 59))
    referral(datetime(2025, 12, 1), datetime(2026, 1, 10))
    referral(datetime(2026, 7, 1))
    session.commit()
    return East(dana, erik, manager, dana_user)


def _measures(card: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        m["name"]: (m["value"], m["basis"], m["attainment"], m["weight"], m["points"])
        for m in card["measures"]
    }


def test_scorecard_measures_by_hand(client: TestClient, east: East, login: Login) -> None:
    response = client.get("/api/v1/scorecards", params=PERIOD, headers=login(east.manager))
    assert response.status_code == 200, response.text
    body = response.json()
    assert sum(body["weights"].values()) == 100
    cards = {c["staff_id"]: c for c in body["scorecards"]}
    assert list(cards) == [east.dana.id, east.erik.id]
    dana = cards[east.dana.id]
    # at the start: c1, c2, c3, c4, c6, c7, c8 (c5 was Erik's); at the end: c1..c5, c7, c8
    assert (dana["customers_at_start"], dana["customers_at_end"]) == (7, 7)
    expected_sales = 0.5 * 7 * 181 / 365
    assert _measures(dana) == {
        # c1, c2, c3, c6, c7, c8 held an account on 1 January (c4 not yet); c3 left
        "retention": (round(5 / 6, 6), 6, round((5 / 6 - 0.8) / 0.2, 6), 25.0, 4.17),
        # CSAT 5 and 3
        "satisfaction": (4.0, 2, 0.75, 15.0, 11.25),
        # c1 in time, c2 late, c5's request in time, c4 not yet due
        "sla_kept": (round(2 / 3, 6), 3, round(2 / 3, 6), 15.0, 10.0),
        # c1 (gold) contacted within a month, c2 (growth) not within a quarter
        "review_cadence": (0.5, 2, 0.5, 15.0, 7.5),
        # 2000 -> 2100 over c1, c2, c3, c5: +5% of a +-10% span
        "value_growth": (0.05, 4, 0.75, 10.0, 7.5),
        # open on 30 June: c1 2, c2, c4, c5, c7, c8 one each; c3 none
        "products_per_customer": (round(7 / 6, 6), 6, round(7 / 6 / 3, 6), 10.0, 3.89),
        # c4's savings account
        "sales": (1.0, 7, round(1 / expected_sales, 6), 10.0, round(10 / expected_sales, 2)),
        # shown, not scored: weight 0 keeps the score's meaning (12 a year, 30% converted)
        "referrals_made": (3.0, 3, round(3 / (12 * 181 / 365), 6), 0.0, 0.0),
        "referrals_converted": (2.0, 2, 1.0, 0.0, 0.0),  # 2 of 1.8 expected: full marks
    }
    points = 4.17 + 11.25 + 10.0 + 7.5 + 7.5 + 3.89 + round(10 / expected_sales, 2)
    assert dana["total"] == round(points, 2) and dana["weights_with_data"] == 100
    erik = cards[east.erik.id]
    assert (erik["customers_at_start"], erik["customers_at_end"]) == (1, 1)  # c5, then c6
    # no cases and no reviews for Erik: those measures have no data and leave the total
    erik_measures = _measures(erik)
    assert erik_measures["satisfaction"] == (None, 0, None, 15.0, None)
    assert erik["weights_with_data"] == 100 - 15 - 15 - 15 - 10  # no value growth either
    assert erik_measures["referrals_made"] == (0.0, 0, 0.0, 0.0, 0.0)


def test_account_manager_sees_only_their_own_card(
    client: TestClient, east: East, bank: Bank, login: Login, session: Session
) -> None:
    response = client.get("/api/v1/scorecards", params=PERIOD, headers=login(east.dana_user))
    assert [c["staff_id"] for c in response.json()["scorecards"]] == [east.dana.id]
    north = client.get(
        "/api/v1/scorecards", params=PERIOD, headers=login(bank.users["branch_manager"])
    )
    assert {c["staff_id"] for c in north.json()["scorecards"]} == {bank.anna.id, bank.boris.id}
    reads = session.scalars(
        select(AuditEvent.record_ids).where(
            AuditEvent.action == "read", AuditEvent.record_type == "scorecard"
        )
    ).all()
    assert reads == [f"[{east.dana.id}]", f"[{bank.anna.id}, {bank.boris.id}]"]


@pytest.mark.parametrize(
    "role", ["service_agent", "product_manager", "executive", "analyst", "auditor", "admin"]
)
def test_other_roles_have_no_scorecards(
    client: TestClient, bank: Bank, login: Login, role: str
) -> None:
    response = client.get("/api/v1/scorecards", params=PERIOD, headers=login(bank.users[role]))
    assert response.status_code == 403


def test_the_period_is_checked(client: TestClient, bank: Bank, login: Login) -> None:
    headers = login(bank.users["branch_manager"])
    backwards = client.get(
        "/api/v1/scorecards", params={"from": "2026-06-30", "to": "2026-01-01"}, headers=headers
    )
    assert backwards.status_code == 409 and backwards.json()["field"] == "to"
    assert (
        client.get("/api/v1/scorecards", params={"from": "2026-01-01"}, headers=headers).status_code
        == 422
    )
