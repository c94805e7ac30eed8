"""Record-level scope: which customers a caller may see, and how their data shows.

Services call these before they read or write a customer, so no route can forget them;
repositories receive a `ScopeFilter` and turn it into a WHERE clause.
"""

from __future__ import annotations

from dataclasses import dataclass

from bankcrm.kit.errors import Forbidden
from bankcrm.security.principal import Principal
from bankcrm.security.roles import CustomerScope, View


@dataclass(frozen=True)
class ScopeFilter:
    kind: CustomerScope
    branch_id: int | None = None
    staff_id: int | None = None
    extra_customer_ids: frozenset[int] = frozenset()  # break-glass grants


def customer_filter(principal: Principal, granted: set[int] | None = None) -> ScopeFilter:
    """The customers a principal may list. An account manager without a staff record, or a
    branch manager without a branch, has no portfolio: they see nobody."""
    scope = principal.policy.scope
    extra = frozenset(granted or ())
    if scope is CustomerScope.PORTFOLIO:
        if principal.staff_id is None:
            return ScopeFilter(CustomerScope.NONE, extra_customer_ids=extra)
        return ScopeFilter(scope, staff_id=principal.staff_id, extra_customer_ids=extra)
    if scope is CustomerScope.BRANCH:
        if principal.branch_id is None:
            return ScopeFilter(CustomerScope.NONE, extra_customer_ids=extra)
        return ScopeFilter(scope, branch_id=principal.branch_id, extra_customer_ids=extra)
    return ScopeFilter(scope, extra_customer_ids=extra)


def in_scope(principal: Principal, branch_id: int, manager_id: int | None) -> bool:
    scope = principal.policy.scope
    if scope is CustomerScope.ALL:
        return True
    if scope is CustomerScope.BRANCH:
        return principal.branch_id is not None and branch_id == principal.branch_id
    if scope is CustomerScope.PORTFOLIO:
        return principal.staff_id is not None and manager_id == principal.staff_id
    return False


def view_of(
    principal: Principal, branch_id: int, manager_id: int | None, granted: bool
) -> View | None:
    """How one customer shows to the principal; None: not at all (the caller gets 404).
    An active break-glass grant shows the customer in full, in scope or not."""
    if granted:
        return View.FULL
    if not in_scope(principal, branch_id, manager_id):
        return None
    return principal.policy.view


def require_customer_lists(principal: Principal) -> None:
    if principal.policy.scope is CustomerScope.NONE:
        raise Forbidden(f"the role '{principal.role_name}' has no access to customer records")


def require_customer_detail(principal: Principal) -> None:
    if not principal.policy.customer_detail:
        raise Forbidden(
            f"the role '{principal.role_name}' sees aggregates and lists, not one customer's record"
        )


def require_customer_writes(principal: Principal) -> None:
    if not principal.policy.writes_customers:
        raise Forbidden(f"the role '{principal.role_name}' may not change customer records")
