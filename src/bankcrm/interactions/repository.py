"""All queries of the interactions feature: the contact log, channel events and tasks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.orm import Session

from bankcrm.analytics.models import CustomerScore, Offer, ScoreRun
from bankcrm.customers.models import Customer
from bankcrm.interactions.models import ChannelEvent, Interaction, Task
from bankcrm.products.models import Product
from bankcrm.staff.models import Staff

STAFF_NAME = Staff.first_name + " " + Staff.last_name
GONE = ("closed", "deceased")  # customers who get no generated tasks


def add(session: Session, record: object) -> None:
    session.add(record)
    session.flush()


def customer_by_no(session: Session, customer_no: str) -> Customer | None:
    return session.scalars(select(Customer).where(Customer.customer_no == customer_no)).first()


def interactions(
    session: Session, customer_id: int, offset: int, limit: int
) -> tuple[list[tuple[Interaction, str | None]], int]:
    total = session.scalar(
        select(func.count()).select_from(Interaction).where(Interaction.customer_id == customer_id)
    )
    rows = session.execute(
        select(Interaction, STAFF_NAME)
        .outerjoin(Staff, Staff.id == Interaction.staff_id)
        .where(Interaction.customer_id == customer_id)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [(i, name) for i, name in rows], total or 0


def staff_name(session: Session, staff_id: int | None) -> str | None:
    if staff_id is None:
        return None
    return session.scalar(select(STAFF_NAME).where(Staff.id == staff_id))


def staff_member(session: Session, staff_id: int) -> Staff | None:
    return session.get(Staff, staff_id)


def event(session: Session, source: str, event_id: str) -> tuple[ChannelEvent, Interaction] | None:
    row = session.execute(
        select(ChannelEvent, Interaction)
        .join(Interaction, Interaction.id == ChannelEvent.interaction_id)
        .where(ChannelEvent.source == source, ChannelEvent.event_id == event_id)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


# Tasks


def task(session: Session, task_id: int) -> Task | None:
    return session.get(Task, task_id)


def open_task_of_kind(session: Session, customer_id: int, kind: str) -> Task | None:
    return session.scalars(
        select(Task).where(
            Task.customer_id == customer_id, Task.kind == kind, Task.status == "open"
        )
    ).first()


def open_tasks(session: Session, customer_id: int) -> list[Task]:
    """A customer's open tasks, the most urgent first."""
    return list(
        session.scalars(
            select(Task)
            .where(Task.customer_id == customer_id, Task.status == "open")
            .order_by(Task.due_on, Task.id)
        )
    )


def worklist(
    session: Session,
    where: Sequence[ColumnElement[bool]],
    offset: int,
    limit: int,
    by_due_date: bool = False,
) -> tuple[list[tuple[Task, Customer, str | None]], int]:
    """Open tasks matching `where` (on tasks and their customers), ranked: the most value
    at risk first, then the earliest due date (`by_due_date`: the earliest due first)."""
    base = (
        select(Task, Customer, STAFF_NAME)
        .join(Customer, Customer.id == Task.customer_id)
        .outerjoin(Staff, Staff.id == Task.assignee_id)
        .where(Task.status == "open", *where)
    )
    total = session.scalar(
        select(func.count())
        .select_from(Task)
        .join(Customer, Customer.id == Task.customer_id)
        .where(Task.status == "open", *where)
    )
    ranked = Task.value_at_risk.desc().nulls_last()
    order = (Task.due_on, ranked) if by_due_date else (ranked, Task.due_on)
    rows = session.execute(base.order_by(*order, Task.id).offset(offset).limit(limit)).all()
    return [(t, c, name) for t, c, name in rows], total or 0


