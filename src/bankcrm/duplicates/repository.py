"""All queries of duplicate detection and merges."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from bankcrm.customers.models import Customer
from bankcrm.customers.repository import scope_clause
from bankcrm.duplicates.models import LIVE_MERGE_STATUSES, DuplicateCandidate, RecordMerge
from bankcrm.prospects.models import OPEN_STATUSES, Prospect, ProspectActivity
from bankcrm.security.models import User
from bankcrm.security.roles import CustomerScope
from bankcrm.security.scope import ScopeFilter

BATCH = 50_000


def _customer_columns() -> tuple[Any, ...]:
    c = Customer
    return (
        c.id, c.kind, c.national_id, c.first_name, c.last_name, c.company_name, c.birth_date,
        c.email, c.phone, c.address, c.postal_code,
    )  # fmt: skip


def _prospect_columns() -> tuple[Any, ...]:
    p = Prospect
    return (
        p.id, p.kind, p.national_id, p.first_name, p.last_name, p.company_name, p.birth_date,
        p.email, p.phone, p.address, p.postal_code,
    )  # fmt: skip


def _open_prospect() -> ColumnElement[bool]:
    return and_(Prospect.status.in_(OPEN_STATUSES), Prospect.converted_customer_id.is_(None))


def count_records(session: Session) -> int:
    customers = session.scalar(select(func.count()).select_from(Customer)) or 0
    prospects = session.scalar(select(func.count()).select_from(Prospect).where(_open_prospect()))
    return customers + (prospects or 0)


def customer_batches(session: Session) -> Iterator[Sequence[Row[Any]]]:
    """Every customer's compared columns, in batches (one streamed query)."""
    result = session.execute(
        select(*_customer_columns()).order_by(Customer.id).execution_options(yield_per=BATCH)
    )
    yield from result.partitions()


def prospect_batches(session: Session) -> Iterator[Sequence[Row[Any]]]:
    """Open prospects (not converted, not disqualified)."""
    result = session.execute(
        select(*_prospect_columns())
        .where(_open_prospect())
        .order_by(Prospect.id)
        .execution_options(yield_per=BATCH)
    )
    yield from result.partitions()


def customer_row(session: Session, customer_id: int) -> Row[Any] | None:
    return session.execute(
        select(*_customer_columns()).where(Customer.id == customer_id)
    ).one_or_none()


def prospect_row(session: Session, prospect_id: int) -> Row[Any] | None:
    return session.execute(
        select(*_prospect_columns()).where(Prospect.id == prospect_id)
    ).one_or_none()


def neighbours(
    session: Session, ids: Sequence[str], surnames: Sequence[str], contacts: Sequence[str]
) -> tuple[list[Row[Any]], list[Row[Any]]]:
    """Customers sharing an id (as written) or a surname (both indexed), and open
    prospects sharing an id, a surname, an e-mail or a phone: the records detection for
    one record compares it with."""
    c_where = [Customer.national_id.in_(ids)] if ids else []
    if surnames:
        c_where.append(Customer.last_name.in_(surnames))
    customers = (
        list(session.execute(select(*_customer_columns()).where(or_(*c_where))).all())
        if c_where
        else []
    )
    p_where = [Prospect.national_id.in_(ids)] if ids else []
    if surnames:
        p_where.append(Prospect.last_name.in_(surnames))
    if contacts:
        p_where += [Prospect.email.in_(contacts), Prospect.phone.in_(contacts)]
    prospects = (
        list(
            session.execute(
                select(*_prospect_columns()).where(_open_prospect(), or_(*p_where))
            ).all()
        )
        if p_where
        else []
    )
    return customers, prospects


def existing_candidates(session: Session, keys: Sequence[str] | None = None) -> dict[str, Any]:
    """pair_key -> (id, status, score, matched) of stored candidates (all, or `keys`)."""
    query = select(
        DuplicateCandidate.pair_key,
        DuplicateCandidate.id,
        DuplicateCandidate.status,
        DuplicateCandidate.score,
        DuplicateCandidate.matched,
    )
    if keys is not None:
        query = query.where(DuplicateCandidate.pair_key.in_(list(keys)))
    return {row[0]: row[1:] for row in session.execute(query)}


