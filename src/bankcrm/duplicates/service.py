"""Duplicate candidates for one caller: detection, the list, a pair side by side and
dismissal, in scope (both records), masked by role and audited. Merges: merges.py."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.duplicates import detect, merges, repository, shape
from bankcrm.duplicates.access import pair_records, view_of, visible_candidate
from bankcrm.duplicates.schemas import (
    CandidateOut,
    CandidatePair,
    CandidateQuery,
    DetectRequest,
    DetectResult,
    Dismiss,
)
from bankcrm.kit.errors import Conflict, NotFound
from bankcrm.kit.pagination import Page
from bankcrm.kit.progress import Progress
from bankcrm.security import audit, break_glass, scope
from bankcrm.security.principal import Principal

RECORD_TYPE = "duplicate_candidate"


def detect_all(
    session: Session, principal: Principal, progress: Progress | None = None
) -> detect.DetectReport:
    report = detect.detect_all(session, progress)
    audit.record(
        session,
        principal,
        "detect",
        RECORD_TYPE,
        fields=("records", "candidates"),
        reason=f"{report.records} records, {report.candidates} candidates",
    )
    return report


def list_candidates(
    session: Session, principal: Principal, query: CandidateQuery, offset: int, limit: int
) -> Page[CandidateOut]:
    """Pairs whose two records are both in the caller's scope, best score first; one audit
    event names them all."""
    scope.require_customer_detail(principal)
    granted = break_glass.granted(session, principal)
    rows, total = repository.list_candidates(
        session,
        scope.customer_filter(principal, granted),
        query.status,
        query.min_score,
        offset,
        limit,
    )
    items = []
    for c, left, other, prospect in rows:
        right = other if other is not None else prospect
        if right is not None:
            items.append(shape.candidate(c, left, right))
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


def get_pair(session: Session, principal: Principal, candidate_id: int) -> CandidatePair:
    """Both records side by side with the fields that matched; reads of both audited."""
    c, left, right, lv, rv = visible_candidate(session, principal, candidate_id)
    audit.record(session, principal, "read", RECORD_TYPE, c.id, fields=shape.PERSONAL_FIELDS)
    for record in (left, right):
        kind = "customer" if isinstance(record, Customer) else "prospect"
        audit.record(session, principal, "read", kind, record.id, fields=shape.PERSONAL_FIELDS)
    return CandidatePair(
        candidate=shape.candidate(c, left, right),
        left=shape.side(left, lv),
        right=shape.side(right, rv),
        merges=merges.of_candidate(session, c.id),
    )


def dismiss(
    session: Session, principal: Principal, candidate_id: int, body: Dismiss
) -> CandidateOut:
    scope.require_customer_writes(principal)
    c, left, right, _lv, _rv = visible_candidate(session, principal, candidate_id)
    if c.status != "open":
        raise Conflict(f"duplicate candidate {candidate_id} is {c.status}, not open", "status")
    values = {
        "status": "dismissed",
        "dismissed_reason": body.reason,
        "decided_by": principal.user_id,
    }
    if not repository.set_candidate(session, c.id, body.version, values):
        raise Conflict(
            f"duplicate candidate {candidate_id} was changed since version {body.version} "
            f"was read (now version {c.version}): reload it",
            "version",
        )
    audit.record(session, principal, "dismiss", RECORD_TYPE, c.id, reason=body.reason)
    session.expire(c)
    return shape.candidate(c, left, right)


def detect_record(session: Session, principal: Principal, body: DetectRequest) -> DetectResult:
    """Run detection for one record the caller may see (and change): its pairs over the
    threshold are stored like the batch job's; those in the caller's scope come back."""
    scope.require_customer_writes(principal)
    granted = break_glass.granted(session, principal)
    if body.record_type == "customer":
        record: shape.Record | None = repository.customer(session, body.record_id)
        row = repository.customer_row(session, body.record_id)
    else:
        record = repository.prospect(session, body.record_id)
        row = repository.prospect_row(session, body.record_id)
    if record is None or row is None or view_of(principal, record, granted) is None:
        raise NotFound(f"{body.record_type} {body.record_id} not found")
    report = detect.detect_one(session, "c" if body.record_type == "customer" else "p", row)
    ids = repository.candidate_ids_by_key(session, [f.pair_key for f in report.found])
    out: list[CandidateOut] = []
    for cid in ids:
        c = repository.candidate(session, cid)
        assert c is not None
        left, right = pair_records(session, c)
        if view_of(principal, left, granted) and view_of(principal, right, granted):
            out.append(shape.candidate(c, left, right))
    out.sort(key=lambda c: -c.score)
    audit.record(
        session,
        principal,
        "detect",
        body.record_type,
        body.record_id,
        fields=shape.LIST_FIELDS,
        record_ids=[c.id for c in out] or None,
    )
    return DetectResult(
        records_compared=report.records, pairs_compared=report.pairs_compared, candidates=out
    )
