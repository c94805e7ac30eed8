"""The queries of linking.py: candidate (opportunity, holding) pairs and the update."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from bankcrm.opportunities.models import Opportunity
from bankcrm.opportunities.stages import LINKED_CATEGORIES
from bankcrm.products.models import Holding, Product
from bankcrm.prospects.models import Prospect

TABLE: Table = Opportunity.__table__  # type: ignore[assignment]  # Core: one executemany


def candidates(session: Session) -> list[tuple[int, int]]:
    """(opportunity id, holding id) pairs that may be linked, in the order to take them:
    won and unlinked opportunities of a lending or account-opening product, holdings of
    the same customer and product opened on or after the won date and linked to nothing."""
    linked = select(Opportunity.holding_id).where(Opportunity.holding_id.is_not(None))
    customer = func.coalesce(Opportunity.customer_id, Prospect.converted_customer_id)
    rows = session.execute(
        select(Opportunity.id, Holding.id)
        .select_from(Opportunity)
        .join(Product, Product.id == Opportunity.product_id)
        .outerjoin(Prospect, Prospect.id == Opportunity.prospect_id)
        .join(
            Holding,
            (Holding.customer_id == customer)
            & (Holding.product_id == Opportunity.product_id)
            & (Holding.opened_on >= Opportunity.won_on),
        )
        .where(
            Opportunity.stage == "won",
            Opportunity.holding_id.is_(None),
            Product.category.in_(sorted(LINKED_CATEGORIES)),
            Holding.id.not_in(linked),
        )
        .order_by(Opportunity.won_on, Opportunity.id, Holding.opened_on, Holding.id)
    ).all()
    return [(o, h) for o, h in rows]


def set_holdings(session: Session, links: dict[int, int], at: datetime) -> None:
    session.execute(
        update(TABLE)
        .where(TABLE.c.id == bindparam("opportunity_id"))
        .values(holding_id=bindparam("holding"), linked_at=at, version=TABLE.c.version + 1),
        [{"opportunity_id": o, "holding": h} for o, h in links.items()],
    )
