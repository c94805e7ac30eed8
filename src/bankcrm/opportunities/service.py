"""Opportunities for one caller: open, list, read and change them, in scope, shown by role
and audited (record type "opportunity"). Stage moves and department tasks: moves.py;
pipeline figures: pipeline.py. Routes call these; they never know about HTTP.

Who: account managers and branch managers work opportunities (DESIGN.md roles); service
agents, auditors and admins have none (a case never needs the sales pipeline); product
managers, executives and analysts see the pipeline's aggregates only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from bankcrm.config import Settings
from bankcrm.kit.db import utcnow
from bankcrm.kit.errors import Conflict, InvalidInput, NotFound
from bankcrm.kit.pagination import Page
from bankcrm.opportunities import parties, repository, shape, stages
from bankcrm.opportunities.access import require_seller, view_of
from bankcrm.opportunities.models import Opportunity, OpportunityStageChange
from bankcrm.opportunities.repository import Row
from bankcrm.opportunities.schemas import (
    OpportunityChange,
    OpportunityIn,
    OpportunityOut,
    OpportunityQuery,
    OpportunitySummary,
)
from bankcrm.referrals import service as referrals
from bankcrm.security import audit, break_glass, scope
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role, View
from bankcrm.staff import repository as staff_repository


def probability(settings: Settings, stage: str) -> Decimal:
    """The stage's probability from the settings, as stored (4 decimals)."""
    return Decimal(str(round(settings.opportunity_probabilities[stage], 4)))


def visible(session: Session, principal: Principal, opportunity_id: int) -> tuple[Row, View]:
    """The opportunity and how it shows; NotFound when out of scope, so that a caller
    cannot even learn that it exists."""
    require_seller(principal)
    row = repository.opportunity(session, opportunity_id)
    granted = break_glass.granted(session, principal) if row is not None else set()
    view = view_of(principal, row[0], row[1], granted) if row is not None else None
    if row is None or view is None:
        raise NotFound(f"opportunity {opportunity_id} not found")
    return row, view


def _names(session: Session, rows: list[Row]) -> tuple[dict[int, str], dict[int, str]]:
    staff_ids = {o.owner_id for o, *_ in rows}
    return (
        staff_repository.staff_names(session, staff_ids),
        staff_repository.branch_names(session, {o.branch_id for o, *_ in rows}),
    )


def next_stages(principal: Principal, opportunity: Opportunity, category: str) -> list[str]:
    """Where the caller may move the opportunity now (a note or a reason may be needed)."""
    current = opportunity.stage
    if current in stages.CLOSED_STAGES:
        reopens = principal.role is Role.BRANCH_MANAGER and (
            principal.branch_id == opportunity.branch_id
        )
        return list(stages.path(category)) if reopens and opportunity.holding_id is None else []
    return [
        s
        for s in stages.STAGES
        if stages.refuse_move(current, s, category, "note", "other") is None
    ]


def detail(session: Session, principal: Principal, row: Row, view: View) -> OpportunityOut:
    opportunity, customer, prospect, product = row
    tasks = repository.tasks(session, opportunity.id)
    staff_ids = {opportunity.owner_id} | {t.assignee_id for t in tasks if t.assignee_id}
    staff = staff_repository.staff_names(session, staff_ids)
    branches = staff_repository.branch_names(session, {opportunity.branch_id})
    base = shape.summary(opportunity, customer, prospect, product, view, staff, branches)
    return OpportunityOut(
        **base.model_dump(),
        description=opportunity.description,
        lost_reason=opportunity.lost_reason,
        lost_note=opportunity.lost_note,
        referral_id=opportunity.referral_id,
        holding_id=opportunity.holding_id,
        won_on=opportunity.won_on,
        closed_on=opportunity.closed_on,
        created_by=opportunity.created_by,
        created_at=opportunity.created_at,
        lending=stages.is_lending(product.category),
        next_stages=next_stages(principal, opportunity, product.category),
        history=[shape.change(c) for c in repository.history(session, opportunity.id)],
        tasks=[shape.task(t, staff) for t in tasks],
    )


