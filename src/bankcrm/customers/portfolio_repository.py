"""Queries of the portfolio's tier mix: how many customers of a scope sit in each tier on
a scoring date."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bankcrm.analytics.models import CustomerScore, ScoreRun
from bankcrm.customers.models import Customer
from bankcrm.customers.repository import scope_clause
from bankcrm.security.scope import ScopeFilter
from bankcrm.staff.models import Branch, Staff


def score_dates(session: Session, count: int) -> list[date]:
    """The newest `count` scoring dates, newest first."""
    return list(
        session.scalars(
            select(ScoreRun.as_of).distinct().order_by(ScoreRun.as_of.desc()).limit(count)
        )
    )


def tier_counts(session: Session, scope: ScopeFilter, as_of: date) -> dict[str, int]:
    """Customers of the scope per tier of their score on `as_of`."""
    rows = session.execute(
        select(CustomerScore.tier, func.count())
        .join(Customer, Customer.id == CustomerScore.customer_id)
        .where(CustomerScore.as_of == as_of, scope_clause(scope))
        .group_by(CustomerScore.tier)
    ).all()
    return {tier: count for tier, count in rows}


def branches(session: Session) -> list[tuple[int, str]]:
    """Every branch, by name: the choices of the customer list's branch filter."""
    rows = session.execute(select(Branch.id, Branch.name).order_by(Branch.name, Branch.id)).all()
    return [(branch_id, name) for branch_id, name in rows]


def largest_portfolio(session: Session) -> tuple[str, str] | None:
    """(staff code, branch code) of the manager with the most active customers: the demo
    logins sign in as a manager whose day is full, at that manager's branch."""
    customers = func.count(Customer.id)
    row = session.execute(
        select(Staff.staff_code, Branch.branch_code)
        .join(Customer, Customer.manager_id == Staff.id)
        .join(Branch, Branch.id == Staff.branch_id)
        .where(Customer.status == "active")
        .group_by(Staff.id, Staff.staff_code, Branch.branch_code)
        .order_by(customers.desc(), Staff.id)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None