def insert_candidates(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(DuplicateCandidate), rows)


def rescore_candidates(session: Session, rows: list[dict[str, Any]]) -> None:
    """New score and matched fields of open candidates, by id."""
    if rows:
        session.execute(update(DuplicateCandidate), rows)


def not_same_decisions(session: Session, prospect_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(customer_id, prospect_id) pairs a person decided are not the same, on the prospect's
    import review (`prospects.workflow.decide_review`)."""
    out: set[tuple[int, int]] = set()
    for start in range(0, len(prospect_ids), 10_000):  # bound the IN list
        rows = session.execute(
            select(Prospect.not_same_customer_id, Prospect.id).where(
                Prospect.id.in_(list(prospect_ids[start : start + 10_000])),
                Prospect.not_same_customer_id.is_not(None),
            )
        )
        out |= {(c, p) for c, p in rows if c is not None}
    return out


def dismiss_candidates(session: Session, ids: Sequence[int], reason: str, now: Any) -> None:
    """Open candidates set aside without a user's dismissal: `reason` says why."""
    if ids:
        session.execute(
            update(DuplicateCandidate)
            .where(DuplicateCandidate.id.in_(list(ids)), DuplicateCandidate.status == "open")
            .values(
                status="dismissed",
                dismissed_reason=reason,
                version=DuplicateCandidate.version + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )


def candidate_ids_by_key(session: Session, keys: Sequence[str]) -> list[int]:
    if not keys:
        return []
    return list(
        session.scalars(
            select(DuplicateCandidate.id).where(DuplicateCandidate.pair_key.in_(list(keys)))
        )
    )


Other = aliased(Customer)


def _scope_on(model: Any, scope: ScopeFilter) -> ColumnElement[bool]:
    """`scope_clause` for an aliased customer."""
    if scope.kind is CustomerScope.ALL:
        base: ColumnElement[bool] = model.id.is_not(None)
    elif scope.kind is CustomerScope.BRANCH:
        base = model.branch_id == scope.branch_id
    elif scope.kind is CustomerScope.PORTFOLIO:
        base = model.manager_id == scope.staff_id
    else:
        base = model.id.is_(None)
    if scope.extra_customer_ids:
        return or_(base, model.id.in_(sorted(scope.extra_customer_ids)))
    return base


def prospect_scope(scope: ScopeFilter) -> ColumnElement[bool]:
    """Prospects: branch_id plays the customer's branch, owner_id its manager; break-glass
    grants are for customers only."""
    if scope.kind is CustomerScope.ALL:
        return Prospect.id.is_not(None)
    if scope.kind is CustomerScope.BRANCH:
        return Prospect.branch_id == scope.branch_id
    if scope.kind is CustomerScope.PORTFOLIO:
        return Prospect.owner_id == scope.staff_id
    return Prospect.id.is_(None)


def list_candidates(
    session: Session,
    scope: ScopeFilter,
    status: str | None,
    min_score: float | None,
    offset: int,
    limit: int,
) -> tuple[list[tuple[DuplicateCandidate, Customer, Customer | None, Prospect | None]], int]:
    """Candidates whose records are both in scope, best score first."""
    cand = DuplicateCandidate
    where: list[ColumnElement[bool]] = [
        scope_clause(scope),
        or_(
            and_(cand.other_customer_id.is_not(None), _scope_on(Other, scope)),
            and_(cand.prospect_id.is_not(None), prospect_scope(scope)),
        ),
    ]
    if status is not None:
        where.append(cand.status == status)
    if min_score is not None:
        where.append(cand.score >= min_score)
    base = (
        select(cand, Customer, Other, Prospect)
        .join(Customer, Customer.id == cand.customer_id)
        .outerjoin(Other, Other.id == cand.other_customer_id)
        .outerjoin(Prospect, Prospect.id == cand.prospect_id)
        .where(*where)
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(
        base.order_by(cand.score.desc(), cand.id).offset(offset).limit(limit)
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows], total


def candidate(session: Session, candidate_id: int) -> DuplicateCandidate | None:
    return session.get(DuplicateCandidate, candidate_id)


def customer(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def prospect(session: Session, prospect_id: int) -> Prospect | None:
    return session.get(Prospect, prospect_id)


def set_candidate(
    session: Session, candidate_id: int, version: int, values: dict[str, Any]
) -> bool:
    """Change a candidate only if still at `version` (one statement)."""
    result = session.execute(
        update(DuplicateCandidate)
        .where(DuplicateCandidate.id == candidate_id, DuplicateCandidate.version == version)
        .values(**values, version=DuplicateCandidate.version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def set_merge(session: Session, merge_id: int, version: int, values: dict[str, Any]) -> bool:
    result = session.execute(
        update(RecordMerge)
        .where(RecordMerge.id == merge_id, RecordMerge.version == version)
        .values(**values, version=RecordMerge.version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def live_merges_of(
    session: Session, customer_ids: Sequence[int], prospect_id: int | None
) -> list[RecordMerge]:
    """Proposed or approved merges that involve any of these records, on either side."""
    cond: list[ColumnElement[bool]] = []
    if customer_ids:
        ids = list(customer_ids)
        cond += [RecordMerge.survivor_id.in_(ids), RecordMerge.merged_customer_id.in_(ids)]
    if prospect_id is not None:
        cond.append(RecordMerge.merged_prospect_id == prospect_id)
    return list(
        session.scalars(
            select(RecordMerge).where(RecordMerge.status.in_(LIVE_MERGE_STATUSES), or_(*cond))
        )
    )


def add_merge(session: Session, merge: RecordMerge) -> RecordMerge:
    session.add(merge)
    session.flush()
    return merge


def merge(session: Session, merge_id: int) -> RecordMerge | None:
    return session.get(RecordMerge, merge_id)


def list_merges(
    session: Session,
    scope: ScopeFilter,
    status: str | None,
    offset: int,
    limit: int,
) -> tuple[list[tuple[RecordMerge, Customer, Customer | None, Prospect | None]], int]:
    """Merges whose survivor and merged record are in scope, newest first."""
    where: list[ColumnElement[bool]] = [
        scope_clause(scope),
        or_(
            and_(RecordMerge.merged_customer_id.is_not(None), _scope_on(Other, scope)),
            and_(RecordMerge.merged_prospect_id.is_not(None), prospect_scope(scope)),
        ),
    ]
    if status is not None:
        where.append(RecordMerge.status == status)
    base = (
        select(RecordMerge, Customer, Other, Prospect)
        .join(Customer, Customer.id == RecordMerge.survivor_id)
        .outerjoin(Other, Other.id == RecordMerge.merged_customer_id)
        .outerjoin(Prospect, Prospect.id == RecordMerge.merged_prospect_id)
        .where(*where)
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(
        base.order_by(RecordMerge.proposed_at.desc(), RecordMerge.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows], total


def approved_links(session: Session, customer_id: int) -> list[RecordMerge]:
    """The approved merges this customer is part of (as survivor or as merged record): one
    query on two indexed columns, what the 360 adds."""
    return list(
        session.scalars(
            select(RecordMerge)
            .where(
                RecordMerge.status == "approved",
                or_(
                    RecordMerge.survivor_id == customer_id,
                    RecordMerge.merged_customer_id == customer_id,
                ),
            )
            .order_by(RecordMerge.decided_at)
        )
    )


def usernames(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(sorted(user_ids))))
    return {uid: name for uid, name in rows}


def merges_of_candidate(session: Session, candidate_id: int) -> list[RecordMerge]:
    return list(
        session.scalars(
            select(RecordMerge)
            .where(RecordMerge.candidate_id == candidate_id)
            .order_by(RecordMerge.proposed_at.desc(), RecordMerge.id.desc())
        )
    )


def prospect_activities(session: Session, prospect_id: int, limit: int) -> list[ProspectActivity]:
    return list(
        session.scalars(
            select(ProspectActivity)
            .where(ProspectActivity.prospect_id == prospect_id)
            .order_by(ProspectActivity.occurred_at.desc(), ProspectActivity.id.desc())
            .limit(limit)
        )
    )
