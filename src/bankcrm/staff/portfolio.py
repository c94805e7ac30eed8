"""Moving customers between managers, maker-checker: a manager or branch manager proposes,
the branch manager of the branch approves or rejects, never the proposer. Approval moves
the customers and puts each under a 90-day churn watch by the new manager. Audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from bankcrm.analytics.models import CustomerScore
from bankcrm.customers.models import Customer
from bankcrm.kit.db import utcnow
from bankcrm.kit.errors import Conflict, Forbidden, NotFound
from bankcrm.kit.pagination import Page
from bankcrm.security import audit, scope
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role
from bankcrm.staff import repository
from bankcrm.staff.models import ChurnWatch, PortfolioTransfer, PortfolioTransferItem, Staff
from bankcrm.staff.schemas import (
    TransferCustomer,
    TransferFilter,
    TransferIn,
    TransferOut,
    WatchOut,
)

WATCH_DAYS = 90
NAME_FIELDS = ("customer_no", "name")


def _name(customer: Customer) -> str | None:
    if customer.company_name:
        return customer.company_name
    return " ".join(p for p in (customer.first_name, customer.last_name) if p) or None


def _filter_clauses(chosen: TransferFilter) -> list[ColumnElement[bool]]:
    pairs = (
        (Customer.kind, chosen.kind),
        (Customer.status, chosen.status),
        (Customer.region, chosen.region),
        (CustomerScore.tier, chosen.tier),
        (CustomerScore.band, chosen.band),
    )
    return [column == value for column, value in pairs if value is not None]


def _manager(session: Session, staff_id: int) -> Staff:
    found = repository.staff_member(session, staff_id)
    if found is None:
        raise NotFound(f"staff member {staff_id} not found")
    return found


def _may_propose(principal: Principal, giver: Staff) -> None:
    if principal.role is Role.ACCOUNT_MANAGER and principal.staff_id == giver.id:
        return
    if principal.role is Role.BRANCH_MANAGER and principal.branch_id == giver.branch_id:
        return
    if principal.role in (Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER):
        raise Forbidden(
            "you may propose moving your own portfolio (account manager) or portfolios of "
            "your branch (branch manager) only"
        )
    raise Forbidden(f"the role '{principal.role_name}' may not propose portfolio transfers")


def _out(
    session: Session, principal: Principal, record: PortfolioTransfer, watches: int = 0
) -> TransferOut:
    """The transfer with its customers (names: audited as a list read)."""
    items = repository.transfer_items(session, record.id)
    users = _usernames(session, {record.proposed_by, record.decided_by})
    if items:
        audit.record(
            session,
            principal,
            "list",
            "customer",
            fields=NAME_FIELDS,
            record_ids=[c.id for _, c in items],
        )
    return TransferOut(
        id=record.id,
        branch_id=record.branch_id,
        from_manager_id=record.from_manager_id,
        to_manager_id=record.to_manager_id,
        status=record.status,
        handover_note=record.handover_note,
        proposed_by=users.get(record.proposed_by, ""),
        proposed_at=record.proposed_at,
        decided_by=users.get(record.decided_by) if record.decided_by else None,
        decided_at=record.decided_at,
        decision_note=record.decision_note,
        customers=[
            TransferCustomer(
                customer_id=c.id, reference=c.customer_no, name=_name(c), note=item.note
            )
            for item, c in items
        ],
        watches_created=watches,
    )


def _usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    return repository.usernames(session, {i for i in ids if i is not None})


def propose(session: Session, principal: Principal, data: TransferIn) -> TransferOut:
    """Rules the schema cannot state (the new manager differs, is active and works at the
    same branch; the customers are the from-manager's) answer 409 with the field."""
    giver = _manager(session, data.from_manager_id)
    _may_propose(principal, giver)
    taker = _manager(session, data.to_manager_id)
    if taker.id == giver.id:
        raise Conflict("to_manager_id: the same manager as from_manager_id", "to_manager_id")
    if not taker.active:
        raise Conflict(f"to_manager_id: staff member {taker.id} is inactive", "to_manager_id")
    if taker.branch_id != giver.branch_id:
        raise Conflict(
            "to_manager_id: customers move within a branch; the new manager works at another",
            "to_manager_id",
        )
    where = _filter_clauses(data.filter or TransferFilter())
    if data.customer_ids is not None:
        chosen = sorted(set(data.customer_ids))
        theirs = set(repository.portfolio_ids(session, giver.id, [Customer.id.in_(chosen)]))
        stray = [i for i in chosen if i not in theirs]
        if stray:
            raise Conflict(
                f"customer_ids: not managed by staff member {giver.id}: {stray[:20]}",
                "customer_ids",
            )
        where.append(Customer.id.in_(chosen))
    ids = repository.portfolio_ids(session, giver.id, where)
    if not ids:
        raise Conflict("filter: no customer of the manager matches", "filter")
    notes = {n.customer_id: n.note for n in data.customer_notes}
    noted = set(notes) - set(ids)
    if noted:
        raise Conflict(
            f"customer_notes: customers not in this transfer: {sorted(noted)[:20]}",
            "customer_notes",
        )
    busy = repository.pending_transfer_customers(session, ids)
    if busy:
        raise Conflict(f"customers already in a pending transfer: {busy[:20]}", "customer_ids")
    assert principal.user_id is not None  # both proposing roles are users
    record = PortfolioTransfer(
        branch_id=giver.branch_id,
        from_manager_id=giver.id,
        to_manager_id=taker.id,
        status="pending",
        handover_note=data.handover_note.strip(),
        proposed_by=principal.user_id,
        proposed_at=utcnow(),
    )
    repository.add(session, record)
    session.add_all(
        PortfolioTransferItem(transfer_id=record.id, customer_id=i, note=notes.get(i)) for i in ids
    )
    session.flush()
    audit.record(session, principal, "create", "portfolio_transfer", record.id, record_ids=ids)
    return _out(session, principal, record)


def _visible(session: Session, principal: Principal, transfer_id: int) -> PortfolioTransfer:
    record = repository.transfer(session, transfer_id)
    if principal.role not in (Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER):
        raise Forbidden(f"the role '{principal.role_name}' has no access to portfolio transfers")
    if record is None:
        raise NotFound(f"portfolio transfer {transfer_id} not found")
    if principal.role is Role.BRANCH_MANAGER:
        visible = record.branch_id == principal.branch_id
    else:
        visible = principal.staff_id in (record.from_manager_id, record.to_manager_id) or (
            principal.user_id == record.proposed_by
        )
    if not visible:
        raise NotFound(f"portfolio transfer {transfer_id} not found")
    return record


def get(session: Session, principal: Principal, transfer_id: int) -> TransferOut:
    return _out(session, principal, _visible(session, principal, transfer_id))


def list_transfers(
    session: Session,
    principal: Principal,
    status: str | None,
    offset: int,
    limit: int,
    pending_first: bool = False,
) -> Page[TransferOut]:
    """Newest first; with `pending_first` (the page), the pending ones before the rest."""
    if principal.role is Role.BRANCH_MANAGER and principal.branch_id is not None:
        rows, total = repository.transfers(
            session, principal.branch_id, None, status, offset, limit, pending_first
        )
    elif principal.role is Role.ACCOUNT_MANAGER and principal.staff_id is not None:
        rows, total = repository.transfers(
            session, None, principal.staff_id, status, offset, limit, pending_first
        )
    else:
        raise Forbidden(f"the role '{principal.role_name}' has no access to portfolio transfers")
    items = [_out(session, principal, r) for r in rows]
    return Page(items=items, total=total, offset=offset, limit=limit)


def _decidable(session: Session, principal: Principal, transfer_id: int) -> PortfolioTransfer:
    """The transfer, if the caller may decide on it now; else the refusal (maker-checker)."""
    if principal.role is not Role.BRANCH_MANAGER:
        raise Forbidden("only a branch manager approves or rejects portfolio transfers")
    record = repository.transfer(session, transfer_id)
    if record is None:
        raise NotFound(f"portfolio transfer {transfer_id} not found")
    if record.branch_id != principal.branch_id:
        raise Forbidden("only the branch manager of the transfer's branch decides on it")
    if record.proposed_by == principal.user_id:
        raise Forbidden("the proposer of a transfer may not approve or reject it (maker-checker)")
    if record.status != "pending":
        raise Conflict(f"portfolio transfer {transfer_id} is already {record.status}", "status")
    return record


def may_decide(session: Session, principal: Principal, transfer_id: int) -> bool:
    """Whether `decide` would accept the caller's decision now (pages offer the buttons
    only then); the same checks as `decide`, so the rule lives in one place."""
    try:
        _decidable(session, principal, transfer_id)
    except (Forbidden, NotFound, Conflict):
        return False
    return True


def decide(
    session: Session, principal: Principal, transfer_id: int, approve: bool, note: str | None
) -> TransferOut:
    """The checker's decision. Only the branch manager of the transfer's branch decides, and
    never on their own proposal; a decided transfer stays decided. Approval refuses (409)
    when a customer has left the from-manager since the proposal: reject and propose again."""
    record = _decidable(session, principal, transfer_id)
    now = utcnow()
    record.decided_by, record.decided_at = principal.user_id, now
    record.decision_note = note.strip() if note else None
    watches = 0
    if approve:
        ids = [c.id for _, c in repository.transfer_items(session, record.id)]
        moved_away = [
            c.id
            for c in repository.customers(session, ids)
            if c.manager_id != record.from_manager_id
        ]
        if moved_away:
            raise Conflict(
                f"customers no longer managed by staff member {record.from_manager_id}: "
                f"{moved_away[:20]}; reject this transfer and propose again",
                "customers",
            )
        repository.move_customers(session, ids, record.from_manager_id, record.to_manager_id)
        today = now.date()
        session.add_all(
            ChurnWatch(
                transfer_id=record.id,
                customer_id=i,
                manager_id=record.to_manager_id,
                starts_on=today,
                until=today + timedelta(days=WATCH_DAYS),
            )
            for i in ids
        )
        watches = len(ids)
        record.status = "approved"
        session.flush()
        audit.record(
            session, principal, "update", "customer", fields=("manager_id",), record_ids=ids
        )
        audit.record(session, principal, "approve", "portfolio_transfer", record.id)
    else:
        record.status = "rejected"
        session.flush()
        audit.record(session, principal, "reject", "portfolio_transfer", record.id)
    session.expire_all()
    return _out(session, principal, record, watches)


def watch_list(session: Session, principal: Principal) -> list[WatchOut]:
    """Customers under churn watch today: an account manager's own (they are the new
    manager), or every one of a branch manager's branch."""
    today = utcnow().date()
    if principal.role is Role.ACCOUNT_MANAGER:
        if principal.staff_id is None:
            return []
        rows = repository.watches(session, principal.staff_id, None, today)
    elif principal.role is Role.BRANCH_MANAGER:
        if principal.branch_id is None:
            return []
        rows = repository.watches(session, None, principal.branch_id, today)
    else:
        raise Forbidden(f"the role '{principal.role_name}' has no churn watch list")
    out = []
    for watch, customer, transfer, note, churn in rows:
        view = scope.view_of(principal, customer.branch_id, customer.manager_id, False)
        if view is None:  # moved again since: the watch belongs to another manager now
            continue
        out.append(
            WatchOut(
                customer_id=customer.id,
                reference=customer.customer_no,
                name=_name(customer),
                manager_id=watch.manager_id,
                transfer_id=transfer.id,
                starts_on=watch.starts_on,
                until=watch.until,
                handover_note=transfer.handover_note,
                customer_note=note,
                churn_probability=churn,
                view=view,
            )
        )
    if out:
        audit.record(
            session,
            principal,
            "list",
            "customer",
            fields=(*NAME_FIELDS, "handover_note"),
            record_ids=[w.customer_id for w in out],
        )
    return out
