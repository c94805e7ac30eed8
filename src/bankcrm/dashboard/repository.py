"""All queries of the management dashboard: a handful of GROUP BY queries over one scoring
date (never a row per customer into Python) and the stored bank-wide results.

Per-customer aggregates may be limited to one branch (a branch manager's); they join
`customer_scores` to the customer's current branch."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session, aliased

from bankcrm.analytics.dashboard_cube import CLV_EDGES
from bankcrm.analytics.models import AnalyticsResult, CustomerScore, ScoreRun
from bankcrm.customers.models import Customer
from bankcrm.products.models import Product
from bankcrm.service_desk.models import Case
from bankcrm.staff.models import Branch


@dataclass(frozen=True)
class BranchTier:
    """Customers scored at one date of one branch and tier, and their sums."""

    branch_id: int
    tier: str
    customers: int
    contribution: float
    churn_probability: float
    value_at_risk: float
    clv: float


def run_dates(session: Session) -> list[date]:
    """Every scoring date, latest first."""
    return list(session.scalars(select(ScoreRun.as_of).distinct().order_by(ScoreRun.as_of.desc())))


def _clv_bin() -> ColumnElement[int]:
    whens = [(CustomerScore.clv < edge, i) for i, edge in enumerate(CLV_EDGES)]
    return case(*whens, else_=len(CLV_EDGES))


def _scored(columns: Any, as_of: date, branch_id: int | None) -> Select[Any]:
    query: Select[Any] = (
        select(*columns)
        .select_from(CustomerScore)
        .join(Customer, Customer.id == CustomerScore.customer_id)
        .where(CustomerScore.as_of == as_of)
    )
    if branch_id is not None:
        query = query.where(Customer.branch_id == branch_id)
    return query


def branch_tiers(session: Session, as_of: date) -> list[BranchTier]:
    """One scan of a date's scores joined to the customers' branches, grouped by branch and
    tier (a few dozen groups): the tier mix and the branch figures are sums of these rows."""
    keys = (Customer.branch_id, CustomerScore.tier)
    query = _scored(
        (
            *keys,
            func.count(),
            func.sum(CustomerScore.contribution),
            func.sum(CustomerScore.churn_probability),
            func.sum(CustomerScore.value_at_risk),
            func.sum(CustomerScore.clv),
        ),
        as_of,
        None,
    ).group_by(*keys)
    return [
        BranchTier(int(b), t, int(n), float(c or 0), float(p or 0), float(v or 0), float(w or 0))
        for b, t, n, c, p, v, w in session.execute(query)
    ]


def band_bins(session: Session, as_of: date, branch_id: int | None) -> list[tuple[str, int, int]]:
    """(band, CLV bin, customers) of a date: the band mix and the CLV histogram, binned by
    the database. Bank-wide it reads the scores alone (no join)."""
    clv_bin = _clv_bin()
    if branch_id is None:
        query = (
            select(CustomerScore.band, clv_bin, func.count())
            .where(CustomerScore.as_of == as_of)
            .group_by(CustomerScore.band, clv_bin)
        )
    else:
        query = _scored((CustomerScore.band, clv_bin, func.count()), as_of, branch_id).group_by(
            CustomerScore.band, clv_bin
        )
    return [(band, int(k), int(n)) for band, k, n in session.execute(query)]


def tier_counts(session: Session, as_of: date, branch_id: int | None) -> dict[str, int]:
    """Customers per tier at a date (index `ix_customer_scores_as_of_tier` when bank-wide)."""
    query = select(CustomerScore.tier, func.count()).where(CustomerScore.as_of == as_of)
    if branch_id is not None:
        query = query.join(Customer, Customer.id == CustomerScore.customer_id).where(
            Customer.branch_id == branch_id
        )
    return {tier: int(n) for tier, n in session.execute(query.group_by(CustomerScore.tier))}


def migration(
    session: Session, before: date, after: date, branch_id: int | None
) -> dict[tuple[str, str], int]:
    """Customers scored at both dates, per (tier before, tier after)."""
    earlier = aliased(CustomerScore)
    query = (
        select(earlier.tier, CustomerScore.tier, func.count())
        .select_from(CustomerScore)
        .join(
            earlier,
            (earlier.customer_id == CustomerScore.customer_id) & (earlier.as_of == before),
        )
        .where(CustomerScore.as_of == after)
        .group_by(earlier.tier, CustomerScore.tier)
    )
    if branch_id is not None:
        query = query.join(Customer, Customer.id == CustomerScore.customer_id).where(
            Customer.branch_id == branch_id
        )
    return {(a, b): int(n) for a, b, n in session.execute(query)}


def complaints(
    session: Session, starts: list[datetime], until: datetime
) -> list[tuple[int, int, str, int]]:
    """(branch, month, topic, complaints) of the complaints opened in [starts[0], until):
    month i is [starts[i], starts[i + 1]). One scan of the period's complaints; the month
    is found by comparing timestamps (the same on SQLite and PostgreSQL, and cheaper than
    extracting the year and month of every row)."""
    month = case(
        *[(Case.opened_at < start, i - 1) for i, start in enumerate(starts[1:], 1)],
        else_=len(starts) - 1,
    )
    keys = (Customer.branch_id, month, Case.topic)
    rows = session.execute(
        select(*keys, func.count())
        .select_from(Case)
        .join(Customer, Customer.id == Case.customer_id)
        .where(Case.kind == "complaint", Case.opened_at >= starts[0], Case.opened_at < until)
        .group_by(*keys)
    )
    return [(int(b), int(m), topic, int(n)) for b, m, topic, n in rows]


def branch_names(session: Session) -> dict[int, str]:
    return {int(i): name for i, name in session.execute(select(Branch.id, Branch.name))}


def product_names(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Product.id, Product.name).where(Product.id.in_(ids)))
    return {int(i): name for i, name in rows}


def results(session: Session, as_of: date, kinds: tuple[str, ...]) -> dict[str, Any]:
    """The stored bank-wide results of a date by kind, parsed; a kind not stored is absent."""
    rows = session.execute(
        select(AnalyticsResult.kind, AnalyticsResult.payload).where(
            AnalyticsResult.as_of == as_of, AnalyticsResult.kind.in_(kinds)
        )
    )
    return {kind: json.loads(payload) for kind, payload in rows}
