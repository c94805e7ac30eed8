"""Factories for database records: a valid row by default, any field overridable.

For tests that need rows in the CRM database without going through an import."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from bankcrm.analytics.models import CustomerScore, ScoreRun
from bankcrm.customers.models import Customer, CustomerRelationship
from bankcrm.ingest.models import ImportBatch
from bankcrm.interactions.models import Interaction
from bankcrm.products.models import Holding, Product
from bankcrm.prospects.models import Prospect, ProspectActivity
from bankcrm.security.models import User
from bankcrm.security.secrets import hash_password
from bankcrm.service_desk.models import Case
from bankcrm.staff.models import Branch, Staff

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)
T = TypeVar("T")


def _add(session: Session, record: T) -> T:
    session.add(record)
    session.flush()
    return record


@cache
def password_hash() -> str:
    """One argon2 hash for every test user: hashing is slow on purpose."""
    return hash_password(PASSWORD)


def branch(session: Session, **overrides: Any) -> Branch:
    n = next(_numbers)
    values: dict[str, Any] = {"branch_code": f"B{n:05d}", "name": f"Branch {n}", "region": "Prague"}
    return _add(session, Branch(**{**values, **overrides}))


def staff(session: Session, branch: Branch, **overrides: Any) -> Staff:
    n = next(_numbers)
    values: dict[str, Any] = {
        "staff_code": f"S{n:05d}",
        "branch_id": branch.id,
        "first_name": "Jana",
        "last_name": f"Novakova{n}",
        "role": "account_manager",
    }
    return _add(session, Staff(**{**values, **overrides}))


def customer(
    session: Session, branch: Branch, manager: Staff | None = None, **overrides: Any
) -> Customer:
    n = next(_numbers)
    values: dict[str, Any] = {
        "customer_no": f"C{n:07d}",
        "kind": "individual",
        "national_id": f"800101{n:05d}",
        "first_name": "Petr",
        "last_name": f"Svoboda{n}",
        "birth_date": date(1980, 1, 1),
        "email": f"petr{n}@mail.example",
        "phone": "+420600123456",
        "address": "Hlavni 1",
        "postal_code": "11000",
        "city": "Praha",
        "kyc_status": "verified",
        "onboarded_on": date(2012, 6, 1),
        "status": "active",
        "branch_id": branch.id,
        "manager_id": manager.id if manager else None,
        "marketing_consent": True,
        "profiling_consent": True,
    }
    return _add(session, Customer(**{**values, **overrides}))


def product(session: Session, category: str = "current_account", **overrides: Any) -> Product:
    n = next(_numbers)
    values: dict[str, Any] = {
        "product_code": f"P{n:05d}",
        "name": f"{category} {n}",
        "category": category,
        "currency": "CZK",
    }
    return _add(session, Product(**{**values, **overrides}))


def holding(session: Session, customer: Customer, product: Product, **overrides: Any) -> Holding:
    n = next(_numbers)
    values: dict[str, Any] = {
        "account_no": f"CZ65080000{n:014d}",
        "customer_id": customer.id,
        "product_id": product.id,
        "opened_on": date(2015, 1, 1),
        "currency": "CZK",
        "balance": Decimal("1000.00"),
        "status": "active",
    }
    return _add(session, Holding(**{**values, **overrides}))


def relationship(
    session: Session, source: Customer, target: Customer, kind: str = "household"
) -> CustomerRelationship:
    key = f"{source.customer_no}>{target.customer_no}:{kind}"
    link = CustomerRelationship(
        relationship_key=key, from_customer_id=source.id, to_customer_id=target.id, kind=kind
    )
    return _add(session, link)


def interaction(session: Session, customer: Customer, **overrides: Any) -> Interaction:
    n = next(_numbers)
    values: dict[str, Any] = {
        "interaction_no": f"I{n:08d}",
        "customer_id": customer.id,
        "occurred_at": datetime(2026, 1, 5, 10, 0),
        "channel": "phone",
        "direction": "outbound",
        "topic": "annual review",
        "outcome": "completed",
        "note": "talked about savings",
    }
    return _add(session, Interaction(**{**values, **overrides}))


def case(session: Session, customer: Customer, **overrides: Any) -> Case:
    n = next(_numbers)
    values: dict[str, Any] = {
        "case_no": f"K{n:08d}",
        "customer_id": customer.id,
        "kind": "complaint",
        "topic": "card fee",
        "channel": "branch",
        "priority": "normal",
        "status": "open",
        "opened_at": datetime(2026, 2, 1, 9, 0),
        "description": "charged twice",
    }
    return _add(session, Case(**{**values, **overrides}))


def score(session: Session, customer: Customer, as_of: date, **overrides: Any) -> CustomerScore:
    run = session.query(ScoreRun).filter_by(as_of=as_of).one_or_none()
    if run is None:
        run = _add(
            session,
            ScoreRun(
                as_of=as_of,
                engine="duckdb",
                policy_hash="test",
                churn_model="",
                customers=0,
                seconds=0.0,
                summary="{}",
            ),
        )
    values: dict[str, Any] = {
        "run_id": run.id,
        "customer_id": customer.id,
        "as_of": as_of,
        "contribution": 1200.0,
        "net_interest": 1000.0,
        "fee_income": 400.0,
        "cost_to_serve": 150.0,
        "expected_loss": 50.0,
        "tier": "general",
        "band": "core",
        "tier_reason": "positive contribution",
        "p_alive": 0.9,
        "expected_activity": 10.0,
        "clv": 5000.0,
        "clv_low": 4000.0,
        "clv_high": 6000.0,
        "churn_probability": 0.1,
        "churn_reasons": '["balances fell"]',
        "value_at_risk": 500.0,
        "segment": None,
    }
    return _add(session, CustomerScore(**{**values, **overrides}))


def user(
    session: Session,
    role: str,
    staff: Staff | None = None,
    branch: Branch | None = None,
    **overrides: Any,
) -> User:
    n = next(_numbers)
    values: dict[str, Any] = {
        "username": f"{role.replace('_', '-')}-{n}",
        "password_hash": password_hash(),
        "role": role,
        "staff_id": staff.id if staff else None,
        "branch_id": branch.id if branch else (staff.branch_id if staff else None),
    }
    return _add(session, User(**{**values, **overrides}))


def import_batch(session: Session, **overrides: Any) -> ImportBatch:
    n = next(_numbers)
    values: dict[str, Any] = {
        "source": f"test-{n}",
        "format": "csv",
        "content_hash": f"{n:064d}",
        "outcome": "committed",
    }
    return _add(session, ImportBatch(**{**values, **overrides}))


def task(session: Session, customer: Customer, **overrides: Any) -> Any:
    """An open task for the customer, assigned to their manager."""
    from bankcrm.interactions.models import Task

    values: dict[str, Any] = {
        "customer_id": customer.id,
        "assignee_id": customer.manager_id,
        "kind": "manual",
        "reason": "call about the savings plan",
        "value_at_risk": 100.0,
        "due_on": date(2026, 10, 15),
        "status": "open",
        "created_by": "test",
    }
    return _add(session, Task(**{**values, **overrides}))


def case_survey(session: Session, case: Case, csat: int, nps: int, **overrides: Any) -> Any:
    """The satisfaction survey of a case (also its `satisfaction`, as the API records it)."""
    from bankcrm.service_desk.models import CaseSurvey

    case.satisfaction = csat
    values: dict[str, Any] = {
        "case_id": case.id,
        "csat": csat,
        "nps": nps,
        "comment": "quick and friendly",
        "recorded_by": "agent",
    }
    return _add(session, CaseSurvey(**{**values, **overrides}))


def tier_change(session: Session, customer: Customer, as_of: date, **overrides: Any) -> Any:
    from bankcrm.analytics.models import TierChange

    run = session.query(ScoreRun).filter_by(as_of=as_of).one()
    values: dict[str, Any] = {
        "run_id": run.id,
        "customer_id": customer.id,
        "as_of": as_of,
        "from_tier": None,
        "to_tier": "general",
        "reason": "positive contribution",
    }
    return _add(session, TierChange(**{**values, **overrides}))


def offer(
    session: Session, customer: Customer, product: Product, as_of: date, **overrides: Any
) -> Any:
    from bankcrm.analytics.models import Offer

    run = session.query(ScoreRun).filter_by(as_of=as_of).one()
    values: dict[str, Any] = {
        "run_id": run.id,
        "customer_id": customer.id,
        "as_of": as_of,
        "product_id": product.id,
        "rank": 1,
        "propensity": 0.4,
        "expected_value": 120.0,
        "explanation": "customers like this one hold it",
    }
    return _add(session, Offer(**{**values, **overrides}))


def portfolio_transfer(
    session: Session,
    proposer: User,
    giver: Staff,
    taker: Staff,
    customers: list[Customer],
    decided_at: datetime | None = None,
    **overrides: Any,
) -> Any:
    """A portfolio transfer of `customers` from `giver` to `taker`; approved at
    `decided_at` when given (the customers' manager_id is not changed: set it yourself)."""
    from bankcrm.staff.models import PortfolioTransfer, PortfolioTransferItem

    values: dict[str, Any] = {
        "branch_id": giver.branch_id,
        "from_manager_id": giver.id,
        "to_manager_id": taker.id,
        "status": "approved" if decided_at else "pending",
        "handover_note": "customers handed over in a test",
        "proposed_by": proposer.id,
        "proposed_at": decided_at or datetime(2026, 1, 1),
        "decided_at": decided_at,
    }
    transfer = _add(session, PortfolioTransfer(**{**values, **overrides}))
    for c in customers:
        _add(session, PortfolioTransferItem(transfer_id=transfer.id, customer_id=c.id))
    return transfer


def referral_prospect(
    session: Session, branch: Branch, owner: Staff | None = None, **overrides: Any
) -> Any:
    """A prospect for the referral tests (the prospects helper's own factory may replace it)."""
    from bankcrm.prospects.models import Prospect

    n = next(_numbers)
    values: dict[str, Any] = {
        "prospect_no": f"PRO-T{n:07d}",
        "kind": "individual",
        "first_name": "Eva",
        "last_name": f"Dvorakova{n}",
        "email": f"eva{n}@mail.example",
        "phone": "+420777555111",
        "source": "walk_in",
        "branch_id": branch.id,
        "owner_id": owner.id if owner else None,
        "status": "new",
        "created_by": "test",
    }
    return _add(session, Prospect(**{**values, **overrides}))


def duplicate_prospect(
    session: Session, branch: Branch, owner: Staff | None = None, **overrides: Any
) -> Prospect:
    """A prospect for the duplicate-detection tests (the prospects feature has its own)."""
    n = next(_numbers)
    values: dict[str, Any] = {
        "prospect_no": f"P{n:07d}",
        "kind": "individual",
        "first_name": "Eva",
        "last_name": f"Prospektova{n}",
        "birth_date": date(1985, 3, 3),
        "email": f"eva{n}@prospect.example",
        "source": "walk_in",
        "branch_id": branch.id,
        "owner_id": owner.id if owner else None,
        "status": "new",
        "created_by": "test",
    }
    return _add(session, Prospect(**{**values, **overrides}))


def referral_route(
    session: Session, line: str, branch: Branch | None, staff: Staff, **overrides: Any
) -> Any:
    """A routing rule: `line`'s referrals in `branch` (None: bank-wide) go to `staff`."""
    from bankcrm.referrals.models import ReferralRoute

    values: dict[str, Any] = {
        "line": line,
        "branch_id": branch.id if branch else None,
        "staff_id": staff.id,
        "active": True,
        "created_by": "test",
    }
    return _add(session, ReferralRoute(**{**values, **overrides}))


def referral(session: Session, customer: Customer, referrer: User, **overrides: Any) -> Any:
    """An open referral of `customer` by `referrer` to mortgages, assigned to the customer's
    manager (as the routing rules would)."""
    from bankcrm.referrals.models import Referral

    n = next(_numbers)
    values: dict[str, Any] = {
        "referral_no": f"REF-T{n:07d}",
        "customer_id": customer.id,
        "line": "mortgages",
        "need": "wants to buy a flat next spring",
        "referred_by": referrer.id,
        "referrer_staff_id": referrer.staff_id,
        "branch_id": customer.branch_id,
        "assigned_to": customer.manager_id,
        "routed_by": "own_manager" if customer.manager_id else "unrouted",
        "status": "open",
    }
    return _add(session, Referral(**{**values, **overrides}))


def prospect_activity(session: Session, prospect: Prospect, **overrides: Any) -> ProspectActivity:
    values: dict[str, Any] = {
        "prospect_id": prospect.id,
        "occurred_at": datetime(2026, 3, 1, 10, 0),
        "kind": "contact",
        "channel": "phone",
        "summary": "first call about a mortgage",
        "note": "wants a fixed rate",
        "created_by": "test",
    }
    return _add(session, ProspectActivity(**{**values, **overrides}))


def prospect_for_opportunities(session: Session, branch: Branch, **overrides: Any) -> Any:
    """A prospect of the branch (the opportunities tests' own; the prospects feature's
    factory may replace it at merge)."""
    from bankcrm.prospects.models import Prospect

    n = next(_numbers)
    values: dict[str, Any] = {
        "prospect_no": f"PR{n:07d}",
        "kind": "individual",
        "national_id": f"900101{n:05d}",
        "first_name": "Eva",
        "last_name": f"Prospect{n}",
        "source": "walk_in",
        "branch_id": branch.id,
        "status": "qualified",
        "created_by": "test",
    }
    return _add(session, Prospect(**{**values, **overrides}))


def opportunity(
    session: Session,
    product: Product,
    owner: Staff,
    customer: Customer | None = None,
    prospect: Any = None,
    **overrides: Any,
) -> Any:
    """An opportunity of the customer (or prospect) owned by `owner`, with its creation in
    the stage history."""
    from bankcrm.opportunities.models import Opportunity, OpportunityStageChange

    n = next(_numbers)
    party_branch = customer.branch_id if customer is not None else prospect.branch_id
    values: dict[str, Any] = {
        "opportunity_no": f"OPP-T{n:07d}",
        "customer_id": customer.id if customer is not None else None,
        "prospect_id": prospect.id if prospect is not None else None,
        "product_id": product.id,
        "amount": Decimal("100000.00"),
        "currency": "CZK",
        "stage": "identified",
        "probability": Decimal("0.1"),
        "expected_close_on": date(2027, 3, 31),
        "owner_id": owner.id,
        "branch_id": party_branch,
        "created_by": "test",
    }
    record = _add(session, Opportunity(**{**values, **overrides}))
    _add(
        session,
        OpportunityStageChange(
            opportunity_id=record.id,
            to_stage=record.stage,
            changed_by="test",
            probability=record.probability,
        ),
    )
    return record


def prospect(
    session: Session, branch: Branch, owner: Staff | None = None, **overrides: Any
) -> Prospect:
    """An open individual prospect of `branch` (owned by `owner`, if given)."""
    n = next(_numbers)
    values: dict[str, Any] = {
        "prospect_no": f"PRS-T{n:07d}",
        "kind": "individual",
        "national_id": f"900202{n:05d}",
        "first_name": "Eva",
        "last_name": f"Dvorakova{n}",
        "birth_date": date(1990, 2, 2),
        "email": f"eva{n}@mail.example",
        "phone": "+420777123456",
        "address": "Nova 5",
        "postal_code": "60200",
        "city": "Brno",
        "source": "walk_in",
        "status": "new",
        "needs": "a mortgage for a flat",
        "branch_id": branch.id,
        "owner_id": owner.id if owner else None,
        "created_by": "test",
    }
    return _add(session, Prospect(**{**values, **overrides}))
