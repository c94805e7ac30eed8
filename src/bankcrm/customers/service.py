"""The customer record for one caller: list, 360 view and contact updates, in scope,
masked by role, and audited. Routes call these; they never know about HTTP."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy.orm import Session

from bankcrm.analytics.models import CustomerScore
from bankcrm.config import Settings
from bankcrm.customers import repository, shape
from bankcrm.customers.models import Customer
from bankcrm.customers.schemas import (
    CaseOut,
    Consent,
    Customer360,
    CustomerQuery,
    CustomerSummary,
    CustomerUpdate,
    Exposure,
    HoldingOut,
    Named,
    OfferOut,
    Profile,
    RelationshipOut,
    ScoreOut,
    TierChangeOut,
    TimelineEntry,
    TransactionOut,
)
from bankcrm.duplicates import links as duplicate_links
from bankcrm.interactions import service as interactions_service
from bankcrm.kit.errors import Conflict, NotFound
from bankcrm.kit.pagination import Page
from bankcrm.lake.recent import latest_transactions, newest_months, recent_transactions
from bankcrm.products.models import Holding, Product
from bankcrm.prospects import repository as prospect_repository
from bankcrm.security import audit, break_glass, scope
from bankcrm.security.principal import Principal
from bankcrm.security.roles import View
from bankcrm.service_desk.models import Case
from bankcrm.staff import repository as staff_repository

TIMELINE_ENTRIES = 50
NONE = Decimal("0.00")
TRANSACTION_MONTHS = 24  # how far back the customer page looks for recent transactions


def list_customers(
    session: Session,
    settings: Settings,
    principal: Principal,
    query: CustomerQuery,
    offset: int,
    limit: int,
) -> Page[CustomerSummary]:
    """Customers in the caller's scope, filtered, sorted and paged; one audit event names
    every customer the page showed."""
    scope.require_customer_lists(principal)
    granted = break_glass.granted(session, principal)
    rows, total = repository.list_customers(
        session, scope.customer_filter(principal, granted), query, offset, limit
    )
    branches = staff_repository.branch_names(session, {c.branch_id for c, _ in rows})
    managers = staff_repository.staff_names(
        session, {c.manager_id for c, _ in rows if c.manager_id}
    )
    key = settings.pseudonym_key()
    items = []
    for customer, score in rows:
        view = scope.view_of(
            principal, customer.branch_id, customer.manager_id, customer.id in granted
        )
        items.append(
            shape.summary(customer, score, view or principal.policy.view, key, branches, managers)
        )
    if items:
        audit.record(
            session,
            principal,
            "list",
            "customer",
            fields=shape.LIST_FIELDS,
            record_ids=[item.id for item in items],
        )
    return Page(items=items, total=total, offset=offset, limit=limit)


def visible_customer(
    session: Session, principal: Principal, customer_id: int, granted: set[int] | None = None
) -> tuple[Customer, View]:
    """The customer and how it shows to the caller; NotFound when out of scope, so that a
    caller cannot even learn that the customer exists. `granted`: the caller's break-glass
    customers, when already known."""
    scope.require_customer_detail(principal)
    customer = repository.customer(session, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    has_grant = (
        customer_id in granted
        if granted is not None
        else break_glass.is_granted(session, principal, customer_id)
    )
    view = scope.view_of(principal, customer.branch_id, customer.manager_id, has_grant)
    if view is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer, view


def _named(session: Session, customer: Customer) -> tuple[Named | None, Named | None]:
    branch_name, manager_name = staff_repository.placement_names(
        session, customer.branch_id, customer.manager_id
    )
    branch = Named(id=customer.branch_id, name=branch_name or "")
    manager = None
    if customer.manager_id is not None:
        manager = Named(id=customer.manager_id, name=manager_name or "")
    return branch, manager


def get_profile(session: Session, principal: Principal, customer_id: int) -> Profile:
    customer, view = visible_customer(session, principal, customer_id)
    branch, manager = _named(session, customer)
    audit.record(session, principal, "read", "customer", customer_id, fields=shape.PERSONAL_FIELDS)
    return shape.profile(customer, view, branch, manager)


def get_customer(
    session: Session, settings: Settings, principal: Principal, customer_id: int
) -> Customer360:
    """Everything the bank holds on one customer, as the caller may see it."""
    granted = break_glass.granted(session, principal)
    customer, view = visible_customer(session, principal, customer_id, granted)
    branch, manager = _named(session, customer)
    holdings: list[tuple[Holding, Product, str | None]] = [
        (h, p, None) for h, p in repository.holdings(session, customer_id)
    ]
    score = repository.latest_score(session, customer_id)
    open_cases, recent_cases = repository.cases(session, customer_id, TIMELINE_ENTRIES)
    fields = [*shape.PERSONAL_FIELDS, "holdings", "transactions", "relationships", "timeline"]
    audit.record(session, principal, "read", "customer", customer_id, fields=fields)
    linked = duplicate_links.linked_records(session, principal, customer_id, view)
    timeline = _timeline(session, customer_id, recent_cases, view)
    for link in linked:  # an approved merge: the merged record's holdings and timeline too
        if link.role != "merged":
            continue
        if link.type == "customer":
            holdings += [(h, p, link.number) for h, p in repository.holdings(session, link.id)]
            _open, their_cases = repository.cases(session, link.id, TIMELINE_ENTRIES)
            timeline += _timeline(session, link.id, their_cases, view, link.number)
        else:
            timeline += duplicate_links.prospect_timeline(
                session, link.id, link.number, view, TIMELINE_ENTRIES
            )
    timeline.sort(key=lambda e: e.at, reverse=True)
    return Customer360(
        profile=shape.profile(customer, view, branch, manager),
        consent=Consent(
            marketing=customer.marketing_consent,
            profiling=customer.profiling_consent,
            sharing=customer.sharing_consent,
        ),
        holdings=[
            HoldingOut(
                account_no=shape.account_no(h.account_no, view),
                product_code=p.product_code,
                product_name=p.name,
                category=p.category,
                opened_on=h.opened_on,
                closed_on=h.closed_on,
                currency=h.currency,
                balance=h.balance,
                credit_limit=h.credit_limit,
                interest_rate=h.interest_rate,
                status=h.status,
                loan_status=h.loan_status,
                source_record=source,
            )
            for h, p, source in holdings
        ],
        recent_transactions=_transactions(
            session, settings, [h.account_no for h, _, _ in holdings], view
        ),
        **_relationships(session, principal, customer, granted),
        score=_score(score),
        tier_history=[
            TierChangeOut(as_of=t.as_of, from_tier=t.from_tier, to_tier=t.to_tier, reason=t.reason)
            for t in repository.tier_history(session, customer_id)
        ],
        offers=[
            OfferOut(
                as_of=o.as_of,
                product_code=p.product_code,
                product_name=p.name,
                rank=o.rank,
                propensity=o.propensity,
                expected_value=o.expected_value,
                explanation=o.explanation,
            )
            for o, p in (repository.offers(session, customer_id, score.as_of) if score else [])
        ],
        open_cases=[_case(c) for c in open_cases],
        open_tasks=interactions_service.open_tasks(session, customer_id),
        timeline=timeline[:TIMELINE_ENTRIES],
        linked_records=linked,
    )


def _transactions(
    session: Session, settings: Settings, account_nos: list[str], view: View
) -> list[TransactionOut]:
    limit = settings.recent_transactions
    rows = latest_transactions(settings.lake_dir, account_nos, limit)
    if rows is None:  # a lake without the store of latest transactions: the month files
        months = newest_months(session, settings.lake_dir, TRANSACTION_MONTHS)
        rows = recent_transactions(settings.lake_dir, months, account_nos, limit)
    return [
        TransactionOut(**{**row, "account_no": shape.account_no(row["account_no"], view)})
        for row in rows
    ]


def _relationships(
    session: Session, principal: Principal, customer: Customer, granted: set[int]
) -> dict[str, object]:
    links = repository.relationships(session, customer.id)
    others = {other.id for _, other in links}
    loans = repository.loans_outstanding(session, [customer.id, *others])
    out = []
    for link, other in links:
        visible = scope.view_of(principal, other.branch_id, other.manager_id, other.id in granted)
        out.append(
            RelationshipOut(
                kind=link.kind,
                direction="from" if link.from_customer_id == customer.id else "to",
                other_id=other.id if visible is not None else None,
                other_name=shape.display_name(other) if visible is not None else None,
                share_percent=link.share_percent,
                since=link.since,
                loans_outstanding=loans.get(other.id, NONE),
            )
        )
    own = loans.get(customer.id, NONE)
    connected = sum((loans.get(i, NONE) for i in others), start=NONE)
    exposure = Exposure(
        own=own, connected=connected, combined=own + connected, customers=1 + len(others)
    )
    return {"relationships": out, "exposure": exposure}


def _score(score: CustomerScore | None) -> ScoreOut | None:
    if score is None:
        return None
    fields = {
        name: getattr(score, name) for name in ScoreOut.model_fields if name != "churn_reasons"
    }
    return ScoreOut(**fields, churn_reasons=json.loads(score.churn_reasons or "[]"))


def _case(case: object) -> CaseOut:
    return CaseOut.model_validate(case, from_attributes=True)


def _timeline(
    session: Session, customer_id: int, cases: list[Case], view: View, source: str | None = None
) -> list[TimelineEntry]:
    """Contacts on every channel, cases of every department and, once a prospect became
    this customer, what was done with the prospect; newest first. `source` marks the
    entries of a linked record with its number."""
    entries = [
        TimelineEntry(
            at=i.occurred_at,
            source="interaction",
            channel=i.channel,
            topic=i.topic,
            outcome=i.outcome,
            staff=staff,
            note=i.note if view is View.FULL else None,
            source_record=source,
        )
        for i, staff in repository.recent_interactions(session, customer_id, TIMELINE_ENTRIES)
    ]
    entries += [
        TimelineEntry(
            at=c.opened_at,
            source="case",
            channel=c.channel,
            topic=f"{c.kind}: {c.topic}",
            outcome=c.status,
            staff=None,
            note=c.description if view is View.FULL else None,
            source_record=source,
        )
        for c in cases
    ]
    entries += [  # what was done while they were a prospect (prospects/conversion.py)
        TimelineEntry(
            at=a.occurred_at,
            source="prospect",
            channel=a.channel or "",
            topic=a.summary,
            outcome=a.kind,
            staff=staff,
            note=a.note if view is View.FULL else None,
            prospect_no=prospect_no,
        )
        for a, prospect_no, staff in prospect_repository.converted_activities(
            session, customer_id, TIMELINE_ENTRIES
        )
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:TIMELINE_ENTRIES]


def update_customer(
    session: Session, principal: Principal, customer_id: int, change: CustomerUpdate
) -> Profile:
    """Correct contact details. A stale `version` changes nothing and raises Conflict."""
    scope.require_customer_writes(principal)
    customer, _view = visible_customer(session, principal, customer_id)
    values = change.model_dump(exclude_unset=True, exclude={"version"})
    stale = Conflict(
        f"customer {customer_id} was changed since version {change.version} was read "
        f"(now version {customer.version}): reload and apply the change again",
        "version",
    )
    if not values:  # an empty patch changes nothing, but a stale one still says so
        if customer.version != change.version:
            raise stale
        return get_profile(session, principal, customer_id)
    if not repository.update_contact(session, customer_id, change.version, values):
        raise stale
    audit.record(session, principal, "update", "customer", customer_id, fields=values.keys())
    session.expire(customer)
    return get_profile(session, principal, customer_id)
