"""All queries of the prospect feature but the import's conversion (conversion_repository)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.kit.numbering import PROSPECT_NO_PREFIX
from bankcrm.marketing.models import Campaign
from bankcrm.prospects.models import Prospect, ProspectActivity
from bankcrm.prospects.schemas import ProspectQuery
from bankcrm.security.roles import CustomerScope
from bankcrm.staff.models import Branch, Staff

if TYPE_CHECKING:
    from bankcrm.prospects.access import ProspectScope

DISPLAY_NAME = func.coalesce(Prospect.company_name, Prospect.last_name + " " + Prospect.first_name)
SORT_COLUMNS: dict[str, Any] = {
    "name": func.lower(func.coalesce(Prospect.company_name, Prospect.last_name)),
    "prospect_no": Prospect.prospect_no,
    "created_at": Prospect.created_at,
    "next_step_on": Prospect.next_step_on,
}


def staff_branch(session: Session, staff_id: int) -> int | None:
    return session.scalar(select(Staff.branch_id).where(Staff.id == staff_id))


def staff_member(session: Session, staff_id: int) -> Staff | None:
    return session.get(Staff, staff_id)


def branch_exists(session: Session, branch_id: int) -> bool:
    return session.get(Branch, branch_id) is not None


def campaign_exists(session: Session, campaign_id: int) -> bool:
    return session.get(Campaign, campaign_id) is not None


def scope_clause(scope: ProspectScope) -> ColumnElement[bool]:
    if scope.kind is CustomerScope.ALL:
        return Prospect.id.is_not(None)
    if scope.kind is CustomerScope.BRANCH:
        return Prospect.branch_id == scope.branch_id
    if scope.kind is CustomerScope.PORTFOLIO:
        unowned = and_(Prospect.owner_id.is_(None), Prospect.branch_id == scope.branch_id)
        return or_(Prospect.owner_id == scope.staff_id, unowned)
    return Prospect.id.is_(None)


def _filters(query: ProspectQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.q and query.q.strip():
        text = query.q.strip()
        prefix = text.lower().replace("\\", "").replace("%", "").replace("_", "\\_") + "%"
        where.append(
            or_(
                Prospect.prospect_no == text,
                func.lower(Prospect.last_name).like(prefix, escape="\\"),
                func.lower(Prospect.company_name).like(prefix, escape="\\"),
            )
        )
    for column, value in (
        (Prospect.status, query.status),
        (Prospect.source, query.source),
        (Prospect.owner_id, query.owner_id),
        (Prospect.branch_id, query.branch_id),
    ):
        if value is not None:
            where.append(column == value)
    return where


def list_prospects(
    session: Session, scope: ProspectScope, query: ProspectQuery, offset: int, limit: int
) -> tuple[list[Prospect], int]:
    where = [scope_clause(scope), *_filters(query)]
    total = session.scalar(select(func.count()).select_from(Prospect).where(*where)) or 0
    column = SORT_COLUMNS[query.sort.lstrip("-")]
    order = column.desc().nulls_last() if query.sort.startswith("-") else column.asc().nulls_last()
    rows = session.scalars(
        select(Prospect).where(*where).order_by(order, Prospect.id).offset(offset).limit(limit)
    )
    return list(rows), total


def funnel(session: Session, scope: ProspectScope) -> list[tuple[str, str, int]]:
    rows = session.execute(
        select(Prospect.status, Prospect.source, func.count())
        .where(scope_clause(scope))
        .group_by(Prospect.status, Prospect.source)
        .order_by(Prospect.status, Prospect.source)
    ).all()
    return [(status, source, count) for status, source, count in rows]


def prospect(session: Session, prospect_id: int) -> Prospect | None:
    return session.get(Prospect, prospect_id)


def add_prospect(session: Session, prospect: Prospect) -> Prospect:
    """Insert and number it PRS-<id>: unique by construction."""
    prospect.prospect_no = f"{PROSPECT_NO_PREFIX}pending-{id(prospect)}"
    session.add(prospect)
    session.flush()
    prospect.prospect_no = f"{PROSPECT_NO_PREFIX}{prospect.id:08d}"
    session.flush()
    return prospect


def add_activity(session: Session, activity: ProspectActivity) -> None:
    session.add(activity)
    session.flush()


def activities(session: Session, prospect_id: int) -> list[tuple[ProspectActivity, str | None]]:
    rows = session.execute(
        select(ProspectActivity, Staff.first_name + " " + Staff.last_name)
        .outerjoin(Staff, Staff.id == ProspectActivity.staff_id)
        .where(ProspectActivity.prospect_id == prospect_id)
        .order_by(ProspectActivity.occurred_at.desc(), ProspectActivity.id.desc())
    ).all()
    return [(a, name) for a, name in rows]


def update_prospect(
    session: Session, prospect_id: int, version: int, values: dict[str, Any]
) -> bool:
    """Apply `values` only if the record is still at `version` (one statement)."""
    result = session.execute(
        update(Prospect)
        .where(Prospect.id == prospect_id, Prospect.version == version)
        .values(**values, version=Prospect.version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def customer(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def converted_activities(
    session: Session, customer_id: int, limit: int
) -> list[tuple[ProspectActivity, str, str | None]]:
    """The activities of the prospects that became this customer, newest first, with the
    prospect's number and the staff member's name: the customer timeline shows them."""
    rows = session.execute(
        select(ProspectActivity, Prospect.prospect_no, Staff.first_name + " " + Staff.last_name)
        .join(Prospect, Prospect.id == ProspectActivity.prospect_id)
        .outerjoin(Staff, Staff.id == ProspectActivity.staff_id)
        .where(Prospect.converted_customer_id == customer_id)
        .order_by(ProspectActivity.occurred_at.desc(), ProspectActivity.id.desc())
        .limit(limit)
    ).all()
    return [(a, no, name) for a, no, name in rows]
