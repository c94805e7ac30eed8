"""Prospects for one caller: create, list, read and edit, in scope, masked by role and
audited exactly as customers are (a prospect's personal data is personal data). Status
changes, contacts, owners and review decisions are in workflow.py."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bankcrm.kit.errors import Conflict, InvalidInput, NotFound
from bankcrm.kit.pagination import Page
from bankcrm.prospects import access, repository, shape
from bankcrm.prospects.models import Prospect, ProspectActivity
from bankcrm.prospects.schemas import (
    Count,
    ProspectFunnel,
    ProspectIn,
    ProspectOut,
    ProspectQuery,
    ProspectSummary,
    ProspectUpdate,
    ReviewOut,
)
from bankcrm.security import audit, break_glass, scope
from bankcrm.security.principal import Principal
from bankcrm.security.roles import CustomerScope, View
from bankcrm.staff import repository as staff_repository

RECORD = "prospect"


def visible_prospect(
    session: Session, principal: Principal, prospect_id: int
) -> tuple[Prospect, View]:
    """The prospect and how it shows; NotFound when out of scope (as if it did not exist)."""
    access.require_detail(principal)
    found = repository.prospect(session, prospect_id)
    view = access.view_of(session, principal, found.branch_id, found.owner_id) if found else None
    if found is None or view is None:
        raise NotFound(f"prospect {prospect_id} not found")
    return found, view


def writable_prospect(session: Session, principal: Principal, prospect_id: int) -> Prospect:
    """A prospect the caller may change: in scope, and not yet a customer."""
    access.require_writes(principal)
    found, _view = visible_prospect(session, principal, prospect_id)
    if found.status == "converted":
        raise Conflict(
            f"prospect {prospect_id} became customer {found.converted_customer_id}: "
            "change the customer record instead",
            "status",
        )
    return found


def stale(prospect: Prospect, version: int) -> Conflict:
    return Conflict(
        f"prospect {prospect.id} was changed since version {version} was read "
        f"(now version {prospect.version}): reload and apply the change again",
        "version",
    )


def check_names(kind: str, values: dict[str, object]) -> None:
    """A person needs a last name, a company its name."""
    if kind == "individual" and not values.get("last_name"):
        raise InvalidInput("a person needs a last name", "last_name")
    if kind == "corporate" and not values.get("company_name"):
        raise InvalidInput("a company needs its name", "company_name")


def check_owner(session: Session, owner_id: int, branch_id: int) -> None:
    """Owners are active staff of the prospect's branch."""
    member = repository.staff_member(session, owner_id)
    if member is None or not member.active or member.branch_id != branch_id:
        raise InvalidInput(
            f"staff member {owner_id} is not an active member of the prospect's branch",
            "owner_id",
        )


def _placement(session: Session, principal: Principal, new: ProspectIn) -> tuple[int, int | None]:
    """Branch and owner of a new prospect: the caller's own unless given, and never outside
    the caller's branch for branch- and portfolio-scoped roles."""
    home = access.home_branch(session, principal)
    branch_id = new.branch_id or home
    if branch_id is None:
        raise InvalidInput("give the branch of the prospect", "branch_id")
    if principal.policy.scope is not CustomerScope.ALL and branch_id != home:
        raise InvalidInput("you may add prospects to your own branch only", "branch_id")
    if not repository.branch_exists(session, branch_id):
        raise InvalidInput(f"branch {branch_id} does not exist", "branch_id")
    owner_id = new.owner_id
    if owner_id is None and principal.policy.scope is CustomerScope.PORTFOLIO:
        owner_id = principal.staff_id
    if owner_id is not None:
        check_owner(session, owner_id, branch_id)
    return branch_id, owner_id


def create_prospect(session: Session, principal: Principal, new: ProspectIn) -> ProspectOut:
    """Add a prospect (numbered PRS-...) with a first activity saying where it came from."""
    access.require_writes(principal)
    values = new.model_dump(exclude={"branch_id", "owner_id"}, exclude_none=True)
    check_names(new.kind, values)
    if new.campaign_id is not None and not repository.campaign_exists(session, new.campaign_id):
        raise InvalidInput(f"campaign {new.campaign_id} does not exist", "campaign_id")
    branch_id, owner_id = _placement(session, principal, new)
    prospect = repository.add_prospect(
        session,
        Prospect(
            **values,
            branch_id=branch_id,
            owner_id=owner_id,
            status="new",
            created_by=principal.actor,
        ),
    )
    repository.add_activity(
        session,
        ProspectActivity(
            prospect_id=prospect.id,
            kind="status",
            staff_id=principal.staff_id,
            summary=f"created (source: {new.source})",
            created_by=principal.actor,
        ),
    )
    audit.record(session, principal, "create", RECORD, prospect.id, fields=sorted(values))
    return get_prospect(session, principal, prospect.id)


