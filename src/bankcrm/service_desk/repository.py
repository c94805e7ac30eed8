"""All queries of the service desk: cases in scope, SLA, escalation, surveys, analytics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, extract, func, select, update
from sqlalchemy.orm import Session

from bankcrm.analytics.models import CustomerScore
from bankcrm.customers.models import Customer
from bankcrm.customers.repository import scope_clause
from bankcrm.kit.numbering import CASE_NO_PREFIX
from bankcrm.security.models import User
from bankcrm.security.scope import ScopeFilter
from bankcrm.service_desk.models import Case, CaseSurvey
from bankcrm.service_desk.schemas import CaseQuery

UNRESOLVED = ("open", "in_progress")


def latest_tier(session: Session, customer_id: int) -> str | None:
    return session.scalar(
        select(CustomerScore.tier)
        .where(CustomerScore.customer_id == customer_id)
        .order_by(CustomerScore.as_of.desc())
        .limit(1)
    )


def add_case(session: Session, case: Case) -> Case:
    """Insert the case and number it CRM-<id>: unique by construction, and never one of
    the imported numbers (core banking's have no CRM- prefix)."""
    case.case_no = f"{CASE_NO_PREFIX}pending-{id(case)}-{case.customer_id}"
    session.add(case)
    session.flush()
    case.case_no = f"{CASE_NO_PREFIX}{case.id:08d}"
    session.flush()
    return case


def case_with_customer(session: Session, case_id: int) -> tuple[Case, Customer] | None:
    row = session.execute(
        select(Case, Customer)
        .join(Customer, Customer.id == Case.customer_id)
        .where(Case.id == case_id)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


def list_cases(
    session: Session, scope: ScopeFilter, query: CaseQuery, offset: int, limit: int
) -> tuple[list[tuple[Case, Customer]], int]:
    where: list[ColumnElement[bool]] = [scope_clause(scope)]
    if query.status is not None:
        where.append(Case.status == query.status)
    if query.kind is not None:
        where.append(Case.kind == query.kind)
    if query.priority is not None:
        where.append(Case.priority == query.priority)
    if query.unresolved is not None:
        unresolved = Case.status.in_(UNRESOLVED)
        where.append(unresolved if query.unresolved else ~unresolved)
    if query.breached is not None:
        where.append(Case.breached.is_(query.breached))
    if query.customer_id is not None:
        where.append(Case.customer_id == query.customer_id)
    joined = select(Case, Customer).join(Customer, Customer.id == Case.customer_id)
    total = (
        session.scalar(
            select(func.count())
            .select_from(Case)
            .join(Customer, Customer.id == Case.customer_id)
            .where(*where)
        )
        or 0
    )
    rows = session.execute(
        joined.where(*where)
        .order_by(Case.due_at.asc().nulls_last(), Case.opened_at.desc(), Case.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [(c, cu) for c, cu in rows], total


def update_case(session: Session, case_id: int, version: int, values: dict[str, Any]) -> bool:
    """Apply `values` only if the case is still at `version` (one statement)."""
    result = session.execute(
        update(Case)
        .where(Case.id == case_id, Case.version == version)
        .values(**values, version=Case.version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def handlers(session: Session, roles: frozenset[str], limit: int) -> list[tuple[int, str]]:
    """Active users of the case-handling roles, (id, username) by username."""
    rows = session.execute(
        select(User.id, User.username)
        .where(User.active.is_(True), User.role.in_(sorted(roles)))
        .order_by(User.username)
        .limit(limit)
    ).all()
    return [(user_id, name) for user_id, name in rows]


def usernames(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(sorted(ids))))
    return {i: name for i, name in rows}


def survey(session: Session, case_id: int) -> CaseSurvey | None:
    return session.scalars(select(CaseSurvey).where(CaseSurvey.case_id == case_id)).one_or_none()


def add(session: Session, record: object) -> None:
    session.add(record)
    session.flush()


def unresolved_without_due(session: Session) -> list[tuple[int, int, datetime]]:
    """Unresolved cases with no due time (imported ones): (case id, customer id, opened at)."""
    rows = session.execute(
        select(Case.id, Case.customer_id, Case.opened_at)
        .where(Case.status.in_(UNRESOLVED), Case.due_at.is_(None))
        .order_by(Case.id)
    ).all()
    return [(case_id, customer_id, opened_at) for case_id, customer_id, opened_at in rows]


def latest_tiers(session: Session, customer_ids: set[int]) -> dict[int, str]:
    """Each customer's tier in their latest score (customers never scored are absent)."""
    if not customer_ids:
        return {}
    newest = (
        select(CustomerScore.customer_id, func.max(CustomerScore.as_of).label("as_of"))
        .where(CustomerScore.customer_id.in_(list(customer_ids)))
        .group_by(CustomerScore.customer_id)
        .subquery()
    )
    rows = session.execute(
        select(CustomerScore.customer_id, CustomerScore.tier).join(
            newest,
            (newest.c.customer_id == CustomerScore.customer_id)
            & (newest.c.as_of == CustomerScore.as_of),
        )
    ).all()
    return {customer_id: tier for customer_id, tier in rows}


def set_due_times(session: Session, rows: list[dict[str, object]]) -> None:
    """Give cases their tier, SLA hours and due time: dicts of id, tier_at_opening,
    sla_hours, due_at."""
    if rows:
        session.execute(update(Case), rows)


def overdue(session: Session, now: datetime) -> list[tuple[int, int]]:
    """Unresolved, not yet escalated cases past their due time: (case id, branch id)."""
    rows = session.execute(
        select(Case.id, Customer.branch_id)
        .join(Customer, Customer.id == Case.customer_id)
        .where(
            Case.status.in_(UNRESOLVED),
            Case.breached.is_(False),
            Case.due_at.is_not(None),
            Case.due_at < now,
        )
        .order_by(Case.id)
    ).all()
    return [(case_id, branch_id) for case_id, branch_id in rows]


def branch_managers(session: Session, branch_ids: set[int]) -> dict[int, int]:
    """The branch manager user of each branch (the longest-standing active one)."""
    if not branch_ids:
        return {}
    rows = session.execute(
        select(User.branch_id, func.min(User.id))
        .where(
            User.role == "branch_manager",
            User.active.is_(True),
            User.branch_id.in_(sorted(branch_ids)),
        )
        .group_by(User.branch_id)
    ).all()
    return {branch: user_id for branch, user_id in rows if branch is not None}


def mark_breached(
    session: Session,
    case_id: int,
    now: datetime,
    actor: str,
    branch_id: int,
    to_user: int | None,
) -> bool:
    result = session.execute(
        update(Case)
        .where(Case.id == case_id, Case.breached.is_(False), Case.status.in_(UNRESOLVED))
        .values(
            breached=True,
            escalated_at=now,
            escalated_by=actor,
            escalated_branch_id=branch_id,
            escalated_to_id=to_user,
            version=Case.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _branch(branch_id: int | None) -> list[ColumnElement[bool]]:
    return [] if branch_id is None else [Customer.branch_id == branch_id]


def counts_by_month(
    session: Session, branch_id: int | None, since: datetime | None, until: datetime | None
) -> list[tuple[int, int, str, str, int]]:
    """(year, month, kind, topic, cases) of the cases opened in the period."""
    year = extract("year", Case.opened_at)
    month = extract("month", Case.opened_at)
    rows = session.execute(
        select(year, month, Case.kind, Case.topic, func.count())
        .join(Customer, Customer.id == Case.customer_id)
        .where(*_branch(branch_id), *_period(since, until))
        .group_by(year, month, Case.kind, Case.topic)
        .order_by(year, month, Case.kind, Case.topic)
    ).all()
    return [(int(y), int(m), k, t, int(n)) for y, m, k, t, n in rows]


def _period(since: datetime | None, until: datetime | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if since is not None:
        where.append(Case.opened_at >= since)
    if until is not None:
        where.append(Case.opened_at < until)
    return where


def csat(
    session: Session, branch_id: int | None, since: datetime | None, until: datetime | None
) -> tuple[float | None, int]:
    total, count = session.execute(
        select(func.sum(Case.satisfaction), func.count(Case.satisfaction))
        .join(Customer, Customer.id == Case.customer_id)
        .where(Case.satisfaction.is_not(None), *_branch(branch_id), *_period(since, until))
    ).one()
    return (float(total or 0) / int(count) if count else None), int(count or 0)


def nps_counts(
    session: Session, branch_id: int | None, since: datetime | None, until: datetime | None
) -> tuple[int, int, int]:
    """(promoters 9-10, passives 7-8, detractors 0-6) among the surveys."""
    rows = session.execute(
        select(CaseSurvey.nps, func.count())
        .join(Case, Case.id == CaseSurvey.case_id)
        .join(Customer, Customer.id == Case.customer_id)
        .where(*_branch(branch_id), *_period(since, until))
        .group_by(CaseSurvey.nps)
    ).all()
    promoters = sum(n for score, n in rows if score >= 9)
    passives = sum(n for score, n in rows if 7 <= score <= 8)
    detractors = sum(n for score, n in rows if score <= 6)
    return promoters, passives, detractors


def sla_outcomes(
    session: Session,
    branch_id: int | None,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
) -> tuple[int, int]:
    """(cases whose SLA outcome is known, cases that kept it). Known: resolved (kept when
    resolved by the due time), or unresolved past due (not kept)."""
    resolved = Case.resolved_at.is_not(None)
    known = and_(Case.due_at.is_not(None), resolved | (Case.due_at < now))
    kept = and_(resolved, Case.resolved_at <= Case.due_at)
    total, good = session.execute(
        select(func.count(), func.count().filter(kept))
        .select_from(Case)
        .join(Customer, Customer.id == Case.customer_id)
        .where(known, *_branch(branch_id), *_period(since, until))
    ).one()
    return int(total or 0), int(good or 0)
