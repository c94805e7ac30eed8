"""A won lending or account-opening opportunity links to the holding that the next
extract brings: same customer (for a prospect, the customer it converted to), same
product, opened on or after the won date, not linked to another opportunity yet.

Runs inside the import's transaction (ingest/service.py), after the batch is loaded: one
query finds the candidate pairs of the won, unlinked opportunities (few, whatever the size
of the bank), one executemany sets them. Each holding goes to one opportunity (the unique
index on holding_id guards it too): the earliest won first, each taking its earliest
holding."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bankcrm.kit.db import utcnow
from bankcrm.opportunities import linking_repository
from bankcrm.security import audit
from bankcrm.security.principal import Principal


def link_won_opportunities(session: Session, principal: Principal) -> list[int]:
    """Link what can be linked now; returns the opportunity ids linked (audited as one
    event of the importing job)."""
    taken: set[int] = set()
    linked: dict[int, int] = {}
    for opportunity_id, holding_id in linking_repository.candidates(session):
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
