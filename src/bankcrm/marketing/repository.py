"""All queries of the marketing feature: segments, campaigns, target lists, outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, case, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from bankcrm.analytics.models import CustomerScore, ScoreRun
from bankcrm.customers.models import Customer
from bankcrm.customers.repository import scope_clause
from bankcrm.marketing.models import Campaign, CampaignMember
from bankcrm.marketing.schemas import Range, SegmentDefinition
from bankcrm.products.models import Holding, Product
from bankcrm.security.models import User
from bankcrm.security.scope import ScopeFilter

OUTCOMES = ("contacted", "accepted", "declined")
RESPONSES = ("accepted", "declined")


def latest_score_date(session: Session) -> date | None:
    return session.scalar(select(func.max(ScoreRun.as_of)))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def _range(column: Any, bounds: Range | None) -> list[ColumnElement[bool]]:
    if bounds is None:
        return []
    where = []
    if bounds.min is not None:
        where.append(column >= bounds.min)
    if bounds.max is not None:
        where.append(column <= bounds.max)
    return where


def _holds(category: str) -> ColumnElement[bool]:
    return exists(
        select(Holding.id)
        .join(Product, Product.id == Holding.product_id)
        .where(
            Holding.customer_id == Customer.id,
            Holding.closed_on.is_(None),
            Holding.status != "closed",
            Product.category == category,
        )
    )


def segment_clauses(segment: SegmentDefinition, today: date) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a segment over Customer joined to its latest CustomerScore."""
    where: list[ColumnElement[bool]] = []
    lists: tuple[tuple[Any, Sequence[Any] | None], ...] = (
        (CustomerScore.tier, segment.tiers),
        (CustomerScore.band, segment.bands),
        (Customer.kind, segment.kinds),
        (Customer.status, segment.statuses),
        (Customer.branch_id, segment.branch_ids),
        (Customer.region, segment.regions),
    )
    for column, values in lists:
        if values is not None:
            where.append(column.in_(sorted(set(values))))
    where += _range(CustomerScore.churn_probability, segment.churn_probability)
    where += _range(CustomerScore.clv, segment.clv)
    where += _range(CustomerScore.value_at_risk, segment.value_at_risk)
    where += _range(CustomerScore.contribution, segment.contribution)
    if segment.age is not None:
        # age >= n: born on or before today - n years; age <= n: born after today - (n+1)
        if segment.age.min is not None:
            where.append(Customer.birth_date <= _years_before(today, segment.age.min))
        if segment.age.max is not None:
            where.append(Customer.birth_date > _years_before(today, segment.age.max + 1))
    for category in sorted(set(segment.holds or ())):
        where.append(_holds(category))
    if segment.does_not_hold:
        where.append(~or_(*(_holds(c) for c in sorted(set(segment.does_not_hold)))))
    return where


def _matching(
    session: Session, columns: Sequence[Any], segment: SegmentDefinition, today: date
) -> Select[Any]:
    score_date = latest_score_date(session)
    joined = and_(CustomerScore.customer_id == Customer.id, CustomerScore.as_of == score_date)
    return (
        select(*columns)
        .select_from(Customer)
        .outerjoin(CustomerScore, joined)
        .where(*segment_clauses(segment, today))
    )


REACHABLE_STATUSES = ("active", "dormant")


def preview_counts(
    session: Session, segment: SegmentDefinition, scope: ScopeFilter, today: date
) -> tuple[int, int, int]:
    """(matching, with marketing consent, with consent and not closed or deceased)."""
    consent = Customer.marketing_consent.is_(True)
    reachable = and_(consent, Customer.status.in_(REACHABLE_STATUSES))
    query: Select[Any] = _matching(
        session,
        (
            func.count(),
            func.coalesce(func.sum(case((consent, 1), else_=0)), 0),
            func.coalesce(func.sum(case((reachable, 1), else_=0)), 0),
        ),
        segment,
        today,
    ).where(scope_clause(scope))
    row = session.execute(query).one()
    return int(row[0]), int(row[1]), int(row[2])


def preview_split(
    session: Session, segment: SegmentDefinition, scope: ScopeFilter, today: date
) -> list[tuple[str | None, str | None, int]]:
    """(tier, band, count) of the matching customers in scope, by their latest score;
    (None, None, n) for those without one."""
    query: Select[Any] = (
        _matching(session, (CustomerScore.tier, CustomerScore.band, func.count()), segment, today)
        .where(scope_clause(scope))
        .group_by(CustomerScore.tier, CustomerScore.band)
    )
    return [(r[0], r[1], int(r[2])) for r in session.execute(query)]


def matching_customers(
    session: Session, segment: SegmentDefinition, today: date
) -> list[tuple[int, str, int, int | None, str, bool]]:
    """(id, customer_no, branch_id, manager_id, status, marketing_consent) of every
    customer the segment matches, bank-wide, by id."""
    query: Select[Any] = _matching(
        session,
        (
            Customer.id,
            Customer.customer_no,
            Customer.branch_id,
            Customer.manager_id,
            Customer.status,
            Customer.marketing_consent,
        ),
        segment,
        today,
    ).order_by(Customer.id)
    return [(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in session.execute(query)]


def product(session: Session, product_id: int) -> Product | None:
    return session.get(Product, product_id)


def add(session: Session, record: Any) -> None:
    session.add(record)
    session.flush()


def campaign(session: Session, campaign_id: int) -> Campaign | None:
    return session.get(Campaign, campaign_id)


def campaigns(
    session: Session, branch_id: int | None, all_branches: bool, offset: int, limit: int
) -> tuple[list[Campaign], int]:
    """Campaigns of one branch (`all_branches` False), or every campaign, newest first."""
    where: list[ColumnElement[bool]] = []
    if not all_branches:
        where.append(Campaign.branch_id == branch_id)
    total = session.scalar(select(func.count()).select_from(Campaign).where(*where)) or 0
    rows = session.scalars(
        select(Campaign).where(*where).order_by(Campaign.id.desc()).offset(offset).limit(limit)
    )
    return list(rows), total


def usernames(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()
    return {id_: name for id_, name in rows}


def products(session: Session, ids: set[int]) -> dict[int, Product]:
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))}


