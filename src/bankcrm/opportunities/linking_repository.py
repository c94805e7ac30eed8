"""The queries of linking.py: the won opportunities waiting for their holding, the holdings
of their customers, and the update. Both reads go through an index that leads with what
they filter on (opportunities by stage, holdings by customer), whatever the bank's size."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from bankcrm.opportunities.models import Opportunity
from bankcrm.opportunities.stages import LINKED_CATEGORIES
from bankcrm.products.models import Holding, Product
from bankcrm.prospects.models import Prospect

TABLE: Table = Opportunity.__table__  # type: ignore[assignment]  # Core: one executemany
CHUNK = 1000  # customer ids per IN list
Waiting = tuple[int, int, int, date]  # opportunity id, customer id, product id, won on
Held = tuple[int, int, int, date]  # holding id, customer id, product id, opened on


def waiting(session: Session) -> list[Waiting]:
    """Won, unlinked opportunities of a lending or account-opening product whose customer
    is known (a prospect's once it converted)."""
    customer = func.coalesce(Opportunity.customer_id, Prospect.converted_customer_id)
    rows = session.execute(
        select(Opportunity.id, customer, Opportunity.product_id, Opportunity.won_on)
        .select_from(Opportunity)
        .join(Product, Product.id == Opportunity.product_id)
        .outerjoin(Prospect, Prospect.id == Opportunity.prospect_id)
        .where(
            Opportunity.stage == "won",
            Opportunity.holding_id.is_(None),
            Opportunity.won_on.is_not(None),
            Product.category.in_(sorted(LINKED_CATEGORIES)),
            customer.is_not(None),
        )
    ).all()
    return [(o, c, p, w) for o, c, p, w in rows if w is not None]


def unlinked_holdings(session: Session, customer_ids: Sequence[int], since: date) -> list[Held]:
    """Holdings of these customers opened on or after `since` that no opportunity has."""
    linked = select(Opportunity.holding_id).where(Opportunity.holding_id.is_not(None))
    ids = sorted(set(customer_ids))
    found: list[Held] = []
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Holding.id, Holding.customer_id, Holding.product_id, Holding.opened_on).where(
                Holding.customer_id.in_(ids[start : start + CHUNK]),
                Holding.opened_on >= since,
                Holding.id.not_in(linked),
            )
        ).all()
        found += [(h, c, p, o) for h, c, p, o in rows]
    return found


def set_holdings(session: Session, links: dict[int, int], at: datetime) -> None:
    session.execute(
        update(TABLE)
        .where(TABLE.c.id == bindparam("opportunity_id"))
        .values(holding_id=bindparam("holding"), linked_at=at, version=TABLE.c.version + 1),
        [{"opportunity_id": o, "holding": h} for o, h in links.items()],
    )
