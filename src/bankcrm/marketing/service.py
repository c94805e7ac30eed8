"""Segments, campaigns, target lists and outcomes for one caller: product managers (every
customer, masked) and branch managers (their branch, in full). Audited; no HTTP here."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta

from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.kit.db import utcnow
from bankcrm.kit.errors import Conflict, Forbidden, NotFound
from bankcrm.kit.pagination import Page
from bankcrm.marketing import repository
from bankcrm.marketing.models import Campaign, CampaignMember
from bankcrm.marketing.schemas import (
    CampaignIn,
    CampaignOut,
    Excluded,
    ExclusionReason,
    MemberOut,
    OutcomeIn,
    Results,
    SegmentDefinition,
    SegmentPreview,
    TargetList,
)
from bankcrm.security import audit, scope
from bankcrm.security.masking import mask_email, mask_tail
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role, View

CAMPAIGN_ROLES = (Role.PRODUCT_MANAGER, Role.BRANCH_MANAGER)
AGGREGATE_ROLES = (Role.EXECUTIVE, Role.ANALYST)  # counts and results, no customer
GONE_STATUSES = ("closed", "deceased")
CLOCK_SKEW = timedelta(minutes=5)  # an outcome's time may be this far in the future
MEMBER_FIELDS = ("customer_no", "name", "email", "phone")


def _require_campaigns(principal: Principal, aggregates_only: bool = False) -> None:
    """Product and branch managers run campaigns; executives and analysts may read their
    aggregates (segment counts, campaigns and their results), never a target list."""
    allowed = (*CAMPAIGN_ROLES, *AGGREGATE_ROLES) if aggregates_only else CAMPAIGN_ROLES
    if principal.role not in allowed:
        raise Forbidden(
            f"the role '{principal.role_name}' may not run campaigns "
            "(product managers and branch managers do)"
        )
    if principal.role is Role.BRANCH_MANAGER and principal.branch_id is None:
        raise Forbidden("a branch manager without a branch has no customers to target")


def _today() -> date:
    return utcnow().date()


def preview(session: Session, principal: Principal, segment: SegmentDefinition) -> SegmentPreview:
    """How many customers in the caller's scope the segment matches, and how many of them
    may be contacted. Counts only: no customer is named, so nothing personal is read."""
    _require_campaigns(principal, aggregates_only=True)
    customers, consent, reachable = repository.preview_counts(
        session, segment, scope.customer_filter(principal), _today()
    )
    return SegmentPreview(customers=customers, with_marketing_consent=consent, reachable=reachable)


def _visible(
    session: Session, principal: Principal, campaign_id: int, aggregates_only: bool = False
) -> Campaign:
    _require_campaigns(principal, aggregates_only)
    found = repository.campaign(session, campaign_id)
    if found is None or (
        principal.role is Role.BRANCH_MANAGER and found.branch_id != principal.branch_id
    ):
        raise NotFound(f"campaign {campaign_id} not found")
    return found


def _results(counts: dict[str, int]) -> Results:
    accepted, declined = counts.get("accepted", 0), counts.get("declined", 0)
    contacted = counts.get("contacted", 0) + accepted + declined
    targeted = contacted + counts.get("targeted", 0)

    def rate(part: int, whole: int) -> float | None:
        return round(part / whole, 6) if whole else None

    return Results(
        targeted=targeted,
        contacted=contacted,
        accepted=accepted,
        declined=declined,
        response_rate=rate(accepted + declined, contacted),
        acceptance_rate=rate(accepted, contacted),
        conversion_rate=rate(accepted, targeted),
    )


def _out(session: Session, campaigns: list[Campaign]) -> list[CampaignOut]:
    counts = repository.status_counts(session, [c.id for c in campaigns])
    products = repository.products(session, {c.product_id for c in campaigns})
    users = repository.usernames(session, {c.created_by for c in campaigns if c.created_by})
    return [
        CampaignOut(
            id=c.id,
            name=c.name,
            product_id=c.product_id,
            product_code=products[c.product_id].product_code,
            product_name=products[c.product_id].name,
            channel=c.channel,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            segment=SegmentDefinition.model_validate_json(c.segment),
            branch_id=c.branch_id,
            created_by=users.get(c.created_by) if c.created_by else None,
            created_at=c.created_at,
            targeted_at=c.targeted_at,
            results=_results(counts.get(c.id, {})),
        )
        for c in campaigns
    ]


def create_campaign(session: Session, principal: Principal, data: CampaignIn) -> CampaignOut:
    """A branch manager's campaign is for their branch; a product manager's bank-wide."""
    _require_campaigns(principal)
    if repository.product(session, data.product_id) is None:
        raise NotFound(f"product {data.product_id} not found")
    if data.ends_on < data.starts_on:
        raise Conflict("ends_on: the campaign ends before it starts", "ends_on")
    record = Campaign(
        name=data.name.strip(),
        product_id=data.product_id,
        channel=data.channel,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        segment=data.segment.model_dump_json(exclude_none=True),
        branch_id=principal.branch_id if principal.role is Role.BRANCH_MANAGER else None,
        created_by=principal.user_id,
    )
    repository.add(session, record)
    audit.record(session, principal, "create", "campaign", record.id)
    return _out(session, [record])[0]


def list_campaigns(
    session: Session, principal: Principal, offset: int, limit: int
) -> Page[CampaignOut]:
    _require_campaigns(principal, aggregates_only=True)
    bank_wide = principal.role is not Role.BRANCH_MANAGER
    rows, total = repository.campaigns(session, principal.branch_id, bank_wide, offset, limit)
    return Page(items=_out(session, rows), total=total, offset=offset, limit=limit)


def get_campaign(session: Session, principal: Principal, campaign_id: int) -> CampaignOut:
    return _out(session, [_visible(session, principal, campaign_id, True)])[0]


def _member_out(member: CampaignMember, customer: Customer, view: View) -> MemberOut:
    masked = view is not View.FULL
    name = customer.company_name or " ".join(
        p for p in (customer.first_name, customer.last_name) if p
    )
    return MemberOut(
        member_id=member.id,
        customer_id=customer.id,
        reference=customer.customer_no,
        name=name or None,
        email=mask_email(customer.email) if masked else customer.email,
        phone=mask_tail(customer.phone, 3) if masked else customer.phone,
        branch_id=customer.branch_id,
        status=member.status,
        contacted_at=member.contacted_at,
        responded_at=member.responded_at,
        view=view,
    )


def _target_list(
    session: Session, principal: Principal, found: Campaign, out_of_scope: int
) -> TargetList:
    members, excluded = [], []
    counts: Counter[ExclusionReason] = Counter()
    for member, customer in repository.members(session, found.id):
        if member.status == "excluded":
            reason: ExclusionReason = member.exclusion_reason  # type: ignore[assignment]
            counts[reason] += 1
            excluded.append(
                Excluded(customer_id=customer.id, reference=customer.customer_no, reason=reason)
            )
            continue
        view = scope.view_of(principal, customer.branch_id, customer.manager_id, False)
        members.append(_member_out(member, customer, view or principal.policy.view))
    if out_of_scope:
        counts["out_of_scope"] = out_of_scope
    named = [m.customer_id for m in members] + [e.customer_id for e in excluded]
    if named:
        audit.record(session, principal, "list", "customer", fields=MEMBER_FIELDS, record_ids=named)
    return TargetList(
        campaign_id=found.id,
        matched=len(members) + len(excluded) + out_of_scope,
        targeted=len(members),
        excluded_counts=dict(counts),
        excluded=excluded,
        members=members,
    )


def _stored_exclusions(found: Campaign) -> int:
    return int(json.loads(found.exclusions or "{}").get("out_of_scope", 0))


def build_target_list(session: Session, principal: Principal, campaign_id: int) -> TargetList:
    """Match the segment now and store the members: customers with marketing consent who
    are neither closed nor deceased. The others are stored as excluded with the reason;
    customers outside the caller's scope (or the campaign's branch) are only counted.
    Rebuilding replaces the list, until the first outcome is recorded."""
    found = _visible(session, principal, campaign_id)
    if repository.has_outcomes(session, found.id):
        raise Conflict(
            f"campaign {campaign_id} already has outcomes: its target list is final", "campaign"
        )
    repository.clear_members(session, found.id)
    segment = SegmentDefinition.model_validate_json(found.segment)
    counts: Counter[str] = Counter()
    for customer_id, _no, branch_id, manager_id, status, consent in repository.matching_customers(
        session, segment, _today()
    ):
        visible = scope.in_scope(principal, branch_id, manager_id)
        if not visible or (found.branch_id is not None and branch_id != found.branch_id):
            counts["out_of_scope"] += 1
            continue
        reason = (
            "closed_or_deceased"
            if status in GONE_STATUSES
            else "no_consent"
            if not consent
            else None
        )
        if reason is not None:
            counts[reason] += 1
        session.add(
            CampaignMember(
                campaign_id=found.id,
                customer_id=customer_id,
                status="targeted" if reason is None else "excluded",
                exclusion_reason=reason,
            )
        )
    found.targeted_at = utcnow()
    found.exclusions = json.dumps(dict(sorted(counts.items())))
    session.flush()
    audit.record(session, principal, "create", "campaign_target_list", found.id)
    return _target_list(session, principal, found, counts["out_of_scope"])


def get_target_list(session: Session, principal: Principal, campaign_id: int) -> TargetList:
    found = _visible(session, principal, campaign_id)
    if found.targeted_at is None:
        raise NotFound(f"campaign {campaign_id} has no target list yet: build it first")
    return _target_list(session, principal, found, _stored_exclusions(found))


def record_outcome(
    session: Session, principal: Principal, campaign_id: int, member_id: int, change: OutcomeIn
) -> MemberOut:
    """Contacted, then accepted or declined. An answer implies the contact (at the same
    time, if no contact was recorded). A time in the future, before the campaign started
    or before the recorded contact is refused (409: it clashes with what is recorded); so
    is a change of an answer to `contacted`. Excluded customers may not be contacted."""
    found = _visible(session, principal, campaign_id)
    member = repository.member(session, found.id, member_id)
    if member is None:
        raise NotFound(f"member {member_id} not found in campaign {campaign_id}")
    if member.status == "excluded":
        raise Conflict(
            f"member {member_id} was left out ({member.exclusion_reason}): do not contact",
            "outcome",
        )
    now = utcnow()
    at = change.at or now  # naive UTC, as the schema turned it
    if at > now + CLOCK_SKEW:
        raise Conflict("at: an outcome cannot be in the future", "at")
    if at.date() < found.starts_on:
        raise Conflict(f"at: before the campaign started on {found.starts_on}", "at")
    if change.outcome == "contacted":
        if member.status in repository.RESPONSES:
            raise Conflict(f"member {member_id} already answered ({member.status})", "outcome")
        member.contacted_at = at
    else:
        if member.contacted_at is not None and at < member.contacted_at:
            raise Conflict("at: the answer precedes the recorded contact", "at")
        member.contacted_at = member.contacted_at or at
        member.responded_at = at
    member.status = change.outcome
    session.flush()
    audit.record(
        session,
        principal,
        "update",
        "campaign_member",
        member.id,
        fields=("status", "contacted_at", "responded_at"),
    )
    customer = session.get(Customer, member.customer_id)
    assert customer is not None
    view = scope.view_of(principal, customer.branch_id, customer.manager_id, False)
    return _member_out(member, customer, view or principal.policy.view)


def results(session: Session, principal: Principal, campaign_id: int) -> Results:
    found = _visible(session, principal, campaign_id, aggregates_only=True)
    return _results(repository.status_counts(session, [found.id]).get(found.id, {}))
