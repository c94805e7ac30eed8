"""Merges, maker-checker: a user proposes (maker), the branch manager of the survivor's
branch approves or rejects (checker, never the proposer), and may later reverse an
approved merge. Approval links the two records; nothing is deleted or overwritten. Every
step is audited as record type "record_merge"."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.duplicates import repository, shape
from bankcrm.duplicates.access import view_of, visible_candidate
from bankcrm.duplicates.models import RecordMerge
from bankcrm.duplicates.schemas import (
    Decide,
    MergeOut,
    MergeQuery,
    ProposeMerge,
    Reverse,
)
from bankcrm.kit.db import utcnow
from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.kit.pagination import Page
from bankcrm.prospects.models import Prospect
from bankcrm.security import audit, break_glass, scope
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role

RECORD_TYPE = "record_merge"


def _records(session: Session, m: RecordMerge) -> tuple[Customer, Customer | Prospect]:
    survivor = repository.customer(session, m.survivor_id)
    merged: Customer | Prospect | None = (
        repository.customer(session, m.merged_customer_id)
        if m.merged_customer_id is not None
        else repository.prospect(session, m.merged_prospect_id or 0)
    )
    assert survivor is not None and merged is not None  # foreign keys
    return survivor, merged


def _out(session: Session, m: RecordMerge, survivor: Customer, merged: shape.Record) -> MergeOut:
    users = repository.usernames(
        session, {u for u in (m.proposed_by, m.decided_by, m.reversed_by) if u is not None}
    )
    return shape.merge(m, survivor, merged, users)


def is_checker(principal: Principal, m: RecordMerge) -> bool:
    """The branch manager of the survivor's branch: the one who decides and reverses."""
    return (
        principal.role is Role.BRANCH_MANAGER
        and principal.branch_id is not None
        and principal.branch_id == m.branch_id
    )


def _visible_merge(
    session: Session, principal: Principal, merge_id: int
) -> tuple[RecordMerge, Customer, Customer | Prospect]:
    """A merge shows to whoever sees both records, and to its checker (who must judge the
    merged record even when it belongs to another branch); others get 404."""
    scope.require_customer_detail(principal)
    m = repository.merge(session, merge_id)
    if m is None:
        raise NotFound(f"merge {merge_id} not found")
    survivor, merged = _records(session, m)
    granted = break_glass.granted(session, principal)
    both = view_of(principal, survivor, granted) and view_of(principal, merged, granted)
    if not both and not is_checker(principal, m):
        raise NotFound(f"merge {merge_id} not found")
    return m, survivor, merged


def propose(
    session: Session, principal: Principal, candidate_id: int, body: ProposeMerge
) -> MergeOut:
    """The maker's step: the pair must be open, unchanged since read, and neither record
    already in a proposed or approved merge."""
    scope.require_customer_writes(principal)
    if principal.user_id is None:
        raise Forbidden("only a signed-in user may propose a merge")
    c, left, right, _lv, _rv = visible_candidate(session, principal, candidate_id)
    if c.version != body.version:
        raise Conflict(
            f"duplicate candidate {candidate_id} was changed since version {body.version} "
            f"was read (now version {c.version}): reload it",
            "version",
        )
    if c.status != "open":
        raise Conflict(f"duplicate candidate {candidate_id} is {c.status}, not open", "status")
    survivor, merged = (left, right) if body.survivor == "left" else (right, left)
    if not isinstance(survivor, Customer):
        raise InvalidInput("the survivor must be a customer, not a prospect", "survivor")
    merged_customer = merged.id if isinstance(merged, Customer) else None
    merged_prospect = merged.id if isinstance(merged, Prospect) else None
    customers = [survivor.id] + ([merged_customer] if merged_customer else [])
    if repository.live_merges_of(session, customers, merged_prospect):
        raise Conflict(
            "one of these records is already in a proposed or approved merge: decide or "
            "reverse that one first",
            "candidate",
        )
    m = repository.add_merge(
        session,
        RecordMerge(
            candidate_id=c.id,
            survivor_id=survivor.id,
            merged_customer_id=merged_customer,
            merged_prospect_id=merged_prospect,
            branch_id=survivor.branch_id,
            reason=body.reason,
            status="proposed",
            proposed_by=principal.user_id,
            proposed_at=utcnow(),
        ),
    )
    audit.record(session, principal, "propose", RECORD_TYPE, m.id, reason=body.reason)
    return _out(session, m, survivor, merged)


def _stale(merge_id: int, version: int, now: int) -> Conflict:
    return Conflict(
        f"merge {merge_id} was changed since version {version} was read (now version "
        f"{now}): reload it",
        "version",
    )


