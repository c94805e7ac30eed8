"""Who sees which records of a pair or merge: both in scope, or the 404 of a record that
does not exist. Prospects: branch_id plays the branch and owner_id the manager."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.duplicates import repository, shape
from bankcrm.duplicates.models import DuplicateCandidate
from bankcrm.kit.errors import NotFound
from bankcrm.prospects.models import Prospect
from bankcrm.security import break_glass, scope
from bankcrm.security.principal import Principal
from bankcrm.security.roles import View


def view_of(principal: Principal, record: shape.Record, granted: set[int]) -> View | None:
    """How a customer or prospect shows to the caller (None: not at all). Prospects:
    branch_id plays the branch and owner_id the manager; break-glass is for customers."""
    if isinstance(record, Customer):
        return scope.view_of(principal, record.branch_id, record.manager_id, record.id in granted)
    return scope.view_of(principal, record.branch_id, record.owner_id, False)


def pair_records(session: Session, c: DuplicateCandidate) -> tuple[Customer, Customer | Prospect]:
    left = repository.customer(session, c.customer_id)
    right: Customer | Prospect | None = (
        repository.customer(session, c.other_customer_id)
        if c.other_customer_id is not None
        else repository.prospect(session, c.prospect_id or 0)
    )
    assert left is not None and right is not None  # foreign keys
    return left, right


def visible_candidate(
    session: Session, principal: Principal, candidate_id: int
) -> tuple[DuplicateCandidate, Customer, Customer | Prospect, View, View]:
    """The candidate and how each side shows; NotFound unless both are in scope."""
    scope.require_customer_detail(principal)
    c = repository.candidate(session, candidate_id)
    if c is None:
        raise NotFound(f"duplicate candidate {candidate_id} not found")
    left, right = pair_records(session, c)
    granted = break_glass.granted(session, principal)
    lv, rv = view_of(principal, left, granted), view_of(principal, right, granted)
    if lv is None or rv is None:
        raise NotFound(f"duplicate candidate {candidate_id} not found")
    return c, left, right, lv, rv
