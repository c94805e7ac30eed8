"""Queries of branches and staff, portfolio transfers and churn watches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from bankcrm.analytics.models import CustomerScore, ScoreRun
from bankcrm.customers.models import Customer
from bankcrm.interactions.models import Interaction
from bankcrm.kit.db import utcnow
from bankcrm.products.models import Holding
from bankcrm.security.models import User
from bankcrm.service_desk.models import Case
from bankcrm.staff.models import (
    Branch,
    ChurnWatch,
    PortfolioTransfer,
    PortfolioTransferItem,
    Staff,
)


def staff_by_code(session: Session, staff_code: str) -> Staff | None:
    return session.scalars(select(Staff).where(Staff.staff_code == staff_code)).one_or_none()


def branch_by_code(session: Session, branch_code: str) -> Branch | None:
    return session.scalars(select(Branch).where(Branch.branch_code == branch_code)).one_or_none()


def staff_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(Staff.id, Staff.first_name, Staff.last_name).where(Staff.id.in_(ids))
    ).all()
    return {id_: f"{first} {last}" for id_, first, last in rows}


def placement_names(
    session: Session, branch_id: int, manager_id: int | None
) -> tuple[str | None, str | None]:
    """The names of one branch and one staff member (None where missing), one round trip."""
    branch = select(Branch.name).where(Branch.id == branch_id).scalar_subquery()
    manager = (
        select(Staff.first_name + " " + Staff.last_name)
        .where(Staff.id == manager_id)
        .scalar_subquery()
    )
    row = session.execute(select(branch, manager)).one()
    return row[0], row[1]


def branch_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Branch.id, Branch.name).where(Branch.id.in_(ids))).all()
    return dict(rows)


# --- portfolio transfers and churn watches ------------------------------------------------


def staff_member(session: Session, staff_id: int) -> Staff | None:
    return session.get(Staff, staff_id)


def portfolio_ids(
    session: Session, manager_id: int, where: Sequence[ColumnElement[bool]] = ()
) -> list[int]:
    """Ids of the customers a manager manages now, optionally narrowed (the clauses may use
    CustomerScore of the latest score date, which this query joins)."""
    score_date = session.scalar(select(func.max(ScoreRun.as_of)))
    joined = and_(CustomerScore.customer_id == Customer.id, CustomerScore.as_of == score_date)
    return list(
        session.scalars(
            select(Customer.id)
            .outerjoin(CustomerScore, joined)
            .where(Customer.manager_id == manager_id, *where)
            .order_by(Customer.id)
        )
    )


def customers(session: Session, ids: Sequence[int]) -> list[Customer]:
    if not ids:
        return []
    return list(
        session.scalars(select(Customer).where(Customer.id.in_(list(ids))).order_by(Customer.id))
    )


def pending_transfer_customers(session: Session, ids: Sequence[int]) -> list[int]:
    """Those of `ids` already in a pending transfer."""
    if not ids:
        return []
    return list(
        session.scalars(
            select(PortfolioTransferItem.customer_id)
            .join(PortfolioTransfer, PortfolioTransfer.id == PortfolioTransferItem.transfer_id)
            .where(
                PortfolioTransfer.status == "pending",
                PortfolioTransferItem.customer_id.in_(list(ids)),
            )
            .order_by(PortfolioTransferItem.customer_id)
        )
    )


def usernames(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()
    return {id_: name for id_, name in rows}


def add(session: Session, record: Any) -> None:
    session.add(record)
    session.flush()


def transfer(session: Session, transfer_id: int) -> PortfolioTransfer | None:
    return session.get(PortfolioTransfer, transfer_id)


def transfer_items(
    session: Session, transfer_id: int
) -> list[tuple[PortfolioTransferItem, Customer]]:
    rows = session.execute(
        select(PortfolioTransferItem, Customer)
        .join(Customer, Customer.id == PortfolioTransferItem.customer_id)
        .where(PortfolioTransferItem.transfer_id == transfer_id)
        .order_by(PortfolioTransferItem.customer_id)
    ).all()
    return [(i, c) for i, c in rows]


def transfers(
    session: Session,
    branch_id: int | None,
    staff_id: int | None,
    status: str | None,
    offset: int,
    limit: int,
    pending_first: bool = False,
) -> tuple[list[PortfolioTransfer], int]:
    """Transfers of a branch, or those a manager gives or receives, newest first (the
    pending ones first of all with `pending_first`)."""
    where: list[ColumnElement[bool]] = []
    if branch_id is not None:
        where.append(PortfolioTransfer.branch_id == branch_id)
    if staff_id is not None:
        where.append(
            or_(
                PortfolioTransfer.from_manager_id == staff_id,
                PortfolioTransfer.to_manager_id == staff_id,
            )
        )
    if status is not None:
        where.append(PortfolioTransfer.status == status)
    total = session.scalar(select(func.count()).select_from(PortfolioTransfer).where(*where)) or 0
    order: list[ColumnElement[Any]] = [PortfolioTransfer.id.desc()]
    if pending_first:
        order.insert(0, case((PortfolioTransfer.status == "pending", 0), else_=1))
    rows = session.scalars(
        select(PortfolioTransfer).where(*where).order_by(*order).offset(offset).limit(limit)
    )
    return list(rows), total


def move_customers(session: Session, ids: Sequence[int], from_id: int, to_id: int) -> int:
    """Give the customers still managed by `from_id` to `to_id` (a new record version
    each, so an edit based on the old version gets its conflict); how many moved."""
    result = session.execute(
        update(Customer)
        .where(Customer.id.in_(list(ids)), Customer.manager_id == from_id)
        .values(manager_id=to_id, version=Customer.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def watches(
    session: Session, manager_id: int | None, branch_id: int | None, on: date
) -> list[tuple[ChurnWatch, Customer, PortfolioTransfer, str | None, float | None]]:
    """Watches running on `on` of one manager, or of a branch's customers, with the handover
    notes and the customer's latest churn probability; soonest end first."""
    score_date = session.scalar(select(func.max(ScoreRun.as_of)))
    joined = and_(CustomerScore.customer_id == Customer.id, CustomerScore.as_of == score_date)
    item = and_(
        PortfolioTransferItem.transfer_id == ChurnWatch.transfer_id,
        PortfolioTransferItem.customer_id == ChurnWatch.customer_id,
    )
    where: list[ColumnElement[bool]] = [ChurnWatch.starts_on <= on, ChurnWatch.until >= on]
    if manager_id is not None:
        where.append(ChurnWatch.manager_id == manager_id)
    if branch_id is not None:
        where.append(Customer.branch_id == branch_id)
    rows = session.execute(
        select(
            ChurnWatch,
            Customer,
            PortfolioTransfer,
            PortfolioTransferItem.note,
            CustomerScore.churn_probability,
        )
        .join(Customer, Customer.id == ChurnWatch.customer_id)
        .join(PortfolioTransfer, PortfolioTransfer.id == ChurnWatch.transfer_id)
        .outerjoin(PortfolioTransferItem, item)
        .outerjoin(CustomerScore, joined)
        .where(*where)
        .order_by(ChurnWatch.until, ChurnWatch.customer_id)
    ).all()
    return [(w, c, t, note, p) for w, c, t, note, p in rows]


