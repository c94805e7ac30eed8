"""Break-glass: a user unmasks one customer for a stated reason, for a limited time. Every
grant is audited and reported to the branch manager of the customer's branch, who reviews
it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bankcrm.config import Settings
from bankcrm.customers import repository as customer_repository
from bankcrm.kit.db import utcnow
from bankcrm.kit.errors import Forbidden, InvalidInput, NotFound
from bankcrm.security import audit, repository
from bankcrm.security.models import BreakGlassGrant
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role

MIN_REASON = 10  # characters: a reason, not "x"
MAX_MINUTES = 60  # a break-glass grant lasts an hour at most


def grant(
    session: Session,
    settings: Settings,
    principal: Principal,
    customer_id: int,
    reason: str,
    minutes: int,
) -> BreakGlassGrant:
    if not principal.policy.break_glass or principal.user_id is None:
        raise Forbidden(f"the role '{principal.role_name}' may not use break-glass access")
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise InvalidInput(f"reason: say why, in at least {MIN_REASON} characters", "reason")
    if not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInput(f"minutes: between 1 and {MAX_MINUTES}", "minutes")
    placed = customer_repository.placement(session, customer_id)
    if placed is None:
        raise NotFound(f"customer {customer_id} not found")
    now = utcnow()
    record = BreakGlassGrant(
        user_id=principal.user_id,
        customer_id=customer_id,
        branch_id=placed[0],
        reason=reason,
        granted_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    repository.add(session, record)
    audit.record(
        session, principal, "break_glass", "customer", customer_id, fields=("all",), reason=reason
    )
    return record


def reported(
    session: Session, principal: Principal, offset: int, limit: int
) -> tuple[list[tuple[BreakGlassGrant, str]], int]:
    """The grants a branch manager must review (their branch), or all for an auditor."""
    if principal.role is Role.AUDITOR:
        return repository.grants(session, None, offset, limit)
    if principal.role is Role.BRANCH_MANAGER and principal.branch_id is not None:
        return repository.grants(session, principal.branch_id, offset, limit)
    raise Forbidden("break-glass reports go to branch managers and auditors")


def review(session: Session, principal: Principal, grant_id: int) -> BreakGlassGrant:
    """A branch manager confirms they have seen a grant of their branch."""
    record = repository.grant_by_id(session, grant_id)
    if principal.role is not Role.BRANCH_MANAGER:
        raise Forbidden("only a branch manager reviews break-glass grants")
    if record is None or record.branch_id != principal.branch_id:
        raise NotFound(f"break-glass grant {grant_id} not found")
    if record.user_id == principal.user_id:
        raise Forbidden("a branch manager does not review their own break-glass access")
    record.reviewed_by = principal.user_id
    record.reviewed_at = utcnow()
    session.flush()
    audit.record(session, principal, "review", "break_glass", grant_id)
    return record


def granted(session: Session, principal: Principal) -> set[int]:
    """The customers the caller holds an unexpired break-glass grant for."""
    if principal.user_id is None:
        return set()
    return repository.granted_customers(session, principal.user_id, utcnow())


def is_granted(session: Session, principal: Principal, customer_id: int) -> bool:
    """Whether the caller holds an unexpired break-glass grant for this customer."""
    if principal.user_id is None:
        return False
    return repository.active_grant(session, principal.user_id, customer_id, utcnow()) is not None
