"""The per-branch sums `bankcrm score` stores for the dashboard give the same dashboard as
summing the scores in the database, for the bank and for one branch, on both databases."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.analytics import dashboard_cube, score_repository
from bankcrm.analytics.models import AnalyticsResult, CustomerScore, ScoreRun
from bankcrm.customers.models import Customer
from bankcrm.dashboard import service
from bankcrm.security.service import principal_for
from bankcrm.service_desk.models import Case
from tests import records

DAY = date(2026, 9, 30)
BEFORE = date(2026, 8, 31)  # the run before: the default comparison
# Values on the histogram's edges and either side of them, and both tiers and bands.
SCORES = [
    ("gold", "top", 1_000_000.0, 0.05),
    ("gold", "important", 100.0, 0.10),
    ("growth", "core", 99.99, 0.30),
    ("general", "core", 0.0, 0.02),
    ("general", "mass", -5.0, 0.50),
    ("unprofitable", "mass", 2_500.0, 0.90),
    ("general", "mass", 5e9, 0.01),
]


# Complaints on the window's edges (12 months up to September 2026), and other cases.
CASES = [
    ("complaint", "card fee", datetime(2025, 10, 1, 0, 0)),  # the first month's first moment
    ("complaint", "card fee", datetime(2025, 9, 30, 23, 59)),  # before the window
    ("complaint", "mortgage", datetime(2026, 9, 30, 23, 59)),  # the last month's last minute
    ("complaint", "mortgage", datetime(2026, 10, 1, 0, 0)),  # after the window
    ("complaint", "app", datetime(2026, 3, 15, 12, 0)),
    ("request", "card fee", datetime(2026, 3, 15, 12, 0)),  # not a complaint
]


def test_stored_sums_give_the_same_dashboard(session: Session) -> None:
    north, south = records.branch(session, name="North"), records.branch(session, name="South")
    for i, (tier, band, clv, churn) in enumerate(SCORES):
        branch = north if i % 2 else south
        customer = records.customer(session, branch, records.staff(session, branch))
        kind, topic, opened = CASES[i % len(CASES)]
        records.case(session, customer, kind=kind, topic=topic, opened_at=opened)
        if i != 3:  # one customer is new since the run before; one is gone since (below)
            records.score(session, customer, BEFORE, tier=SCORES[(i + 1) % len(SCORES)][0])
        records.score(
            session,
            customer,
            DAY,
            tier=tier,
            band=band,
            clv=clv,
            churn_probability=churn,
            value_at_risk=churn * max(clv, 0.0),
            contribution=1000.0 * (i - 2),
        )
    gone = records.customer(session, north, records.staff(session, north), status="closed")
    records.score(session, gone, BEFORE, tier="gold")
    product = records.product(session, "savings_account", name="Saver")
    forecast = [
        {"product_id": product.id, "branch_id": b.id, "segment_id": k, "customers": 10 + k,
         "expected": 1.25 * k, "opened_last_quarter": k, "opened_year_ago": 2 * k}
        for b in (north, south) for k in range(3)
    ]  # fmt: skip
    executive = principal_for(records.user(session, "executive"))
    manager = principal_for(records.user(session, "branch_manager", branch=north))
    session.flush()
    run = session.scalars(select(ScoreRun).where(ScoreRun.as_of == DAY)).one()
    session.add(
        AnalyticsResult(
            run_id=run.id, as_of=DAY, kind="demand_forecast", payload=json.dumps(forecast)
        )
    )
    session.flush()
    summed_by_database = [
        service.dashboard(session, who, None, None) for who in (executive, manager)
    ]

    rows = session.execute(
        select(CustomerScore, Customer.branch_id)
        .join(Customer, Customer.id == CustomerScore.customer_id)
        .where(CustomerScore.as_of == DAY)
    ).all()
    scores = pd.DataFrame(
        [
            {
                "customer_id": s.customer_id,
                "tier": s.tier,
                "band": s.band,
                **{c: getattr(s, c) for c in dashboard_cube.SUMMED},
            }
            for s, _branch in rows
            if s.as_of == DAY
        ]
    )
    branch_of = pd.Series(dict(session.execute(select(Customer.id, Customer.branch_id)).all()))
    cases = pd.DataFrame(
        [
            {"customer_id": c.customer_id, "kind": c.kind, "topic": c.topic,
             "opened_on": c.opened_at.date()}
            for c in session.scalars(select(Case))
        ]
    )  # fmt: skip
    payload = {
        **dashboard_cube.cube(scores, branch_of),
        "complaints": dashboard_cube.complaints(cases, branch_of, DAY),
        "demand": dashboard_cube.demand(forecast),
        "migration": dashboard_cube.migration(
            scores, branch_of, BEFORE, score_repository.tiers_on(session, BEFORE)
        ),
    }
    session.add(
        AnalyticsResult(
            run_id=run.id, as_of=DAY, kind=dashboard_cube.KIND, payload=json.dumps(payload)
        )
    )
    session.flush()
    from_the_cube = [service.dashboard(session, who, None, None) for who in (executive, manager)]

    assert from_the_cube == summed_by_database
    assert from_the_cube[0].customers == len(SCORES)
    assert from_the_cube[1].customers == 3  # North: every second customer
    assert sum(b.customers for b in from_the_cube[0].clv_bins) == len(SCORES)
    assert sum(t.complaints for t in from_the_cube[0].complaints) == 4  # in the window
    assert from_the_cube[0].demand[0].expected == 2 * (1.25 * (0 + 1 + 2))
    moved = from_the_cube[0].migration
    assert moved is not None and moved.from_date == BEFORE
    assert sum(map(sum, moved.matrix)) == len(SCORES) - 1 and sum(moved.gone) == 1
    assert score_repository.run_before(session, DAY) == BEFORE


def test_a_malformed_cube_falls_back_to_the_database(session: Session) -> None:
    north = records.branch(session)
    records.score(session, records.customer(session, north, records.staff(session, north)), DAY)
    executive = principal_for(records.user(session, "executive"))
    session.flush()
    before = service.dashboard(session, executive, None, None)
    run = session.scalars(select(ScoreRun).where(ScoreRun.as_of == DAY)).one()
    session.add(
        AnalyticsResult(
            run_id=run.id, as_of=DAY, kind=dashboard_cube.KIND, payload='{"branch_tiers": 3}'
        )
    )
    session.flush()
    assert service.dashboard(session, executive, None, None) == before