def create_opportunity(
    session: Session, settings: Settings, principal: Principal, new: OpportunityIn
) -> OpportunityOut:
    """Open an opportunity at `identified`, its first stage."""
    require_seller(principal)
    scope.require_customer_writes(principal)
    customer, prospect, branch_id, default_owner = parties.party(session, principal, new)
    product = parties.product(session, new.product_id)
    if new.expected_close_on < date.today():
        raise InvalidInput("expected_close_on must not be in the past", "expected_close_on")
    owner_id = parties.owner(session, principal, new.owner_id, default_owner, branch_id)
    if new.referral_id is not None:
        referrals.check_source(
            session,
            new.referral_id,
            customer.id if customer else None,
            prospect.id if prospect else None,
        )
    chance = probability(settings, "identified")
    opportunity = repository.add_opportunity(
        session,
        Opportunity(
            customer_id=customer.id if customer else None,
            prospect_id=prospect.id if prospect else None,
            product_id=product.id,
            amount=new.amount,
            currency=new.currency or product.currency,
            stage="identified",
            probability=chance,
            expected_close_on=new.expected_close_on,
            owner_id=owner_id,
            branch_id=branch_id,
            description=new.description,
            referral_id=new.referral_id,
            created_by=principal.actor,
        ),
    )
    repository.add(
        session,
        OpportunityStageChange(
            opportunity_id=opportunity.id,
            from_stage=None,
            to_stage="identified",
            changed_at=utcnow(),
            changed_by=principal.actor,
            probability=chance,
        ),
    )
    fields = sorted(new.model_dump(exclude_none=True))
    audit.record(session, principal, "create", "opportunity", opportunity.id, fields=fields)
    return detail(session, principal, (opportunity, customer, prospect, product), View.FULL)


def list_opportunities(
    session: Session, principal: Principal, query: OpportunityQuery, offset: int, limit: int
) -> Page[OpportunitySummary]:
    """The caller's opportunities, soonest expected close first; one audit event names
    every opportunity the page showed."""
    require_seller(principal)
    granted = break_glass.granted(session, principal)
    rows, total = repository.list_opportunities(
        session, scope.customer_filter(principal, granted), query, principal.staff_id, offset, limit
    )
    staff, branches = _names(session, rows)
    items = [
        shape.summary(
            o, c, p, pr, view_of(principal, o, c, granted) or principal.policy.view, staff, branches
        )
        for o, c, p, pr in rows
    ]
    if items:
        audit.record(
            session,
            principal,
            "list",
            "opportunity",
            fields=shape.LIST_FIELDS,
            record_ids=[item.id for item in items],
        )
    return Page(items=items, total=total, offset=offset, limit=limit)


def get_opportunity(session: Session, principal: Principal, opportunity_id: int) -> OpportunityOut:
    row, view = visible(session, principal, opportunity_id)
    audit.record(
        session, principal, "read", "opportunity", opportunity_id, fields=shape.PERSONAL_FIELDS
    )
    return detail(session, principal, row, view)


def stale(opportunity_id: int, version: int, now: int) -> Conflict:
    return Conflict(
        f"opportunity {opportunity_id} was changed since version {version} was read "
        f"(now version {now}): reload and apply the change again",
        "version",
    )


def update_opportunity(
    session: Session, principal: Principal, opportunity_id: int, change: OpportunityChange
) -> OpportunityOut:
    """Change amount, expected close, description or (a branch manager) the owner. A stale
    `version` changes nothing and raises Conflict; a won or lost one is not changed."""
    scope.require_customer_writes(principal)
    row, view = visible(session, principal, opportunity_id)
    opportunity = row[0]
    values = change.model_dump(exclude_unset=True, exclude={"version"})
    if opportunity.version != change.version:
        raise stale(opportunity_id, change.version, opportunity.version)
    if not values:
        raise InvalidInput("nothing to change: send at least one field besides version")
    if opportunity.stage in stages.CLOSED_STAGES:
        raise Conflict(f"the opportunity is {opportunity.stage}: it is not changed", "stage")
    for name in ("amount", "expected_close_on"):
        if name in values and values[name] is None:
            raise InvalidInput(f"{name} cannot be removed", name)
    if "owner_id" in values:
        if principal.role is not Role.BRANCH_MANAGER:
            raise InvalidInput("only a branch manager hands an opportunity over", "owner_id")
        values["owner_id"] = parties.owner(
            session, principal, values["owner_id"], None, opportunity.branch_id
        )
    if not repository.update_opportunity(session, opportunity_id, change.version, values):
        raise stale(opportunity_id, change.version, opportunity.version + 1)
    audit.record(session, principal, "update", "opportunity", opportunity_id, fields=sorted(values))
    session.expire(opportunity)
    return detail(session, principal, row, view)
