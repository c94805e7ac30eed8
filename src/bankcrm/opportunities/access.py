"""Who may work opportunities and which ones: account managers their own and their
customers', branch managers their branch's (the opportunity's or its customer's), anyone
with a break-glass grant on the customer. Mirrors repository.scope_clause for one record."""

from __future__ import annotations

from bankcrm.customers.models import Customer
from bankcrm.kit.errors import Forbidden
from bankcrm.opportunities.models import Opportunity
from bankcrm.prospects.models import Prospect
from bankcrm.security import scope
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role, View

SELLERS = frozenset({Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER})


def require_seller(principal: Principal) -> None:
    if principal.role not in SELLERS:
        raise Forbidden(f"the role '{principal.role_name}' does not work opportunities")


def view_of(
    principal: Principal, opportunity: Opportunity, customer: Customer | None, granted: set[int]
) -> View | None:
    """How one opportunity shows to the caller; None: not at all (404). Mirrors
    repository.scope_clause."""
    if customer is not None and customer.id in granted:
        return View.FULL
    if principal.role is Role.ACCOUNT_MANAGER and principal.staff_id is not None:
        mine = opportunity.owner_id == principal.staff_id
        if mine or (customer is not None and customer.manager_id == principal.staff_id):
            return principal.policy.view
    branch = principal.branch_id if principal.role is Role.BRANCH_MANAGER else None
    if branch is not None and (
        opportunity.branch_id == branch or (customer is not None and customer.branch_id == branch)
    ):
        return principal.policy.view
    return None


def hidden(principal: Principal, customer: Customer, granted: set[int]) -> bool:
    grant = customer.id in granted
    return scope.view_of(principal, customer.branch_id, customer.manager_id, grant) is None


def prospect_in_scope(principal: Principal, prospect: Prospect) -> bool:
    """An account manager's own prospects, a branch manager's branch's (as prospects/)."""
    if principal.role is Role.ACCOUNT_MANAGER:
        return principal.staff_id is not None and prospect.owner_id == principal.staff_id
    if principal.role is Role.BRANCH_MANAGER:
        return principal.branch_id is not None and prospect.branch_id == principal.branch_id
    return False
