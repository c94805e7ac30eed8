"""All queries of referrals: the people referred, the routing table, the referral boxes
and the counts the manager scorecards show."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, select, update
from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.kit.numbering import REFERRAL_NO_PREFIX
from bankcrm.opportunities.models import Opportunity
from bankcrm.prospects.models import Prospect
from bankcrm.referrals.models import Referral, ReferralRoute
from bankcrm.security.models import User
from bankcrm.staff.models import Branch, Staff

Row = tuple[Referral, Customer | None, Prospect | None]
STAFF_SHOWN = 500  # the most staff a page offers to choose from


def customer(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def customer_by_no(session: Session, customer_no: str) -> Customer | None:
    return session.scalars(select(Customer).where(Customer.customer_no == customer_no)).first()


def prospect(session: Session, prospect_id: int) -> Prospect | None:
    return session.get(Prospect, prospect_id)


def prospect_by_no(session: Session, prospect_no: str) -> Prospect | None:
    return session.scalars(select(Prospect).where(Prospect.prospect_no == prospect_no)).first()


def staff(session: Session, staff_id: int) -> Staff | None:
    return session.get(Staff, staff_id)


def branch(session: Session, branch_id: int) -> Branch | None:
    return session.get(Branch, branch_id)


def route_staff(session: Session, line: str, branch_id: int | None) -> int | None:
    """The active staff member of the active route for `line` in `branch_id` (None: the
    bank-wide route), if there is one."""
    where = (
        ReferralRoute.branch_id.is_(None)
        if branch_id is None
        else (ReferralRoute.branch_id == branch_id)
    )
    return session.scalar(
        select(ReferralRoute.staff_id)
        .join(Staff, Staff.id == ReferralRoute.staff_id)
        .where(where, ReferralRoute.line == line, ReferralRoute.active.is_(True))
        .where(Staff.active.is_(True))
        .order_by(ReferralRoute.id)
        .limit(1)
    )


def add_referral(session: Session, referral: Referral) -> Referral:
    """Insert the referral and number it REF-<id>, unique by construction."""
    referral.referral_no = f"{REFERRAL_NO_PREFIX}pending-{id(referral)}"
    session.add(referral)
    session.flush()
    referral.referral_no = f"{REFERRAL_NO_PREFIX}{referral.id:08d}"
    session.flush()
    return referral


def _rows() -> Any:
    return (
        select(Referral, Customer, Prospect)
        .outerjoin(Customer, Customer.id == Referral.customer_id)
        .outerjoin(Prospect, Prospect.id == Referral.prospect_id)
    )


def referral(session: Session, referral_id: int) -> Row | None:
    row = session.execute(_rows().where(Referral.id == referral_id)).one_or_none()
    return (row[0], row[1], row[2]) if row is not None else None


def box_clause(
    box: str, user_id: int | None, staff_id: int | None, branch_id: int | None
) -> ColumnElement[bool]:
    """Made by the user, assigned to the staff member, or of the branch; nothing when the
    caller has no such id."""
    if box == "made" and user_id is not None:
        return Referral.referred_by == user_id
    if box == "assigned" and staff_id is not None:
        return Referral.assigned_to == staff_id
    if box == "branch" and branch_id is not None:
        return Referral.branch_id == branch_id
    return false()


def list_referrals(
    session: Session, box: ColumnElement[bool], status: str | None, offset: int, limit: int
) -> tuple[list[Row], int]:
    """One box of referrals (`box_clause`), newest first."""
    where = [box] if status is None else [box, Referral.status == status]
    total = session.scalar(select(func.count()).select_from(Referral).where(*where)) or 0
    rows = session.execute(
        _rows()
        .where(*where)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [(r, c, p) for r, c, p in rows], total


def update_referral(
    session: Session, referral_id: int, version: int, values: dict[str, Any]
) -> bool:
    """Apply `values` only if the referral is still at `version` (one statement)."""
    result = session.execute(
        update(Referral)
        .where(Referral.id == referral_id, Referral.version == version)
        .values(**values, version=Referral.version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def usernames(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(sorted(ids))))
    return {i: name for i, name in rows}


def staff_choices(session: Session, branch_id: int | None) -> list[tuple[int, str]]:
    """Active staff (of one branch, or all), (id, "First Last") by name."""
    query = select(Staff.id, Staff.first_name, Staff.last_name).where(Staff.active.is_(True))
    if branch_id is not None:
        query = query.where(Staff.branch_id == branch_id)
    rows = session.execute(
        query.order_by(Staff.last_name, Staff.first_name, Staff.id).limit(STAFF_SHOWN)
    ).all()
    return [(i, f"{first} {last}") for i, first, last in rows]


def branch_choices(session: Session) -> list[tuple[int, str]]:
    rows = session.execute(select(Branch.id, Branch.name).order_by(Branch.name, Branch.id))
    return [(i, name) for i, name in rows]


# --- the routing table ----------------------------------------------------------------


def routes(session: Session, branch_id: int | None, with_bank_wide: bool) -> list[ReferralRoute]:
    """The routes of one branch (and the bank-wide ones), or all with `branch_id` None."""
    query = select(ReferralRoute)
    if branch_id is not None:
        where = ReferralRoute.branch_id == branch_id
        if with_bank_wide:
            where = where | ReferralRoute.branch_id.is_(None)
        query = query.where(where)
    return list(
        session.scalars(
            query.order_by(
                ReferralRoute.line, ReferralRoute.branch_id.nulls_first(), ReferralRoute.id
            )
        )
    )


def route(session: Session, route_id: int) -> ReferralRoute | None:
    return session.get(ReferralRoute, route_id)


def active_route_id(
    session: Session, line: str, branch_id: int | None, other_than: int | None = None
) -> int | None:
    """An active route for the line and branch, besides `other_than`."""
    where = (
        ReferralRoute.branch_id.is_(None)
        if branch_id is None
        else (ReferralRoute.branch_id == branch_id)
    )
    query = select(ReferralRoute.id).where(
        where, ReferralRoute.line == line, ReferralRoute.active.is_(True)
    )
    if other_than is not None:
        query = query.where(ReferralRoute.id != other_than)
    return session.scalar(query.limit(1))


def add_route(session: Session, route: ReferralRoute) -> ReferralRoute:
    session.add(route)
    session.flush()
    return route


def update_route(session: Session, route_id: int, version: int, values: dict[str, Any]) -> bool:
    result = session.execute(
        update(ReferralRoute)
        .where(ReferralRoute.id == route_id, ReferralRoute.version == version)
        .values(**values, version=ReferralRoute.version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- scorecards -------------------------------------------------------------------------


def made_by_staff(
    session: Session, staff_ids: list[int], start: datetime, end: datetime
) -> dict[int, int]:
    """Referrals each staff member made in [start, end)."""
    if not staff_ids:
        return {}
    rows = session.execute(
        select(Referral.referrer_staff_id, func.count())
        .where(
            Referral.referrer_staff_id.in_(staff_ids),
            Referral.created_at >= start,
            Referral.created_at < end,
        )
        .group_by(Referral.referrer_staff_id)
    ).all()
    return {int(s): int(n) for s, n in rows if s is not None}


def converted_by_staff(
    session: Session, staff_ids: list[int], start: datetime, end: datetime
) -> dict[int, int]:
    """Each staff member's referrals (made at any time) converted in [start, end)."""
    if not staff_ids:
        return {}
    rows = session.execute(
        select(Referral.referrer_staff_id, func.count())
        .where(
            Referral.referrer_staff_id.in_(staff_ids),
            Referral.status == "converted",
            Referral.decided_at >= start,
            Referral.decided_at < end,
        )
        .group_by(Referral.referrer_staff_id)
    ).all()
    return {int(s): int(n) for s, n in rows if s is not None}


def opportunity_person(
    session: Session, opportunity_id: int
) -> tuple[int | None, int | None] | None:
    """(customer id, prospect id) of an opportunity; None if there is no such opportunity."""
    row = session.execute(
        select(Opportunity.customer_id, Opportunity.prospect_id).where(
            Opportunity.id == opportunity_id
        )
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None
