"""The customer or prospect, owner and product of a new opportunity, checked against the
caller's scope, and what the new-opportunity page offers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.kit.errors import Forbidden, InvalidInput, NotFound
from bankcrm.opportunities import repository
from bankcrm.opportunities.access import SELLERS, hidden, prospect_in_scope, require_seller
from bankcrm.opportunities.schemas import OpportunityIn
from bankcrm.products.models import Product
from bankcrm.prospects.models import Prospect
from bankcrm.security import break_glass
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role
from bankcrm.staff import repository as staff_repository

CLOSED_PROSPECTS = ("converted", "disqualified")


def party(
    session: Session, principal: Principal, new: OpportunityIn
) -> tuple[Customer | None, Prospect | None, int, int | None]:
    """The customer or prospect in the caller's scope, its branch and its default owner."""
    if new.customer_id is not None:
        customer = repository.customer(session, new.customer_id)
        granted = break_glass.granted(session, principal) if customer is not None else set()
        if customer is None or hidden(principal, customer, granted):
            raise NotFound(f"customer {new.customer_id} not found")
        return customer, None, customer.branch_id, customer.manager_id
    assert new.prospect_id is not None
    prospect = repository.prospect(session, new.prospect_id)
    if prospect is None or not prospect_in_scope(principal, prospect):
        raise NotFound(f"prospect {new.prospect_id} not found")
    if prospect.status in CLOSED_PROSPECTS:
        raise InvalidInput(
            f"prospect {prospect.prospect_no} is {prospect.status}: open the opportunity "
            "for the customer instead",
            "prospect_id",
        )
    return None, prospect, prospect.branch_id, prospect.owner_id


def owner(
    session: Session, principal: Principal, given: int | None, default: int | None, branch: int
) -> int:
    """An account manager owns what they open; a branch manager names an active staff
    member of the branch (the customer's manager by default)."""
    if principal.role is Role.ACCOUNT_MANAGER:
        if principal.staff_id is None:
            raise Forbidden("an account manager without a staff record owns no opportunities")
        if given is not None and given != principal.staff_id:
            raise InvalidInput("an account manager owns the opportunities they open", "owner_id")
        return principal.staff_id
    owner_id = given if given is not None else default
    member = repository.staff(session, owner_id) if owner_id is not None else None
    if member is None or not member.active or member.branch_id != branch:
        raise InvalidInput("owner_id must be an active staff member of the branch", "owner_id")
    return member.id


def product(session: Session, product_id: int) -> Product:
    product = repository.product(session, product_id)
    if product is None or not product.active:
        raise InvalidInput(f"product {product_id} is not in the active catalogue", "product_id")
    return product


def party_ids(
    session: Session, principal: Principal, customer_no: str, prospect_no: str
) -> tuple[int | None, int | None]:
    """The ids behind a customer or prospect number typed on the page; InvalidInput names
    the field when the number is unknown or out of the caller's scope (one message for
    both, so a number outside the scope reveals nothing)."""
    require_seller(principal)
    if customer_no:
        customer = repository.customer_by_no(session, customer_no)
        granted = break_glass.granted(session, principal) if customer is not None else set()
        if customer is None or hidden(principal, customer, granted):
            raise InvalidInput(f"no customer {customer_no} in your scope", "customer_no")
        return customer.id, None
    if prospect_no:
        prospect = repository.prospect_by_no(session, prospect_no)
        if prospect is None or not prospect_in_scope(principal, prospect):
            raise InvalidInput(f"no prospect {prospect_no} in your scope", "prospect_no")
        return None, prospect.id
    return None, None


def customer_number(session: Session, principal: Principal, customer_id: int) -> str | None:
    """The number of a customer in the caller's scope (the new-opportunity form's
    default when opened from the customer page), else None."""
    customer = repository.customer(session, customer_id)
    if customer is None or principal.role not in SELLERS:
        return None
    granted = break_glass.granted(session, principal)
    return None if hidden(principal, customer, granted) else customer.customer_no


def form_choices(session: Session, principal: Principal) -> tuple[list[Product], dict[int, str]]:
    """The active products, and the owners a branch manager may name (none for others)."""
    require_seller(principal)
    owners: dict[int, str] = {}
    if principal.role is Role.BRANCH_MANAGER and principal.branch_id is not None:
        owners = {
            s.id: f"{s.first_name} {s.last_name}"
            for s in staff_repository.account_managers(session, principal.branch_id)
        }
    return repository.products(session), owners