def _decide(
    session: Session,
    principal: Principal,
    merge_id: int,
    version: int,
    *,
    action: str,
    values: dict[str, object],
    from_status: str,
    reason: str | None,
) -> MergeOut:
    m, survivor, merged = _visible_merge(session, principal, merge_id)
    if not is_checker(principal, m):
        raise Forbidden(
            "only the branch manager of the survivor's branch may approve, reject or reverse "
            "a merge"
        )
    if principal.user_id is not None and principal.user_id == m.proposed_by:
        raise Forbidden("the proposer of a merge may not decide it (maker-checker)")
    if m.status != from_status:
        raise Conflict(f"merge {merge_id} is {m.status}, not {from_status}", "status")
    if not repository.set_merge(session, m.id, version, values):
        raise _stale(merge_id, version, m.version)
    audit.record(session, principal, action, RECORD_TYPE, m.id, reason=reason)
    session.expire(m)
    return _out(session, m, survivor, merged)


def approve(session: Session, principal: Principal, merge_id: int, body: Decide) -> MergeOut:
    """The checker links the records: the survivor's 360 shows both from now on."""
    out = _decide(
        session,
        principal,
        merge_id,
        body.version,
        action="approve",
        values={
            "status": "approved",
            "decided_by": principal.user_id,
            "decided_at": utcnow(),
            "decision_note": body.note,
        },
        from_status="proposed",
        reason=body.note,
    )
    if out.candidate_id is not None:
        c = repository.candidate(session, out.candidate_id)
        if c is not None:
            repository.set_candidate(session, c.id, c.version, {"status": "merged"})
    return out


def reject(session: Session, principal: Principal, merge_id: int, body: Decide) -> MergeOut:
    """The checker refuses; the pair stays open (another survivor may be proposed)."""
    if not body.note:
        raise InvalidInput("say why the merge is rejected", "note")
    return _decide(
        session,
        principal,
        merge_id,
        body.version,
        action="reject",
        values={
            "status": "rejected",
            "decided_by": principal.user_id,
            "decided_at": utcnow(),
            "decision_note": body.note,
        },
        from_status="proposed",
        reason=body.note,
    )


def reverse(session: Session, principal: Principal, merge_id: int, body: Reverse) -> MergeOut:
    """The link ends and both records stand alone again; the pair is dismissed with the
    reason, so that detection does not offer it again."""
    out = _decide(
        session,
        principal,
        merge_id,
        body.version,
        action="reverse",
        values={
            "status": "reversed",
            "reversed_by": principal.user_id,
            "reversed_at": utcnow(),
            "reverse_reason": body.reason,
        },
        from_status="approved",
        reason=body.reason,
    )
    if out.candidate_id is not None:
        c = repository.candidate(session, out.candidate_id)
        if c is not None:
            repository.set_candidate(
                session,
                c.id,
                c.version,
                {"status": "dismissed", "dismissed_reason": body.reason},
            )
    return out


def get_merge(session: Session, principal: Principal, merge_id: int) -> MergeOut:
    m, survivor, merged = _visible_merge(session, principal, merge_id)
    audit.record(session, principal, "read", RECORD_TYPE, m.id, fields=shape.LIST_FIELDS)
    return _out(session, m, survivor, merged)


def list_merges(
    session: Session, principal: Principal, query: MergeQuery, offset: int, limit: int
) -> Page[MergeOut]:
    """Merges whose two records are in the caller's scope, newest first (a branch
    manager's proposals to decide are those of status "proposed")."""
    scope.require_customer_detail(principal)
    granted = break_glass.granted(session, principal)
    rows, total = repository.list_merges(
        session, scope.customer_filter(principal, granted), query.status, offset, limit
    )
    users = repository.usernames(
        session,
        {u for m, *_ in rows for u in (m.proposed_by, m.decided_by, m.reversed_by) if u},
    )
    items = []
    for m, survivor, other, prospect in rows:
        merged = other if other is not None else prospect
        if merged is not None:
            items.append(shape.merge(m, survivor, merged, users))
    if items:
        audit.record(
            session,
            principal,
            "list",
            RECORD_TYPE,
            fields=shape.LIST_FIELDS,
            record_ids=[i.id for i in items],
        )
    return Page(items=items, total=total, offset=offset, limit=limit)


def of_candidate(session: Session, candidate_id: int) -> list[MergeOut]:
    """The proposals and merges of one pair, newest first."""
    rows = repository.merges_of_candidate(session, candidate_id)
    users = repository.usernames(
        session, {u for m in rows for u in (m.proposed_by, m.decided_by, m.reversed_by) if u}
    )
    return [shape.merge(m, *_records(session, m), users) for m in rows]
