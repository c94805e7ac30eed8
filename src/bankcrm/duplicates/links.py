"""The links an approved merge makes, as the customer 360 shows them (customers/service.py
calls this): one indexed query for a customer without links."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.customers.schemas import LinkedRecord, TimelineEntry
from bankcrm.duplicates import repository, shape
from bankcrm.prospects.models import Prospect
from bankcrm.security import audit
from bankcrm.security.principal import Principal
from bankcrm.security.roles import View


def linked_records(
    session: Session, principal: Principal, customer_id: int, view: View
) -> list[LinkedRecord]:
    """Records merged into this customer (and the one it was merged into), masked with
    the customer's view; reading a merged record's contacts is audited as its own read."""
    out = []
    for m in repository.approved_links(session, customer_id):
        if m.survivor_id == customer_id:
            role = "merged"
            record: Customer | Prospect | None = (
                repository.customer(session, m.merged_customer_id)
                if m.merged_customer_id is not None
                else repository.prospect(session, m.merged_prospect_id or 0)
            )
        else:
            role = "survivor"
            record = repository.customer(session, m.survivor_id)
        if record is None:
            continue
        side = shape.side(record, view)
        if role == "merged":
            audit.record(
                session,
                principal,
                "read",
                side.type,
                record.id,
                fields=("name", "email", "phone", "address", "holdings", "timeline"),
                reason=f"linked to customer {customer_id} by merge {m.id}",
            )
        out.append(
            LinkedRecord(
                merge_id=m.id,
                role=role,
                type=side.type,
                id=record.id,
                number=side.number,
                name=side.name,
                email=side.email,
                phone=side.phone,
                address=side.address,
                linked_at=m.decided_at,
            )
        )
    return out


def prospect_timeline(
    session: Session, prospect_id: int, number: str, view: View, limit: int
) -> list[TimelineEntry]:
    """A merged prospect's activities as timeline entries marked with its number."""
    return [
        TimelineEntry(
            at=a.occurred_at,
            source="prospect",
            channel=a.channel or "",
            topic=a.summary,
            outcome=a.kind,
            staff=None,
            note=a.note if view is View.FULL else None,
            prospect_no=number,
            source_record=number,
        )
        for a in repository.prospect_activities(session, prospect_id, limit)
    ]
