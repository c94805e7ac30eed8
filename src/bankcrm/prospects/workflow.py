"""What happens to a prospect: status changes (with their rules), contacts, a new owner,
and the decision on a prospect the import flagged for review. Each writes an activity,
checks the version it was given and is audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bankcrm.kit.db import utcnow
from bankcrm.kit.errors import Conflict, InvalidInput
from bankcrm.prospects import repository
from bankcrm.prospects.models import Prospect, ProspectActivity
from bankcrm.prospects.schemas import (
    ContactIn,
    OwnerChange,
    ProspectOut,
    ReviewDecision,
    StatusChange,
)
from bankcrm.prospects.service import (
    RECORD,
    check_owner,
    detail,
    get_prospect,
    stale,
    visible_prospect,
    writable_prospect,
)
from bankcrm.security import audit
from bankcrm.security.principal import Principal
from bankcrm.staff import repository as staff_repository


def _activity(
    session: Session,
    principal: Principal,
    prospect: Prospect,
    kind: str,
    summary: str,
    note: str | None = None,
    channel: str | None = None,
    at: datetime | None = None,
) -> None:
    repository.add_activity(
        session,
        ProspectActivity(
            prospect_id=prospect.id,
            occurred_at=at or utcnow(),
            kind=kind,
            channel=channel,
            staff_id=principal.staff_id,
            summary=summary[:500],
            note=note,
            created_by=principal.actor,
        ),
    )


def _write(session: Session, prospect: Prospect, version: int, values: dict[str, object]) -> None:
    if not repository.update_prospect(session, prospect.id, version, values):
        raise stale(prospect, version)
    session.expire(prospect)


def change_status(
    session: Session, principal: Principal, prospect_id: int, change: StatusChange
) -> ProspectOut:
    """new, contacted, qualified, disqualified (with a reason) and back again; converted
    only by a conversion. The change is an activity on the prospect's timeline."""
    prospect = writable_prospect(session, principal, prospect_id)
    if change.status == prospect.status:
        raise InvalidInput(f"prospect {prospect_id} is already {change.status}", "status")
    reason = change.reason.strip() if change.reason else None
    if change.status == "disqualified" and not reason:
        raise InvalidInput("say why the prospect is disqualified", "reason")
    old = prospect.status
    _write(session, prospect, change.version, {
        "status": change.status,
        "disqualified_reason": reason if change.status == "disqualified" else None,
    })  # fmt: skip
    summary = f"{old} → {change.status}"
    _activity(session, principal, prospect, "status", summary, note=reason)
    audit.record(session, principal, "update", RECORD, prospect_id, fields=["status"])
    return get_prospect(session, principal, prospect_id)


def log_contact(
    session: Session, principal: Principal, prospect_id: int, contact: ContactIn
) -> ProspectOut:
    """Record a contact; a new prospect becomes contacted with it."""
    prospect = writable_prospect(session, principal, prospect_id)
    at = contact.occurred_at or utcnow()
    if at > utcnow():
        raise InvalidInput("a contact can only be logged once it happened", "occurred_at")
    _activity(
        session, principal, prospect, "contact", contact.summary.strip() or contact.summary,
        note=contact.note, channel=contact.channel, at=at,
    )  # fmt: skip
    fields = ["activities"]
    if prospect.status == "new":
        _write(session, prospect, prospect.version, {"status": "contacted"})
        _activity(session, principal, prospect, "status", "new → contacted")
        fields.append("status")
    audit.record(session, principal, "contact", RECORD, prospect_id, fields=fields)
    return get_prospect(session, principal, prospect_id)


def assign_owner(
    session: Session, principal: Principal, prospect_id: int, change: OwnerChange
) -> ProspectOut:
    """Give the prospect to a member of its own branch. The answer shows it as the caller
    saw it before, even when the new owner takes it out of the caller's scope."""
    prospect = writable_prospect(session, principal, prospect_id)
    _found, view = visible_prospect(session, principal, prospect_id)
    check_owner(session, change.owner_id, prospect.branch_id)
    if change.owner_id == prospect.owner_id:
        raise InvalidInput(f"staff member {change.owner_id} already owns it", "owner_id")
    names = staff_repository.staff_names(session, {change.owner_id})
    _write(session, prospect, change.version, {"owner_id": change.owner_id})
    summary = f"owner: {names.get(change.owner_id, change.owner_id)}"
    _activity(session, principal, prospect, "note", summary)
    audit.record(session, principal, "update", RECORD, prospect_id, fields=["owner_id"])
    return detail(session, principal, prospect, view)


def decide_review(
    session: Session, principal: Principal, prospect_id: int, decision: ReviewDecision
) -> ProspectOut:
    """`same`: the prospect converts to the flagged customer; `not_same`: the flag goes and
    the import will not raise that customer again for this prospect."""
    prospect = writable_prospect(session, principal, prospect_id)
    customer_id = prospect.review_customer_id
    if customer_id is None:
        raise Conflict(f"prospect {prospect_id} is not flagged for review", "decision")
    customer = repository.customer(session, customer_id)
    number = customer.customer_no if customer is not None else str(customer_id)
    clear: dict[str, object] = {"review_customer_id": None, "review_reason": None}
    if decision.decision == "same":
        _write(session, prospect, decision.version, {
            **clear,
            "status": "converted",
            "converted_customer_id": customer_id,
            "converted_at": utcnow(),
            "converted_by": principal.actor,
        })  # fmt: skip
        _activity(session, principal, prospect, "conversion", f"became customer {number}")
        fields = ["status", "converted_customer_id"]
    else:
        _write(session, prospect, decision.version, {**clear, "not_same_customer_id": customer_id})
        _activity(session, principal, prospect, "review", f"not the same as customer {number}")
        fields = ["review_customer_id"]
    audit.record(session, principal, "review", RECORD, prospect_id, fields=fields)
    return get_prospect(session, principal, prospect_id)