def update_task(session: Session, task_id: int, version: int, values: dict[str, Any]) -> bool:
    """Apply `values` only if the task is still at `version` (one statement): False if
    someone changed it since."""
    result = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.version == version)
        .values(**values, version=Task.version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def insert_tasks(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert tasks in bulk; their ids, in the order of `rows`."""
    if not rows:
        return []
    ids = session.scalars(insert(Task).returning(Task.id, sort_by_parameter_order=True), rows)
    return list(ids)


def task_keys(session: Session, kinds: Sequence[str], closed_since: date) -> set[tuple[int, str]]:
    """(customer, kind) pairs that must not get a new generated task: one is open, or one
    was closed (done or cancelled) on or after `closed_since`."""
    rows = session.execute(
        select(Task.customer_id, Task.kind)
        .where(Task.kind.in_(list(kinds)))
        .where((Task.status == "open") | (Task.closed_at >= closed_since))
        .distinct()
    ).all()
    return {(cid, kind) for cid, kind in rows}


# What the task generator reads


def score_date_up_to(session: Session, as_of: date) -> date | None:
    return session.scalar(select(func.max(ScoreRun.as_of)).where(ScoreRun.as_of <= as_of))


def retention_candidates(
    session: Session, score_date: date, min_value: float, limit: int
) -> Sequence[tuple[int, int | None, str, float, float, float, str]]:
    """Active customers with the most value at risk (at least `min_value`): customer,
    manager, tier, value at risk, churn probability, CLV, churn reasons (JSON)."""
    rows = session.execute(
        select(
            Customer.id,
            Customer.manager_id,
            CustomerScore.tier,
            CustomerScore.value_at_risk,
            CustomerScore.churn_probability,
            CustomerScore.clv,
            CustomerScore.churn_reasons,
        )
        .join(CustomerScore, CustomerScore.customer_id == Customer.id)
        .where(
            CustomerScore.as_of == score_date,
            CustomerScore.value_at_risk >= min_value,
            Customer.status.not_in(GONE),
        )
        .order_by(CustomerScore.value_at_risk.desc(), Customer.id)
        .limit(limit)
    ).all()
    return rows


def offer_candidates(
    session: Session, score_date: date, min_expected_value: float
) -> Sequence[tuple[int, int | None, float | None, str, float, str]]:
    """Active customers who agreed to marketing, whose first offer is worth at least
    `min_expected_value`: customer, manager, value at risk, product, expected value,
    explanation."""
    rows = session.execute(
        select(
            Customer.id,
            Customer.manager_id,
            CustomerScore.value_at_risk,
            Product.name,
            Offer.expected_value,
            Offer.explanation,
        )
        .join(Offer, Offer.customer_id == Customer.id)
        .join(Product, Product.id == Offer.product_id)
        .outerjoin(
            CustomerScore,
            (CustomerScore.customer_id == Customer.id) & (CustomerScore.as_of == score_date),
        )
        .where(
            Offer.as_of == score_date,
            Offer.rank == 1,
            Offer.expected_value >= min_expected_value,
            Customer.status.not_in(GONE),
            Customer.marketing_consent.is_(True),
        )
        .order_by(Customer.id)
    ).all()
    return rows


def review_candidates(
    session: Session, score_date: date, tiers: Sequence[str], channels: Sequence[str]
) -> Sequence[tuple[int, int | None, str, float, Any, Any]]:
    """Active customers of the reviewed tiers: customer, manager, tier, value at risk, the
    last contact on a review channel and the last review task done (either may be None)."""
    contact = (
        select(Interaction.customer_id, func.max(Interaction.occurred_at).label("at"))
        .where(Interaction.channel.in_(list(channels)))
        .group_by(Interaction.customer_id)
        .subquery()
    )
    reviewed = (
        select(Task.customer_id, func.max(Task.closed_at).label("at"))
        .where(Task.kind == "review", Task.status == "done")
        .group_by(Task.customer_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Customer.id,
            Customer.manager_id,
            CustomerScore.tier,
            CustomerScore.value_at_risk,
            contact.c.at,
            reviewed.c.at,
        )
        .join(CustomerScore, CustomerScore.customer_id == Customer.id)
        .outerjoin(contact, contact.c.customer_id == Customer.id)
        .outerjoin(reviewed, reviewed.c.customer_id == Customer.id)
        .where(
            CustomerScore.as_of == score_date,
            CustomerScore.tier.in_(list(tiers)),
            Customer.status.not_in(GONE),
        )
        .order_by(Customer.id)
    ).all()
    return rows


def kyc_candidates(
    session: Session, score_date: date, due_by: date
) -> Sequence[tuple[int, int | None, float | None, date | None]]:
    """Active customers whose KYC review falls due by `due_by` (or is past): customer,
    manager, value at risk, KYC review date."""
    rows = session.execute(
        select(
            Customer.id,
            Customer.manager_id,
            CustomerScore.value_at_risk,
            Customer.kyc_review_due,
        )
        .outerjoin(
            CustomerScore,
            (CustomerScore.customer_id == Customer.id) & (CustomerScore.as_of == score_date),
        )
        .where(Customer.kyc_review_due <= due_by, Customer.status.not_in(GONE))
        .order_by(Customer.id)
    ).all()
    return rows
