"""Roles and what each may see: the one table every scope and masking decision reads.

DESIGN.md, "Roles and what they may see". A role's customer scope says which customers it
may read at all (others are 404, as if they did not exist); its view says how personal
data shows: in full, masked (last digits only) or pseudonymised (no identity at all).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ACCOUNT_MANAGER = "account_manager"
    BRANCH_MANAGER = "branch_manager"
    SERVICE_AGENT = "service_agent"
    PRODUCT_MANAGER = "product_manager"
    EXECUTIVE = "executive"
    ANALYST = "analyst"
    AUDITOR = "auditor"
    ADMIN = "admin"


class CustomerScope(StrEnum):
    PORTFOLIO = "portfolio"  # customers the user's staff record manages
    BRANCH = "branch"  # customers of the user's branch
    ALL = "all"
    NONE = "none"  # no person-level customer data at all


class View(StrEnum):
    FULL = "full"
    MASKED = "masked"
    PSEUDONYMISED = "pseudonymised"


@dataclass(frozen=True)
class RolePolicy:
    scope: CustomerScope
    view: View
    customer_detail: bool  # may open one customer's 360 (not only lists and aggregates)
    break_glass: bool  # may unmask one customer outside scope, for a reason, for a while
    writes_customers: bool  # may log contacts, edit contact details, open cases


POLICIES: dict[Role, RolePolicy] = {
    Role.ACCOUNT_MANAGER: RolePolicy(CustomerScope.PORTFOLIO, View.FULL, True, True, True),
    Role.BRANCH_MANAGER: RolePolicy(CustomerScope.BRANCH, View.FULL, True, True, True),
    Role.SERVICE_AGENT: RolePolicy(CustomerScope.ALL, View.MASKED, True, True, True),
    Role.PRODUCT_MANAGER: RolePolicy(CustomerScope.ALL, View.MASKED, False, False, False),
    Role.EXECUTIVE: RolePolicy(CustomerScope.ALL, View.PSEUDONYMISED, False, False, False),
    Role.ANALYST: RolePolicy(CustomerScope.ALL, View.PSEUDONYMISED, False, False, False),
    Role.AUDITOR: RolePolicy(CustomerScope.NONE, View.PSEUDONYMISED, False, False, False),
    Role.ADMIN: RolePolicy(CustomerScope.NONE, View.PSEUDONYMISED, False, False, False),
}

# Narrow scopes for channel systems (online and mobile banking, call centre).
SERVICE_SCOPES = frozenset({"events:write"})
