"""The pipeline's figures as set-based queries over the opportunities in a scope: by stage
per manager, branch or product; expected volume by month of expected close; win and loss
by product and by segment (the customer's tier in their latest score, "prospect" for a
prospect, "unscored" for a customer never scored)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, extract, func, literal, select
from sqlalchemy.orm import Session

from bankcrm.analytics.models import CustomerScore
from bankcrm.opportunities.models import Opportunity
from bankcrm.opportunities.repository import joined, scope_clause
from bankcrm.opportunities.stages import CLOSED_STAGES
from bankcrm.security.scope import ScopeFilter

DIMENSIONS: dict[str, Any] = {
    "manager": Opportunity.owner_id,
    "branch": Opportunity.branch_id,
    "product": Opportunity.product_id,
}
WEIGHTED = func.sum(Opportunity.amount * Opportunity.probability)
StageRow = tuple[int, str, str, int, Decimal, Decimal]  # key, stage, currency, n, sums
MonthRow = tuple[int, int, str, int, Decimal, Decimal]  # year, month, currency, n, sums
ClosedRow = tuple[str, str, str | None, int, Decimal]  # key, stage, lost reason, n, amount


def _where(
    scope: ScopeFilter, currency: str | None, extra: tuple[ColumnElement[bool], ...] = ()
) -> list[ColumnElement[bool]]:
    where = [scope_clause(scope), *extra]
    if currency is not None:
        where.append(Opportunity.currency == currency)
    return where


def currencies(session: Session, scope: ScopeFilter) -> list[tuple[str, int]]:
    """The currencies in scope, most opportunities first."""
    n = func.count()
    rows = session.execute(
        joined(Opportunity.currency, n)
        .where(scope_clause(scope))
        .group_by(Opportunity.currency)
        .order_by(n.desc(), Opportunity.currency)
    ).all()
    return [(c, count) for c, count in rows]


def by_stage(
    session: Session, scope: ScopeFilter, dimension: str, currency: str | None
) -> list[StageRow]:
    key = DIMENSIONS[dimension]
    rows = session.execute(
        joined(
            key,
            Opportunity.stage,
            Opportunity.currency,
            func.count(),
            func.sum(Opportunity.amount),
            WEIGHTED,
        )
        .where(*_where(scope, currency))
        .group_by(key, Opportunity.stage, Opportunity.currency)
        .order_by(key, Opportunity.stage, Opportunity.currency)
    ).all()
    return [(k, s, c, n, Decimal(a), Decimal(w)) for k, s, c, n, a, w in rows]


def by_month(session: Session, scope: ScopeFilter, currency: str | None) -> list[MonthRow]:
    """Open opportunities by the month they are expected to close."""
    year = extract("year", Opportunity.expected_close_on)
    month = extract("month", Opportunity.expected_close_on)
    rows = session.execute(
        joined(
            year, month, Opportunity.currency, func.count(), func.sum(Opportunity.amount), WEIGHTED
        )
        .where(*_where(scope, currency, (Opportunity.stage.not_in(CLOSED_STAGES),)))
        .group_by(year, month, Opportunity.currency)
        .order_by(year, month, Opportunity.currency)
    ).all()
    return [(int(y), int(m), c, n, Decimal(a), Decimal(w)) for y, m, c, n, a, w in rows]


def _closed(since: date | None, until: date | None) -> tuple[ColumnElement[bool], ...]:
    where: list[ColumnElement[bool]] = [Opportunity.stage.in_(CLOSED_STAGES)]
    if since is not None:
        where.append(Opportunity.closed_on >= since)
    if until is not None:
        where.append(Opportunity.closed_on <= until)
    return tuple(where)


def _grouped_closed(
    session: Session, key: Any, where: list[ColumnElement[bool]], statement: Any
) -> list[ClosedRow]:
    rows = session.execute(
        statement.where(*where)
        .group_by(key, Opportunity.stage, Opportunity.lost_reason)
        .order_by(key, Opportunity.stage, Opportunity.lost_reason)
    ).all()
    return [(str(k), s, r, n, Decimal(a)) for k, s, r, n, a in rows]


def closed_by_product(
    session: Session,
    scope: ScopeFilter,
    currency: str | None,
    since: date | None,
    until: date | None,
) -> list[ClosedRow]:
    key = Opportunity.product_id
    statement = joined(
        key, Opportunity.stage, Opportunity.lost_reason, func.count(), func.sum(Opportunity.amount)
    )
    return _grouped_closed(session, key, _where(scope, currency, _closed(since, until)), statement)


def closed_by_segment(
    session: Session,
    scope: ScopeFilter,
    currency: str | None,
    since: date | None,
    until: date | None,
) -> list[ClosedRow]:
    """Segment: the tier of the customer's latest score. The newest score date is looked up
    for the customers of closed opportunities only (not the whole bank)."""
    closed = _closed(since, until)
    customers = (
        select(Opportunity.customer_id).where(Opportunity.customer_id.is_not(None), *closed)
    ).scalar_subquery()
    newest = (
        select(CustomerScore.customer_id, func.max(CustomerScore.as_of).label("as_of"))
        .where(CustomerScore.customer_id.in_(customers))
        .group_by(CustomerScore.customer_id)
        .subquery()
    )
    latest = (
        select(CustomerScore.customer_id, CustomerScore.tier)
        .join(
            newest,
            and_(
                newest.c.customer_id == CustomerScore.customer_id,
                newest.c.as_of == CustomerScore.as_of,
            ),
        )
        .subquery()
    )
    segment = case(
        (Opportunity.prospect_id.is_not(None), literal("prospect")),
        else_=func.coalesce(latest.c.tier, literal("unscored")),
    )
    statement = joined(
        segment,
        Opportunity.stage,
        Opportunity.lost_reason,
        func.count(),
        func.sum(Opportunity.amount),
    ).outerjoin(latest, latest.c.customer_id == Opportunity.customer_id)
    return _grouped_closed(session, segment, _where(scope, currency, closed), statement)
