"""All queries of one opportunity and the list: scope as a WHERE clause, numbering,
optimistic updates, stage history and department tasks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true, update
from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.kit.numbering import OPPORTUNITY_NO_PREFIX
from bankcrm.opportunities.models import Opportunity, OpportunityStageChange, OpportunityTask
from bankcrm.opportunities.schemas import OpportunityQuery
from bankcrm.opportunities.stages import CLOSED_STAGES
from bankcrm.products.models import Product
from bankcrm.prospects.models import Prospect
from bankcrm.security.roles import CustomerScope
from bankcrm.security.scope import ScopeFilter
from bankcrm.staff.models import Staff

Row = tuple[Opportunity, Customer | None, Prospect | None, Product]


def scope_clause(scope: ScopeFilter) -> ColumnElement[bool]:
    """The opportunities a caller may see (the query outer-joins the customer): an account
    manager's own and their customers'; a branch manager's branch (the opportunity's or
    its customer's); everything for ALL; break-glass customers' in any case."""
    if scope.kind is CustomerScope.ALL:
        base: ColumnElement[bool] = true()
    elif scope.kind is CustomerScope.BRANCH:
        base = or_(Opportunity.branch_id == scope.branch_id, Customer.branch_id == scope.branch_id)
    elif scope.kind is CustomerScope.PORTFOLIO:
        base = or_(Opportunity.owner_id == scope.staff_id, Customer.manager_id == scope.staff_id)
    else:
        base = false()
    if scope.extra_customer_ids:
        return or_(base, Opportunity.customer_id.in_(sorted(scope.extra_customer_ids)))
    return base


def joined(*columns: Any) -> Select[Any]:
    """Opportunities with their customer (or None) for the scope clause."""
    return (
        select(*columns)
        .select_from(Opportunity)
        .outerjoin(Customer, Customer.id == Opportunity.customer_id)
    )


def product(session: Session, product_id: int) -> Product | None:
    return session.get(Product, product_id)


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


def products(session: Session) -> list[Product]:
    """The active catalogue, for the new-opportunity form."""
    return list(
        session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.name))
    )


def add_opportunity(session: Session, opportunity: Opportunity) -> Opportunity:
    """Insert and number it OPP-<id>: unique by construction."""
    opportunity.opportunity_no = f"{OPPORTUNITY_NO_PREFIX}pending-{id(opportunity)}"
    session.add(opportunity)
    session.flush()
    opportunity.opportunity_no = f"{OPPORTUNITY_NO_PREFIX}{opportunity.id:08d}"
    session.flush()
    return opportunity


def add(session: Session, record: object) -> None:
    session.add(record)
    session.flush()


def _rows(statement: Select[Any]) -> Select[Any]:
    return statement.outerjoin(Prospect, Prospect.id == Opportunity.prospect_id).join(
        Product, Product.id == Opportunity.product_id
    )


def opportunity(session: Session, opportunity_id: int) -> Row | None:
    row = session.execute(
        _rows(joined(Opportunity, Customer, Prospect, Product)).where(
            Opportunity.id == opportunity_id
        )
    ).one_or_none()
    return (row[0], row[1], row[2], row[3]) if row is not None else None


def _filters(query: OpportunityQuery, staff_id: int | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.mine:
        where.append(Opportunity.owner_id == staff_id if staff_id is not None else false())
    if query.outcome == "open":
        where.append(Opportunity.stage.not_in(CLOSED_STAGES))
    elif query.outcome == "closed":
        where.append(Opportunity.stage.in_(CLOSED_STAGES))
    elif query.outcome is not None:
        where.append(Opportunity.stage == query.outcome)
    plain: tuple[tuple[Any, object], ...] = (
        (Opportunity.stage, query.stage),
        (Opportunity.product_id, query.product_id),
        (Opportunity.customer_id, query.customer_id),
        (Opportunity.prospect_id, query.prospect_id),
        (Opportunity.owner_id, query.owner_id),
        (Opportunity.branch_id, query.branch_id),
    )
    where += [column == value for column, value in plain if value is not None]
    return where


def list_opportunities(
    session: Session,
    scope: ScopeFilter,
    query: OpportunityQuery,
    staff_id: int | None,
    offset: int,
    limit: int,
) -> tuple[list[Row], int]:
    """In scope and filtered, soonest expected close first."""
    where = [scope_clause(scope), *_filters(query, staff_id)]
    total = session.scalar(joined(func.count()).where(*where)) or 0
    rows = session.execute(
        _rows(joined(Opportunity, Customer, Prospect, Product))
        .where(*where)
        .order_by(Opportunity.expected_close_on, Opportunity.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [(o, c, p, pr) for o, c, p, pr in rows], total


def update_opportunity(
    session: Session, opportunity_id: int, version: int, values: dict[str, Any]
) -> bool:
    """Apply `values` only if the opportunity is still at `version` (one statement)."""
    result = session.execute(
        update(Opportunity)
        .where(Opportunity.id == opportunity_id, Opportunity.version == version)
        .values(**values, version=Opportunity.version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def history(session: Session, opportunity_id: int) -> list[OpportunityStageChange]:
    return list(
        session.scalars(
            select(OpportunityStageChange)
            .where(OpportunityStageChange.opportunity_id == opportunity_id)
            .order_by(OpportunityStageChange.changed_at, OpportunityStageChange.id)
        )
    )


def tasks(session: Session, opportunity_id: int) -> list[OpportunityTask]:
    return list(
        session.scalars(
            select(OpportunityTask)
            .where(OpportunityTask.opportunity_id == opportunity_id)
            .order_by(OpportunityTask.id)
        )
    )


def task(session: Session, opportunity_id: int, task_id: int) -> OpportunityTask | None:
    found = session.get(OpportunityTask, task_id)
    return found if found is not None and found.opportunity_id == opportunity_id else None


def has_open_task(session: Session, opportunity_id: int, department: str) -> bool:
    return (
        session.scalar(
            select(OpportunityTask.id)
            .where(
                OpportunityTask.opportunity_id == opportunity_id,
                OpportunityTask.department == department,
                OpportunityTask.status == "open",
            )
            .limit(1)
        )
        is not None
    )


def close_task(session: Session, task_id: int, values: dict[str, Any]) -> bool:
    """Close an open task (False when it is no longer open)."""
    result = session.execute(
        update(OpportunityTask)
        .where(OpportunityTask.id == task_id, OpportunityTask.status == "open")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def staff_codes(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Staff.id, Staff.staff_code).where(Staff.id.in_(sorted(ids))))
    return {i: code for i, code in rows}


def product_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Product.id, Product.name).where(Product.id.in_(sorted(ids))))
    return {i: name for i, name in rows}
