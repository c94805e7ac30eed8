"""Counts for `bankcrm status`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer, CustomerRelationship
from bankcrm.ingest.models import ImportBatch
from bankcrm.interactions.models import Interaction
from bankcrm.products.models import Holding, Product, StandingOrder
from bankcrm.service_desk.models import Case
from bankcrm.staff.models import Branch, Staff


def customers_by_kind_status(session: Session) -> list[tuple[str, str, int]]:
    rows = session.execute(
        select(Customer.kind, Customer.status, func.count())
        .group_by(Customer.kind, Customer.status)
        .order_by(Customer.kind, Customer.status)
    )
    return [(k, s, int(n)) for k, s, n in rows]


def holdings_by_category(session: Session) -> list[tuple[str, int, int]]:
    """(category, holdings, of which open)."""
    is_open = func.sum(case((Holding.status != "closed", 1), else_=0))
    rows = session.execute(
        select(Product.category, func.count(Holding.id), is_open)
        .join(Product, Holding.product_id == Product.id)
        .group_by(Product.category)
        .order_by(Product.category)
    )
    return [(c, int(n), int(o or 0)) for c, n, o in rows]


def loans_by_status(session: Session) -> list[tuple[str, int]]:
    rows = session.execute(
        select(Holding.loan_status, func.count())
        .where(Holding.loan_status.is_not(None))
        .group_by(Holding.loan_status)
        .order_by(Holding.loan_status)
    )
    return [(str(s), int(n)) for s, n in rows]


def simple_counts(session: Session) -> dict[str, int]:
    models: dict[str, Any] = {
        "branches": Branch,
        "staff": Staff,
        "products": Product,
        "relationships": CustomerRelationship,
        "standing_orders": StandingOrder,
        "interactions": Interaction,
        "cases": Case,
    }
    return {
        name: int(session.scalar(select(func.count()).select_from(model)) or 0)
        for name, model in models.items()
    }


def import_batches(session: Session, limit: int = 20) -> list[ImportBatch]:
    return list(session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)))


def import_batch_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ImportBatch)) or 0)
