"""Who may see which prospect, and how: the customer rules (security/scope.py) with the
prospect's branch and owner in the places of a customer's branch and manager.

One addition: an account manager also sees the unowned prospects of their own branch
(walk-ins and web forms wait there until someone takes them). Executives and analysts see
aggregates only; auditors and administrators nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bankcrm.kit.errors import Forbidden
from bankcrm.prospects import repository
from bankcrm.security import scope
from bankcrm.security.principal import Principal
from bankcrm.security.roles import CustomerScope, Role, View

# Roles that see prospect lists (product managers: masked); the rest see aggregates or none.
LISTS = frozenset(
    {Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER, Role.SERVICE_AGENT, Role.PRODUCT_MANAGER}
)
AGGREGATES = frozenset({*LISTS, Role.EXECUTIVE, Role.ANALYST})


@dataclass(frozen=True)
class ProspectScope:
    """What a repository turns into a WHERE clause: everything, one branch, or an owner's
    prospects plus the unowned ones of their branch."""

    kind: CustomerScope
    branch_id: int | None = None
    staff_id: int | None = None


def home_branch(session: Session, principal: Principal) -> int | None:
    """The caller's branch: a branch manager's own, an account manager's staff record's."""
    if principal.role is Role.ACCOUNT_MANAGER and principal.staff_id is not None:
        return repository.staff_branch(session, principal.staff_id)
    return principal.branch_id


def require_lists(principal: Principal) -> None:
    if principal.role not in LISTS:
        raise Forbidden(f"the role '{principal.role_name}' sees no prospect records")


def require_detail(principal: Principal) -> None:
    require_lists(principal)
    scope.require_customer_detail(principal)


def require_writes(principal: Principal) -> None:
    require_detail(principal)
    scope.require_customer_writes(principal)


def require_aggregates(principal: Principal) -> None:
    if principal.role not in AGGREGATES:
        raise Forbidden(f"the role '{principal.role_name}' sees no prospect figures")


def list_scope(session: Session, principal: Principal) -> ProspectScope:
    kind = principal.policy.scope
    if kind is CustomerScope.PORTFOLIO:
        if principal.staff_id is None:
            return ProspectScope(CustomerScope.NONE)
        return ProspectScope(kind, home_branch(session, principal), principal.staff_id)
    if kind is CustomerScope.BRANCH:
        if principal.branch_id is None:
            return ProspectScope(CustomerScope.NONE)
        return ProspectScope(kind, branch_id=principal.branch_id)
    return ProspectScope(kind)


def view_of(
    session: Session, principal: Principal, branch_id: int, owner_id: int | None
) -> View | None:
    """How one prospect shows to the caller; None: not at all (the caller gets 404)."""
    view = scope.view_of(principal, branch_id, owner_id, granted=False)
    if view is not None or owner_id is not None:
        return view
    portfolio = principal.policy.scope is CustomerScope.PORTFOLIO
    if (
        portfolio
        and principal.staff_id is not None
        and home_branch(session, principal) == branch_id
    ):
        return principal.policy.view
    return None