# --- scorecards ---------------------------------------------------------------------------

CHUNK = 5000  # ids per IN list (SQLite allows at most 32766 bound values)


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    ordered = sorted(set(ids))
    return [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)]


def account_managers(session: Session, branch_id: int) -> list[Staff]:
    return list(
        session.scalars(
            select(Staff)
            .where(Staff.branch_id == branch_id, Staff.role == "account_manager")
            .order_by(Staff.id)
        )
    )


def managers_of(
    session: Session, manager_ids: Sequence[int], customer_ids: Sequence[int]
) -> dict[int, int | None]:
    """Today's manager of every customer of `manager_ids` and of every `customer_ids`."""
    out: dict[int, int | None] = {}
    if manager_ids:
        rows = session.execute(
            select(Customer.id, Customer.manager_id).where(
                Customer.manager_id.in_(list(manager_ids))
            )
        ).all()
        out.update({c: m for c, m in rows})
    for part in _chunks(customer_ids):
        rows = session.execute(
            select(Customer.id, Customer.manager_id).where(Customer.id.in_(part))
        ).all()
        out.update({c: m for c, m in rows})
    return out


def approved_moves_since(session: Session, since: datetime) -> list[tuple[datetime, int, int, int]]:
    """(decided_at, from_manager_id, to_manager_id, customer_id) of every customer moved by
    a transfer approved at or after `since`, newest first."""
    rows = session.execute(
        select(
            PortfolioTransfer.decided_at,
            PortfolioTransfer.from_manager_id,
            PortfolioTransfer.to_manager_id,
            PortfolioTransferItem.customer_id,
        )
        .join(PortfolioTransferItem, PortfolioTransferItem.transfer_id == PortfolioTransfer.id)
        .where(PortfolioTransfer.status == "approved", PortfolioTransfer.decided_at >= since)
        .order_by(PortfolioTransfer.decided_at.desc(), PortfolioTransfer.id.desc())
    ).all()
    return [(at, f, t, c) for at, f, t, c in rows if at is not None]