def list_prospects(
    session: Session, principal: Principal, query: ProspectQuery, offset: int, limit: int
) -> Page[ProspectSummary]:
    """Prospects in the caller's scope; one audit event names every prospect shown."""
    access.require_lists(principal)
    rows, total = repository.list_prospects(
        session, access.list_scope(session, principal), query, offset, limit
    )
    branches = staff_repository.branch_names(session, {p.branch_id for p in rows})
    staff = staff_repository.staff_names(session, {p.owner_id for p in rows if p.owner_id})
    items = []
    for p in rows:
        view = access.view_of(session, principal, p.branch_id, p.owner_id)
        items.append(shape.summary(p, view or principal.policy.view, branches, staff))
    if items:
        audit.record(
            session,
            principal,
            "list",
            RECORD,
            fields=shape.LIST_FIELDS,
            record_ids=[item.id for item in items],
        )
    return Page(items=items, total=total, offset=offset, limit=limit)


def _review(session: Session, principal: Principal, prospect: Prospect) -> ReviewOut | None:
    """The customer a prospect was flagged against, named only if the caller may see it."""
    if prospect.review_customer_id is None:
        return None
    customer = repository.customer(session, prospect.review_customer_id)
    visible = None
    if customer is not None:
        granted = break_glass.is_granted(session, principal, customer.id)
        visible = scope.view_of(principal, customer.branch_id, customer.manager_id, granted)
    return ReviewOut(
        customer_id=prospect.review_customer_id,
        customer_no=customer.customer_no if customer and visible else None,
        customer_name=shape.display_name(customer) if customer and visible else None,
        reason=prospect.review_reason,
    )


def get_prospect(session: Session, principal: Principal, prospect_id: int) -> ProspectOut:
    """The prospect with its activities, newest first, as the caller may see it."""
    prospect, view = visible_prospect(session, principal, prospect_id)
    return detail(session, principal, prospect, view)


def detail(session: Session, principal: Principal, prospect: Prospect, view: View) -> ProspectOut:
    """The prospect shown with `view`, audited as a read of its personal data."""
    branches = staff_repository.branch_names(session, {prospect.branch_id})
    staff = staff_repository.staff_names(session, {prospect.owner_id} - {None})  # type: ignore[arg-type]
    activities = [
        shape.activity(a, name, view) for a, name in repository.activities(session, prospect.id)
    ]
    audit.record(session, principal, "read", RECORD, prospect.id, fields=shape.PERSONAL_FIELDS)
    review = _review(session, principal, prospect)
    return shape.detail(prospect, view, branches, staff, activities, review)


def update_prospect(
    session: Session, principal: Principal, prospect_id: int, change: ProspectUpdate
) -> ProspectOut:
    """Edit details; a stale `version` changes nothing and raises Conflict."""
    prospect = writable_prospect(session, principal, prospect_id)
    values = change.model_dump(exclude_unset=True, exclude={"version"})
    if values.get("marketing_consent", False) is None:
        values.pop("marketing_consent")
    check_names(prospect.kind, {
        "last_name": values.get("last_name", prospect.last_name),
        "company_name": values.get("company_name", prospect.company_name),
    })  # fmt: skip
    if not values:
        if prospect.version != change.version:
            raise stale(prospect, change.version)
        return get_prospect(session, principal, prospect_id)
    if not repository.update_prospect(session, prospect_id, change.version, values):
        raise stale(prospect, change.version)
    audit.record(session, principal, "update", RECORD, prospect_id, fields=sorted(values))
    session.expire(prospect)
    return get_prospect(session, principal, prospect_id)


def funnel(session: Session, principal: Principal) -> ProspectFunnel:
    """Prospects by status and source in the caller's scope (all of them for executives
    and analysts): counts only, no person."""
    access.require_aggregates(principal)
    counts = repository.funnel(session, access.list_scope(session, principal))
    return ProspectFunnel(
        total=sum(n for _, _, n in counts),
        converted=sum(n for status, _, n in counts if status == "converted"),
        counts=[Count(status=s, source=src, prospects=n) for s, src, n in counts],
    )