def has_outcomes(session: Session, campaign_id: int) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(CampaignMember)
            .where(CampaignMember.campaign_id == campaign_id, CampaignMember.status.in_(OUTCOMES))
        )
    )


def clear_members(session: Session, campaign_id: int) -> None:
    session.execute(
        delete(CampaignMember)
        .where(CampaignMember.campaign_id == campaign_id)
        .execution_options(synchronize_session=False)
    )


def members(session: Session, campaign_id: int) -> list[tuple[CampaignMember, Customer]]:
    rows = session.execute(
        select(CampaignMember, Customer)
        .join(Customer, Customer.id == CampaignMember.customer_id)
        .where(CampaignMember.campaign_id == campaign_id)
        .order_by(CampaignMember.id)
    ).all()
    return [(m, c) for m, c in rows]


def member_counts(session: Session, campaign_id: int) -> dict[tuple[str, str | None], int]:
    """(status, exclusion reason) -> members of a campaign."""
    rows = session.execute(
        select(CampaignMember.status, CampaignMember.exclusion_reason, func.count())
        .where(CampaignMember.campaign_id == campaign_id)
        .group_by(CampaignMember.status, CampaignMember.exclusion_reason)
    ).all()
    return {(status, reason): int(count) for status, reason, count in rows}


def targeted_members(
    session: Session, campaign_id: int, offset: int, limit: int
) -> list[tuple[CampaignMember, Customer]]:
    """One page of the members that were not left out, in the order they were added."""
    rows = session.execute(
        select(CampaignMember, Customer)
        .join(Customer, Customer.id == CampaignMember.customer_id)
        .where(CampaignMember.campaign_id == campaign_id, CampaignMember.status != "excluded")
        .order_by(CampaignMember.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [(m, c) for m, c in rows]


def products_on_offer(session: Session) -> list[Product]:
    """The active products of the catalogue, by name: what a campaign may offer."""
    return list(
        session.scalars(
            select(Product).where(Product.active.is_(True)).order_by(Product.name, Product.id)
        )
    )


def member(session: Session, campaign_id: int, member_id: int) -> CampaignMember | None:
    found = session.get(CampaignMember, member_id)
    return found if found is not None and found.campaign_id == campaign_id else None


def status_counts(session: Session, campaign_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per campaign: members by status."""
    if not campaign_ids:
        return {}
    rows = session.execute(
        select(CampaignMember.campaign_id, CampaignMember.status, func.count())
        .where(CampaignMember.campaign_id.in_(list(campaign_ids)))
        .group_by(CampaignMember.campaign_id, CampaignMember.status)
    ).all()
    out: dict[int, dict[str, int]] = {}
    for campaign_id, status, count in rows:
        out.setdefault(campaign_id, {})[status] = int(count)
    return out


def campaign_responses(
    session: Session, start: datetime | None = None, end: datetime | None = None
) -> list[tuple[int, int, datetime, bool]]:
    """Campaign answers as propensity labels: (customer_id, product_id, responded_at,
    accepted) of every accepted or declined member answered in [start, end).

    `response_labels` gives them as the frame `analytics.propensity.train_propensity(...,
    responses=...)` takes: an acceptance within the training window is a positive for the
    campaign's product even before core banking reports the new holding; a decline stays a
    negative."""
    where: list[ColumnElement[bool]] = [
        CampaignMember.status.in_(RESPONSES),
        CampaignMember.responded_at.is_not(None),
    ]
    if start is not None:
        where.append(CampaignMember.responded_at >= start)
    if end is not None:
        where.append(CampaignMember.responded_at < end)
    rows = session.execute(
        select(
            CampaignMember.customer_id,
            Campaign.product_id,
            CampaignMember.responded_at,
            CampaignMember.status,
        )
        .join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .where(*where)
        .order_by(CampaignMember.responded_at, CampaignMember.id)
    ).all()
    return [(c, p, at, status == "accepted") for c, p, at, status in rows if at is not None]


def response_labels(
    session: Session, start: datetime | None = None, end: datetime | None = None
) -> pd.DataFrame:
    """`campaign_responses` as the frame `analytics.propensity.train_propensity` takes as
    `responses`: customer_id, product_id, responded_on (a date), accepted (bool)."""
    rows = campaign_responses(session, start, end)
    return pd.DataFrame(
        {
            "customer_id": pd.Series([r[0] for r in rows], dtype="int64"),
            "product_id": pd.Series([r[1] for r in rows], dtype="int64"),
            "responded_on": pd.Series([r[2].date() for r in rows], dtype="object"),
            "accepted": pd.Series([r[3] for r in rows], dtype="bool"),
        }
    )
