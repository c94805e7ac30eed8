"""All queries of consent, export and erasure: everything held on one person, and the
changes an erasure makes. Never the audit log: it is append-only and holds ids only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import delete, inspect, or_, select, update
from sqlalchemy.orm import Session

from bankcrm.analytics.models import CustomerScore, Offer, TierChange
from bankcrm.customers.models import Customer, CustomerRelationship
from bankcrm.customers.privacy_models import ConsentChange, ErasureRequest
from bankcrm.ingest.spec import LOAN_CATEGORIES
from bankcrm.interactions.models import Interaction
from bankcrm.lake import repository as lake_repository
from bankcrm.products.models import Holding, Product, StandingOrder
from bankcrm.service_desk.models import Case, CaseSurvey

ALL_MONTHS = 100_000


def columns(record: object) -> dict[str, Any]:
    """Every mapped column of a record: an export shows all the bank holds, including
    columns added later."""
    mapper = inspect(type(record))
    return {attr.key: _zoned(getattr(record, attr.key)) for attr in mapper.column_attrs}


def _zoned(value: Any) -> Any:
    """Stored timestamps are naive UTC; the API shows them with their zone."""
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and not value.tzinfo else value


def consent_history(session: Session, customer_id: int) -> list[ConsentChange]:
    return list(
        session.scalars(
            select(ConsentChange)
            .where(ConsentChange.customer_id == customer_id)
            .order_by(ConsentChange.changed_at.desc(), ConsentChange.id.desc())
        )
    )


def add(session: Session, record: object) -> None:
    session.add(record)
    session.flush()


def holdings(session: Session, customer_id: int) -> list[tuple[Holding, Product]]:
    rows = session.execute(
        select(Holding, Product)
        .join(Product, Product.id == Holding.product_id)
        .where(Holding.customer_id == customer_id)
        .order_by(Holding.opened_on, Holding.id)
    ).all()
    return [(h, p) for h, p in rows]


def standing_orders(session: Session, holding_ids: Sequence[int]) -> list[StandingOrder]:
    if not holding_ids:
        return []
    return list(
        session.scalars(
            select(StandingOrder)
            .where(StandingOrder.holding_id.in_(list(holding_ids)))
            .order_by(StandingOrder.id)
        )
    )


def relationships(session: Session, customer_id: int) -> list[CustomerRelationship]:
    return list(
        session.scalars(
            select(CustomerRelationship)
            .where(
                or_(
                    CustomerRelationship.from_customer_id == customer_id,
                    CustomerRelationship.to_customer_id == customer_id,
                )
            )
            .order_by(CustomerRelationship.id)
        )
    )


def customer_numbers(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(Customer.id, Customer.customer_no).where(Customer.id.in_(sorted(ids)))
    )
    return {i: no for i, no in rows}


def interactions(session: Session, customer_id: int) -> list[Interaction]:
    return list(
        session.scalars(
            select(Interaction)
            .where(Interaction.customer_id == customer_id)
            .order_by(Interaction.occurred_at, Interaction.id)
        )
    )


def cases(session: Session, customer_id: int) -> list[tuple[Case, CaseSurvey | None]]:
    rows = session.execute(
        select(Case, CaseSurvey)
        .outerjoin(CaseSurvey, CaseSurvey.case_id == Case.id)
        .where(Case.customer_id == customer_id)
        .order_by(Case.opened_at, Case.id)
    ).all()
    return [(c, s) for c, s in rows]


def scores(session: Session, customer_id: int) -> list[CustomerScore]:
    return list(
        session.scalars(
            select(CustomerScore)
            .where(CustomerScore.customer_id == customer_id)
            .order_by(CustomerScore.as_of)
        )
    )


def tier_changes(session: Session, customer_id: int) -> list[TierChange]:
    return list(
        session.scalars(
            select(TierChange)
            .where(TierChange.customer_id == customer_id)
            .order_by(TierChange.as_of)
        )
    )


def offers(session: Session, customer_id: int) -> list[tuple[Offer, Product]]:
    rows = session.execute(
        select(Offer, Product)
        .join(Product, Product.id == Offer.product_id)
        .where(Offer.customer_id == customer_id)
        .order_by(Offer.as_of, Offer.rank)
    ).all()
    return [(o, p) for o, p in rows]


def erasure_requests(session: Session, customer_id: int) -> list[ErasureRequest]:
    return list(
        session.scalars(
            select(ErasureRequest)
            .where(ErasureRequest.customer_id == customer_id)
            .order_by(ErasureRequest.requested_at, ErasureRequest.id)
        )
    )


def transactions(
    session: Session, lake_dir: Path, account_nos: Sequence[str]
) -> list[dict[str, Any]]:
    """Every transaction of the accounts, from every month file of the lake, oldest first."""
    if not account_nos:
        return []
    months = lake_repository.files_by_month(session, "transactions", ALL_MONTHS)
    files = [
        str(lake_dir / path)
        for _month, paths in months
        for path in paths
        if (lake_dir / path).is_file()
    ]
    if not files:
        return []
    con = duckdb.connect(config={"threads": 1})
    try:
        cursor = con.execute(
            "select * from read_parquet(?) where account_no in (select unnest(?)) "
            "order by booked_on, transaction_id",
            [sorted(files), list(account_nos)],
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def open_loans(session: Session, customer_id: int) -> list[str]:
    """Account numbers of the customer's open loan holdings."""
    return list(
        session.scalars(
            select(Holding.account_no)
            .join(Product, Product.id == Holding.product_id)
            .where(
                Holding.customer_id == customer_id,
                Product.category.in_(LOAN_CATEGORIES),
                Holding.closed_on.is_(None),
            )
            .order_by(Holding.account_no)
        )
    )


