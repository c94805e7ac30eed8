"""How a referral shows to one caller: who is involved in it, how the person referred
shows (scope, masking), and the summary and detail the API returns."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.prospects.models import Prospect
from bankcrm.referrals import repository
from bankcrm.referrals.models import OPEN_STATUSES, Referral
from bankcrm.referrals.schemas import ReferralOut, ReferralPerson, ReferralSummary
from bankcrm.security import break_glass, scope
from bankcrm.security.masking import mask_email, mask_tail
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role, View
from bankcrm.staff import repository as staff_repository


def is_assignee(principal: Principal, referral: Referral) -> bool:
    return principal.staff_id is not None and referral.assigned_to == principal.staff_id


def is_branch_manager(principal: Principal, referral: Referral) -> bool:
    return principal.role is Role.BRANCH_MANAGER and principal.branch_id == referral.branch_id


def involved(principal: Principal, referral: Referral) -> bool:
    return (
        referral.referred_by == principal.user_id
        or is_assignee(principal, referral)
        or is_branch_manager(principal, referral)
    )


def view_of(
    session: Session,
    principal: Principal,
    referral: Referral | None,
    customer: Customer | None,
    prospect: Prospect | None,
    grants: set[int] | None = None,
) -> View | None:
    """How the person shows: as the caller's scope says; to the assignee (whom the routing
    table made responsible for this need) as their role's view; otherwise reference only.
    `grants`: the caller's break-glass customers, when already known (lists)."""
    if customer is not None:
        granted = (
            customer.id in grants
            if grants is not None
            else break_glass.is_granted(session, principal, customer.id)
        )
        view = scope.view_of(principal, customer.branch_id, customer.manager_id, granted)
    elif prospect is not None:
        view = scope.view_of(principal, prospect.branch_id, prospect.owner_id, False)
    else:
        view = None
    if view is None and referral is not None and is_assignee(principal, referral):
        view = principal.policy.view
    return view


def person(
    customer: Customer | None, prospect: Prospect | None, view: View | None
) -> ReferralPerson:
    record: Customer | Prospect
    if customer is not None:
        record, kind, reference = customer, "customer", customer.customer_no
    else:
        assert prospect is not None  # the CHECK constraint: one of the two
        record, kind, reference = prospect, "prospect", prospect.prospect_no
    name = phone = email = None
    if view is View.FULL:
        name = record.company_name or " ".join(
            p for p in (record.first_name, record.last_name) if p
        )
        phone, email = record.phone, record.email
    elif view is View.MASKED:
        phone, email = mask_tail(record.phone), mask_email(record.email)
    return ReferralPerson(
        kind=kind, id=record.id, reference=reference, name=name, phone=phone, email=email
    )


def summary(
    referral: Referral, person: ReferralPerson, view: View | None, names: dict[str, dict[int, str]]
) -> ReferralSummary:
    return ReferralSummary(
        id=referral.id,
        referral_no=referral.referral_no,
        person=person,
        line=referral.line,
        need=referral.need,
        status=referral.status,
        routed_by=referral.routed_by,
        branch_id=referral.branch_id,
        assigned_to=referral.assigned_to,
        assignee_name=names["staff"].get(referral.assigned_to) if referral.assigned_to else None,
        referred_by=referral.referred_by,
        referrer=names["users"].get(referral.referred_by, ""),
        created_at=referral.created_at,
        decided_at=referral.decided_at,
        version=referral.version,
        view=view,
    )


def names(session: Session, referrals: list[Referral]) -> dict[str, dict[int, str]]:
    return {
        "staff": staff_repository.staff_names(
            session, {r.assigned_to for r in referrals if r.assigned_to is not None}
        ),
        "users": repository.usernames(session, {r.referred_by for r in referrals}),
    }


def detail(
    session: Session,
    principal: Principal,
    referral: Referral,
    customer: Customer | None,
    prospect: Prospect | None,
) -> ReferralOut:
    view = view_of(session, principal, referral, customer, prospect)
    shown = summary(referral, person(customer, prospect, view), view, names(session, [referral]))
    branches = staff_repository.branch_names(session, {referral.branch_id})
    still_open = referral.status in OPEN_STATUSES
    return ReferralOut(
        **shown.model_dump(),
        referrer_staff_id=referral.referrer_staff_id,
        branch_name=branches.get(referral.branch_id),
        outcome_note=referral.outcome_note,
        declined_reason=referral.declined_reason,
        opportunity_id=referral.opportunity_id,
        accepted_at=referral.accepted_at,
        decided_by=referral.decided_by,
        can_handle=still_open
        and (is_assignee(principal, referral) or is_branch_manager(principal, referral)),
        can_assign=still_open and is_branch_manager(principal, referral),
    )
