"""What the campaign pages need beyond the JSON API's answers: whether a role may run
campaigns (to hide buttons it could not use), a preview's split by tier and band, the
products a campaign may offer and one page of a target list. Same rules as `service`:
the same role checks, scope, masking and audit; no HTTP here."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.kit.errors import Forbidden, NotFound
from bankcrm.marketing import repository
from bankcrm.marketing.schemas import (
    ExclusionReason,
    MemberOut,
    SegmentDefinition,
    SegmentSplit,
    TargetPage,
)
from bankcrm.marketing.service import (
    MEMBER_FIELDS,
    _member_out,
    _require_campaigns,
    _stored_exclusions,
    _today,
    _visible,
)
from bankcrm.security import audit, scope
from bankcrm.security.principal import Principal

EXCLUSION_REASONS: tuple[ExclusionReason, ...] = ("no_consent", "closed_or_deceased")


def may_run_campaigns(principal: Principal) -> bool:
    """True for the roles that create campaigns, build target lists and record outcomes;
    False for those that read aggregates only (or nothing)."""
    try:
        _require_campaigns(principal)
    except Forbidden:
        return False
    return True


def may_read_campaigns(principal: Principal) -> bool:
    """True for every role that may see segment counts and campaign results."""
    try:
        _require_campaigns(principal, aggregates_only=True)
    except Forbidden:
        return False
    return True


def preview_split(
    session: Session, principal: Principal, segment: SegmentDefinition
) -> SegmentSplit:
    """The customers a segment matches in the caller's scope, by tier and by band. Counts
    only, as `service.preview`: nobody is named."""
    _require_campaigns(principal, aggregates_only=True)
    rows = repository.preview_split(session, segment, scope.customer_filter(principal), _today())
    tiers: Counter[str] = Counter()
    bands: Counter[str] = Counter()
    unscored = 0
    for tier, band, count in rows:
        if tier is None and band is None:
            unscored += count
            continue
        if tier is not None:
            tiers[tier] += count
        if band is not None:
            bands[band] += count
    return SegmentSplit(tiers=dict(tiers), bands=dict(bands), unscored=unscored)


def product_choices(session: Session, principal: Principal) -> list[tuple[int, str]]:
    """(id, "code · name") of the products a campaign may offer, for the roles that run one."""
    _require_campaigns(principal)
    return [(p.id, f"{p.product_code} · {p.name}") for p in repository.products_on_offer(session)]


def target_page(
    session: Session, principal: Principal, campaign_id: int, offset: int, limit: int
) -> TargetPage:
    """The target list's counts and one page of its targeted members, masked per role.
    Only the members shown are audited as read (the API's full list audits them all)."""
    found = _visible(session, principal, campaign_id)
    if found.targeted_at is None:
        raise NotFound(f"campaign {campaign_id} has no target list yet: build it first")
    counts = repository.member_counts(session, found.id)
    excluded: dict[ExclusionReason, int] = {}
    for reason in EXCLUSION_REASONS:
        if counts.get(("excluded", reason)):
            excluded[reason] = counts[("excluded", reason)]
    out_of_scope = _stored_exclusions(found)
    if out_of_scope:
        excluded["out_of_scope"] = out_of_scope
    targeted = sum(n for (status, _reason), n in counts.items() if status != "excluded")
    members = []
    for member, customer in repository.targeted_members(session, found.id, offset, limit):
        view = scope.view_of(principal, customer.branch_id, customer.manager_id, False)
        members.append(_member_out(member, customer, view or principal.policy.view))
    if members:
        audit.record(
            session,
            principal,
            "list",
            "customer",
            fields=MEMBER_FIELDS,
            record_ids=[m.customer_id for m in members],
        )
    return TargetPage(
        campaign_id=found.id,
        built_at=found.targeted_at,
        matched=targeted + sum(excluded.values()),
        targeted=targeted,
        excluded_counts=excluded,
        members=members,
        offset=offset,
        limit=limit,
    )


def member(session: Session, principal: Principal, campaign_id: int, member_id: int) -> MemberOut:
    """One member of a target list as the list shows it (to redraw its row), audited as read."""
    found = _visible(session, principal, campaign_id)
    record = repository.member(session, found.id, member_id)
    customer = session.get(Customer, record.customer_id) if record is not None else None
    if record is None or customer is None:
        raise NotFound(f"member {member_id} not found in campaign {campaign_id}")
    view = scope.view_of(principal, customer.branch_id, customer.manager_id, False)
    out = _member_out(record, customer, view or principal.policy.view)
    audit.record(session, principal, "read", "customer", customer.id, fields=MEMBER_FIELDS)
    return out