def relationship_dates(session: Session, customer_id: int) -> tuple[int, int, date | None]:
    """(holdings, open holdings, the last closing date) of the customer."""
    rows = session.execute(
        select(Holding.closed_on).where(Holding.customer_id == customer_id)
    ).all()
    closed = [r[0] for r in rows if r[0] is not None]
    return len(rows), len(rows) - len(closed), max(closed) if closed else None


def delete_scores(session: Session, customer_id: int) -> int:
    return _count(
        session.execute(delete(CustomerScore).where(CustomerScore.customer_id == customer_id))
    )


def delete_tier_changes(session: Session, customer_id: int) -> int:
    return _count(session.execute(delete(TierChange).where(TierChange.customer_id == customer_id)))


def delete_offers(session: Session, customer_id: int) -> int:
    return _count(session.execute(delete(Offer).where(Offer.customer_id == customer_id)))


def delete_relationships(session: Session, customer_id: int) -> int:
    return _count(
        session.execute(
            delete(CustomerRelationship).where(
                or_(
                    CustomerRelationship.from_customer_id == customer_id,
                    CustomerRelationship.to_customer_id == customer_id,
                )
            )
        )
    )


def erase_interaction_notes(session: Session, customer_id: int) -> int:
    return _count(
        session.execute(
            update(Interaction)
            .where(Interaction.customer_id == customer_id, Interaction.note.is_not(None))
            .values(note=None, version=Interaction.version + 1)
            .execution_options(synchronize_session=False)
        )
    )


def erase_case_texts(session: Session, customer_id: int) -> int:
    cases_changed = _count(
        session.execute(
            update(Case)
            .where(
                Case.customer_id == customer_id,
                or_(Case.description.is_not(None), Case.resolution.is_not(None)),
            )
            .values(description=None, resolution=None, version=Case.version + 1)
            .execution_options(synchronize_session=False)
        )
    )
    ids = select(Case.id).where(Case.customer_id == customer_id).scalar_subquery()
    surveys_changed = _count(
        session.execute(
            update(CaseSurvey)
            .where(CaseSurvey.case_id.in_(ids), CaseSurvey.comment.is_not(None))
            .values(comment=None)
            .execution_options(synchronize_session=False)
        )
    )
    return cases_changed + surveys_changed


def _count(result: Any) -> int:
    return int(result.rowcount or 0)
