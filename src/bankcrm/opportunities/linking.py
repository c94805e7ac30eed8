"""A won lending or account-opening opportunity links to the holding that the next
extract brings: same customer (for a prospect, the customer it converted to), same
product, opened on or after the won date, not linked to another opportunity yet.

Runs inside the import's transaction (ingest/service.py), after the batch is loaded: one
query reads the won, unlinked opportunities (few, whatever the size of the bank), one more
their customers' unlinked holdings through the customer index (chunks of 1,000 ids), one
executemany sets the links. Each holding goes to one opportunity (the unique index on
holding_id guards it too): the earliest won first, each taking its earliest holding."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from bankcrm.kit.db import utcnow
from bankcrm.opportunities import linking_repository
from bankcrm.security import audit
from bankcrm.security.principal import Principal


def candidates(session: Session) -> list[tuple[int, int]]:
    """(opportunity, holding) pairs that may be linked, in the order to take them: the
    earliest won first, each with its earliest holding of the same customer and product
    opened on or after the won date."""
    waiting = linking_repository.waiting(session)
    if not waiting:
        return []
    since = min(won_on for *_, won_on in waiting)
    held = linking_repository.unlinked_holdings(session, [c for _, c, _, _ in waiting], since)
    by_party: dict[tuple[int, int], list[tuple[date, int]]] = {}
    for holding_id, customer_id, product_id, opened_on in held:
        by_party.setdefault((customer_id, product_id), []).append((opened_on, holding_id))
    pairs = []
    for opportunity_id, customer_id, product_id, won_on in sorted(
        waiting, key=lambda w: (w[3], w[0])
    ):
        for opened_on, holding_id in sorted(by_party.get((customer_id, product_id), [])):
            if opened_on >= won_on:
                pairs.append((opportunity_id, holding_id))
    return pairs


def link_won_opportunities(session: Session, principal: Principal) -> list[int]:
    """Link what can be linked now; returns the opportunity ids linked (audited as one
    event of the importing job)."""
    taken: set[int] = set()
    linked: dict[int, int] = {}
    for opportunity_id, holding_id in candidates(session):
        if opportunity_id in linked or holding_id in taken:
            continue
        linked[opportunity_id] = holding_id
        taken.add(holding_id)
    if not linked:
        return []
    linking_repository.set_holdings(session, linked, utcnow())
    ids = sorted(linked)
    audit.record(
        session, principal, "link_holding", "opportunity", fields=["holding_id"], record_ids=ids
    )
    return ids