def open_products(session: Session, ids: Sequence[int], day: date) -> dict[int, set[int]]:
    """Per customer: the products of the holdings open on `day`."""
    out: dict[int, set[int]] = {}
    for part in _chunks(ids):
        rows = session.execute(
            select(Holding.customer_id, Holding.product_id).where(
                Holding.customer_id.in_(part),
                Holding.opened_on <= day,
                or_(Holding.closed_on.is_(None), Holding.closed_on > day),
            )
        ).all()
        for customer_id, product_id in rows:
            out.setdefault(customer_id, set()).add(product_id)
    return out


def holdings_opened(session: Session, ids: Sequence[int], first: date, last: date) -> int:
    """Holdings the customers opened from `first` to `last` (inclusive): products sold."""
    total = 0
    for part in _chunks(ids):
        total += (
            session.scalar(
                select(func.count())
                .select_from(Holding)
                .where(
                    Holding.customer_id.in_(part),
                    Holding.opened_on >= first,
                    Holding.opened_on <= last,
                )
            )
            or 0
        )
    return total


def case_ratings(session: Session, ids: Sequence[int], start: datetime, end: datetime) -> list[int]:
    """Satisfaction (CSAT 1..5) of the customers' cases resolved in [start, end)."""
    out: list[int] = []
    for part in _chunks(ids):
        out += [
            int(v)
            for v in session.scalars(
                select(Case.satisfaction).where(
                    Case.customer_id.in_(part),
                    Case.satisfaction.is_not(None),
                    Case.resolved_at >= start,
                    Case.resolved_at < end,
                )
            )
            if v is not None
        ]
    return out


def sla_cases(
    session: Session, ids: Sequence[int], start: datetime, end: datetime
) -> list[tuple[int, datetime, datetime | None, datetime | None]]:
    """(customer_id, opened_at, resolved_at, due_at) of the customers' cases opened in
    [start, end) that have an SLA: a due time (cases opened in the CRM), or complaints
    (imported ones have no due time; the caller derives it from the tier)."""
    out: list[tuple[int, datetime, datetime | None, datetime | None]] = []
    for part in _chunks(ids):
        rows = session.execute(
            select(Case.customer_id, Case.opened_at, Case.resolved_at, Case.due_at).where(
                Case.customer_id.in_(part),
                or_(Case.due_at.is_not(None), Case.kind == "complaint"),
                Case.opened_at >= start,
                Case.opened_at < end,
            )
        ).all()
        out += [(c, o, r, d) for c, o, r, d in rows]
    return out


def tiers_on(session: Session, ids: Sequence[int], day: date) -> dict[int, str]:
    """Each customer's tier in their latest score on or before `day`."""
    out: dict[int, str] = {}
    for part in _chunks(ids):
        latest = (
            select(CustomerScore.customer_id, func.max(CustomerScore.as_of).label("as_of"))
            .where(CustomerScore.customer_id.in_(part), CustomerScore.as_of <= day)
            .group_by(CustomerScore.customer_id)
            .subquery()
        )
        rows = session.execute(
            select(CustomerScore.customer_id, CustomerScore.tier).join(
                latest,
                and_(
                    latest.c.customer_id == CustomerScore.customer_id,
                    latest.c.as_of == CustomerScore.as_of,
                ),
            )
        ).all()
        out.update({c: t for c, t in rows})
    return out


def last_contacts(session: Session, ids: Sequence[int], before: datetime) -> dict[int, datetime]:
    """Each customer's latest interaction before `before`."""
    out: dict[int, datetime] = {}
    for part in _chunks(ids):
        rows = session.execute(
            select(Interaction.customer_id, func.max(Interaction.occurred_at))
            .where(Interaction.customer_id.in_(part), Interaction.occurred_at < before)
            .group_by(Interaction.customer_id)
        ).all()
        out.update({c: at for c, at in rows if at is not None})
    return out


def score_dates(session: Session, first: date, last: date) -> list[date]:
    """Dates scored from `first` to `last` (inclusive), in order."""
    return list(
        session.scalars(
            select(ScoreRun.as_of)
            .where(ScoreRun.as_of >= first, ScoreRun.as_of <= last)
            .distinct()
            .order_by(ScoreRun.as_of)
        )
    )


def contributions(session: Session, ids: Sequence[int], as_of: date) -> dict[int, float]:
    out: dict[int, float] = {}
    for part in _chunks(ids):
        rows = session.execute(
            select(CustomerScore.customer_id, CustomerScore.contribution).where(
                CustomerScore.customer_id.in_(part), CustomerScore.as_of == as_of
            )
        ).all()
        out.update({c: float(v) for c, v in rows})
    return out
