"""All queries of the customer feature: the list, the 360 view and contact updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from bankcrm.analytics.models import CustomerScore, Offer, ScoreRun, TierChange
from bankcrm.customers.models import Customer, CustomerRelationship
from bankcrm.customers.schemas import CustomerQuery
from bankcrm.ingest.spec import LOAN_CATEGORIES
from bankcrm.interactions.models import Interaction
from bankcrm.products.models import Holding, Product
from bankcrm.security.roles import CustomerScope
from bankcrm.security.scope import ScopeFilter
from bankcrm.service_desk.models import Case
from bankcrm.staff.models import Staff

OPEN_CASE_STATUSES = ("open", "in_progress")
CENTS = Decimal("0.01")
DISPLAY_NAME = func.coalesce(Customer.company_name, Customer.last_name + " " + Customer.first_name)


def latest_score_date(session: Session) -> date | None:
    return session.scalar(select(func.max(ScoreRun.as_of)))


def scope_clause(scope: ScopeFilter) -> ColumnElement[bool]:
    if scope.kind is CustomerScope.ALL:
        base: ColumnElement[bool] = Customer.id.is_not(None)
    elif scope.kind is CustomerScope.BRANCH:
        base = Customer.branch_id == scope.branch_id
    elif scope.kind is CustomerScope.PORTFOLIO:
        base = Customer.manager_id == scope.staff_id
    else:
        base = Customer.id.is_(None)
    if scope.extra_customer_ids:
        return or_(base, Customer.id.in_(sorted(scope.extra_customer_ids)))
    return base


def _filters(query: CustomerQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.q:
        text = query.q.strip()
        prefix = text.lower().replace("\\", "").replace("%", "").replace("_", "\\_") + "%"
        where.append(
            or_(
                Customer.customer_no == text,
                func.lower(Customer.last_name).like(prefix, escape="\\"),
                func.lower(Customer.company_name).like(prefix, escape="\\"),
            )
        )
    plain: tuple[tuple[Any, object], ...] = (
        (Customer.kind, query.kind),
        (Customer.status, query.status),
        (Customer.branch_id, query.branch_id),
        (Customer.manager_id, query.manager_id),
    )
    scored: tuple[tuple[Any, object], ...] = (
        (CustomerScore.tier, query.tier),
        (CustomerScore.band, query.band),
        (CustomerScore.segment, query.segment),
    )
    for column, value in (*plain, *scored):
        if value is not None:
            where.append(column == value)
    if query.min_churn_probability is not None:
        where.append(CustomerScore.churn_probability >= query.min_churn_probability)
    return where


SORT_COLUMNS: dict[str, Any] = {
    "name": DISPLAY_NAME,
    "customer_no": Customer.customer_no,
    "onboarded_on": Customer.onboarded_on,
    "contribution": CustomerScore.contribution,
    "clv": CustomerScore.clv,
    "churn_probability": CustomerScore.churn_probability,
    "value_at_risk": CustomerScore.value_at_risk,
}


def list_customers(
    session: Session, scope: ScopeFilter, query: CustomerQuery, offset: int, limit: int
) -> tuple[list[tuple[Customer, CustomerScore | None]], int]:
    score_date = latest_score_date(session)
    joined = and_(CustomerScore.customer_id == Customer.id, CustomerScore.as_of == score_date)
    where = [scope_clause(scope), *_filters(query)]
    count_query = select(func.count()).select_from(Customer)
    scored = (query.tier, query.band, query.segment, query.min_churn_probability)
    if any(value is not None for value in scored):
        count_query = count_query.join(CustomerScore, joined)
    total = session.scalar(count_query.where(*where)) or 0
    key = query.sort.lstrip("-")
    column = SORT_COLUMNS[key]
    order = column.desc().nulls_last() if query.sort.startswith("-") else column.asc().nulls_last()
    rows = session.execute(
        select(Customer, CustomerScore)
        .outerjoin(CustomerScore, joined)
        .where(*where)
        .order_by(order, Customer.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [(customer, score) for customer, score in rows], total


def customer(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def placement(session: Session, customer_id: int) -> tuple[int, int | None] | None:
    """The customer's branch and manager: what scope decisions need, without the record."""
    row = session.execute(
        select(Customer.branch_id, Customer.manager_id).where(Customer.id == customer_id)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


def holdings(session: Session, customer_id: int) -> list[tuple[Holding, Product]]:
    rows = session.execute(
        select(Holding, Product)
        .join(Product, Product.id == Holding.product_id)
        .where(Holding.customer_id == customer_id)
        .order_by(Holding.closed_on.is_not(None), Holding.opened_on.desc(), Holding.id)
    ).all()
    return [(h, p) for h, p in rows]


def relationships(
    session: Session, customer_id: int
) -> list[tuple[CustomerRelationship, Customer]]:
    """Links in both directions, each with the customer at the other end (outgoing links
    first); one round trip."""
    link = CustomerRelationship
    outgoing = link.from_customer_id == customer_id
    rows = session.execute(
        select(CustomerRelationship, Customer)
        .join(
            Customer,
            Customer.id == case((outgoing, link.to_customer_id), else_=link.from_customer_id),
        )
        .where(or_(outgoing, link.to_customer_id == customer_id))
    ).all()
    ordered = sorted(rows, key=lambda row: row[0].from_customer_id != customer_id)
    return [(r, c) for r, c in ordered]


def loans_outstanding(session: Session, customer_ids: Sequence[int]) -> dict[int, Decimal]:
    """Outstanding loan balances (as positive amounts) of open loan holdings per customer."""
    if not customer_ids:
        return {}
    rows = session.execute(
        select(Holding.customer_id, func.sum(func.abs(Holding.balance)))
        .join(Product, Product.id == Holding.product_id)
        .where(
            Holding.customer_id.in_(list(customer_ids)),
            Product.category.in_(LOAN_CATEGORIES),
            Holding.closed_on.is_(None),
        )
        .group_by(Holding.customer_id)
    ).all()
    return {cid: Decimal(str(total or 0)).quantize(CENTS) for cid, total in rows}


def latest_score(session: Session, customer_id: int) -> CustomerScore | None:
    return session.scalars(
        select(CustomerScore)
        .where(CustomerScore.customer_id == customer_id)
        .order_by(CustomerScore.as_of.desc())
        .limit(1)
    ).first()


def tier_history(session: Session, customer_id: int) -> list[TierChange]:
    return list(
        session.scalars(
            select(TierChange)
            .where(TierChange.customer_id == customer_id)
            .order_by(TierChange.as_of.desc())
        )
    )


def offers(session: Session, customer_id: int, as_of: date) -> list[tuple[Offer, Product]]:
    rows = session.execute(
        select(Offer, Product)
        .join(Product, Product.id == Offer.product_id)
        .where(Offer.customer_id == customer_id, Offer.as_of == as_of)
        .order_by(Offer.rank)
    ).all()
    return [(o, p) for o, p in rows]


def cases(session: Session, customer_id: int, limit: int) -> tuple[list[Case], list[Case]]:
    """A customer's open cases (newest first) and their `limit` most recent cases of any
    status, in one round trip."""
    recent = (
        select(Case.id)
        .where(Case.customer_id == customer_id)
        .order_by(Case.opened_at.desc(), Case.id.desc())
        .limit(limit)
    )
    rows = list(
        session.scalars(
            select(Case)
            .where(
                Case.customer_id == customer_id,
                or_(Case.status.in_(OPEN_CASE_STATUSES), Case.id.in_(recent)),
            )
            .order_by(Case.opened_at.desc(), Case.id.desc())
        )
    )
    open_ = [c for c in rows if c.status in OPEN_CASE_STATUSES]
    return open_, rows[:limit]


def recent_interactions(
    session: Session, customer_id: int, limit: int
) -> list[tuple[Interaction, str | None]]:
    rows = session.execute(
        select(Interaction, Staff.first_name + " " + Staff.last_name)
        .outerjoin(Staff, Staff.id == Interaction.staff_id)
        .where(Interaction.customer_id == customer_id)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(limit)
    ).all()
    return [(i, name) for i, name in rows]


def update_contact(
    session: Session, customer_id: int, version: int, values: dict[str, Any]
) -> bool:
    """Apply `values` only if the record is still at `version`; False if someone (a user or
    an import) changed it since. The check and the write are one statement."""
    result = session.execute(
        update(Customer)
        .where(Customer.id == customer_id, Customer.version == version)
        .values(**values, version=Customer.version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
