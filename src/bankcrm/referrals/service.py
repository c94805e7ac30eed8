"""Referrals for one caller: refer a customer or prospect to a specialist line, follow it,
and (the assignee, or the branch manager) accept, convert or decline it; in scope, masked
by role and audited (record type "referral"). Routes call these; they never know HTTP.

Who sees a referral: the user who made it, the staff member it is assigned to and the
branch managers of its branch; anyone else gets 404. The person shows as the caller's
role may see them (docs/security.md, "Referrals"): the referrer may not have the person
in scope (a teller refers a walk-in customer) and then sees the reference only."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.kit.db import utcnow
from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.kit.pagination import Page
from bankcrm.prospects.models import Prospect
from bankcrm.referrals import repository, routing, shape
from bankcrm.referrals.models import OPEN_STATUSES, Referral
from bankcrm.referrals.schemas import (
    Assignment,
    Conversion,
    Decline,
    ReferralIn,
    ReferralOut,
    ReferralPerson,
    ReferralQuery,
    ReferralSummary,
    Versioned,
)
from bankcrm.security import audit, break_glass
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role, View

# Who may refer: the roles that work with customers.
REFERRERS = frozenset({Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER, Role.SERVICE_AGENT})
PERSON_FIELDS = ["name", "phone", "email"]
ENDED = frozenset({"closed", "deceased"})  # customers no longer referred


def _require_referrer(principal: Principal) -> None:
    if principal.role not in REFERRERS:
        raise Forbidden(f"the role '{principal.role_name}' does not work with referrals")


def _person_of(
    session: Session, new: ReferralIn
) -> tuple[Customer | None, Prospect | None, int, int | None]:
    """The customer or prospect referred, their branch and owner; NotFound if missing."""
    if new.customer_id is not None:
        customer = repository.customer(session, new.customer_id)
        if customer is None:
            raise NotFound(f"customer {new.customer_id} not found")
        if customer.status in ENDED:
            raise Conflict(f"customer_id: the customer is {customer.status}", "customer_id")
        return customer, None, customer.branch_id, customer.manager_id
    assert new.prospect_id is not None  # ReferralIn: exactly one
    prospect = repository.prospect(session, new.prospect_id)
    if prospect is None:
        raise NotFound(f"prospect {new.prospect_id} not found")
    if prospect.status == "converted":
        raise Conflict(
            "prospect_id: the prospect became a customer: refer the customer", "prospect_id"
        )
    return None, prospect, prospect.branch_id, prospect.owner_id


def find_person(
    session: Session, principal: Principal, number: str
) -> tuple[int | None, int | None] | None:
    """(customer id, prospect id) of the customer or prospect with this number, for the
    referral form (the referrer may not have them in scope: a teller refers a walk-in)."""
    _require_referrer(principal)
    number = number.strip()
    customer = repository.customer_by_no(session, number) if number else None
    if customer is not None:
        return customer.id, None
    prospect = repository.prospect_by_no(session, number) if number else None
    if prospect is not None:
        return None, prospect.id
    return None


def preview(
    session: Session, principal: Principal, customer_id: int | None, prospect_id: int | None
) -> ReferralPerson:
    """Whom the referral form is about, as the caller may see them (audited when any of
    their personal data shows)."""
    _require_referrer(principal)
    customer = repository.customer(session, customer_id) if customer_id else None
    prospect = repository.prospect(session, prospect_id) if prospect_id and not customer else None
    if customer is None and prospect is None:
        raise NotFound("the customer or prospect to refer was not found")
    view = shape.view_of(session, principal, None, customer, prospect)
    person = shape.person(customer, prospect, view)
    if view in (View.FULL, View.MASKED):
        audit.record(session, principal, "read", person.kind, person.id, fields=PERSON_FIELDS)
    return person


def create_referral(session: Session, principal: Principal, new: ReferralIn) -> ReferralOut:
    """Refer the person; the routing rules (routing.route) choose who takes it."""
    _require_referrer(principal)
    if principal.user_id is None:
        raise Forbidden("only a signed-in user refers")
    customer, prospect, branch_id, owner_id = _person_of(session, new)
    assigned_to, routed_by = routing.route(session, new.line, branch_id, owner_id)
    referral = repository.add_referral(
        session,
        Referral(
            customer_id=new.customer_id,
            prospect_id=new.prospect_id,
            line=new.line,
            need=new.need.strip(),
            referred_by=principal.user_id,
            referrer_staff_id=principal.staff_id,
            branch_id=branch_id,
            assigned_to=assigned_to,
            routed_by=routed_by,
            status="open",
        ),
    )
    audit.record(
        session,
        principal,
        "create",
        "referral",
        referral.id,
        fields=["customer_id" if customer else "prospect_id", "line", "need", "assigned_to"],
    )
    return shape.detail(session, principal, referral, customer, prospect)


def list_referrals(
    session: Session, principal: Principal, query: ReferralQuery, offset: int, limit: int
) -> Page[ReferralSummary]:
    """One box: made by the caller, assigned to them, or (branch managers) their branch's."""
    _require_referrer(principal)
    if query.box == "branch" and principal.role is not Role.BRANCH_MANAGER:
        raise Forbidden("box: only branch managers see their branch's referrals")
    box = repository.box_clause(
        query.box, principal.user_id, principal.staff_id, principal.branch_id
    )
    rows, total = repository.list_referrals(session, box, query.status, offset, limit)
    names = shape.names(session, [r for r, _, _ in rows])
    grants = break_glass.granted(session, principal)
    items = []
    for referral, customer, prospect in rows:
        view = shape.view_of(session, principal, referral, customer, prospect, grants)
        items.append(shape.summary(referral, shape.person(customer, prospect, view), view, names))
    if items:
        audit.record(
            session,
            principal,
            "list",
            "referral",
            fields=["referral_no", "reference", *PERSON_FIELDS],
            record_ids=[item.id for item in items],
        )
    return Page(items=items, total=total, offset=offset, limit=limit)


def _visible(
    session: Session, principal: Principal, referral_id: int
) -> tuple[Referral, Customer | None, Prospect | None]:
    _require_referrer(principal)
    found = repository.referral(session, referral_id)
    if found is None or not shape.involved(principal, found[0]):
        raise NotFound(f"referral {referral_id} not found")
    return found


def get_referral(session: Session, principal: Principal, referral_id: int) -> ReferralOut:
    referral, customer, prospect = _visible(session, principal, referral_id)
    audit.record(
        session, principal, "read", "referral", referral_id, fields=["need", *PERSON_FIELDS]
    )
    return shape.detail(session, principal, referral, customer, prospect)


def _change(
    session: Session,
    principal: Principal,
    referral_id: int,
    version: int,
    values: dict[str, object],
    assigning: bool = False,
) -> ReferralOut:
    """Apply a decision: the assignee or the branch manager, an open referral, the version
    last read (stale: 409, nothing changed)."""
    referral, customer, prospect = _visible(session, principal, referral_id)
    allowed = shape.is_branch_manager(principal, referral) or (
        not assigning and shape.is_assignee(principal, referral)
    )
    if not allowed:
        who = "the branch manager" if assigning else "the assignee or the branch manager"
        raise Forbidden(f"only {who} may do this with referral {referral_id}")
    if referral.version != version:
        raise Conflict(
            f"referral {referral_id} was changed since version {version} was read "
            f"(now version {referral.version}): reload and apply the change again",
            "version",
        )
    if referral.status not in OPEN_STATUSES:
        raise Conflict(f"status: the referral is already {referral.status}", "status")
    if values.get("status") == "accepted" and referral.status == "accepted":
        raise Conflict("status: the referral is already accepted", "status")
    if not repository.update_referral(session, referral_id, version, values):
        raise Conflict(f"referral {referral_id} was changed meanwhile: reload", "version")
    audit.record(session, principal, "update", "referral", referral_id, fields=sorted(values))
    session.expire(referral)
    return shape.detail(session, principal, referral, customer, prospect)


def accept(session: Session, principal: Principal, referral_id: int, ask: Versioned) -> ReferralOut:
    values: dict[str, object] = {"status": "accepted", "accepted_at": utcnow()}
    return _change(session, principal, referral_id, ask.version, values)


def convert(
    session: Session, principal: Principal, referral_id: int, ask: Conversion
) -> ReferralOut:
    if ask.opportunity_id is not None:
        found = repository.referral(session, referral_id)
        person = repository.opportunity_person(session, ask.opportunity_id)
        if found is not None and person != (found[0].customer_id, found[0].prospect_id):
            raise InvalidInput(
                f"opportunity_id: opportunity {ask.opportunity_id} is not one of this "
                "referral's customer or prospect",
                "opportunity_id",
            )
    values: dict[str, object] = {
        "status": "converted",
        "outcome_note": ask.outcome_note,
        "opportunity_id": ask.opportunity_id,
        "decided_at": utcnow(),
        "decided_by": principal.actor,
    }
    return _change(session, principal, referral_id, ask.version, values)


def decline(session: Session, principal: Principal, referral_id: int, ask: Decline) -> ReferralOut:
    reason = ask.reason.strip()
    if not reason:
        raise InvalidInput("reason: say why the referral is declined", "reason")
    values: dict[str, object] = {
        "status": "declined",
        "declined_reason": reason,
        "decided_at": utcnow(),
        "decided_by": principal.actor,
    }
    return _change(session, principal, referral_id, ask.version, values)


def assign(
    session: Session, principal: Principal, referral_id: int, ask: Assignment
) -> ReferralOut:
    """The branch manager sends the referral to a staff member (an unrouted one, or to
    someone else); it is open again for them to accept."""
    member = repository.staff(session, ask.staff_id)
    if member is None or not member.active:
        raise InvalidInput("staff_id must be an active staff member's id", "staff_id")
    values: dict[str, object] = {
        "assigned_to": member.id,
        "routed_by": "assigned",
        "status": "open",
        "accepted_at": None,
    }
    return _change(session, principal, referral_id, ask.version, values, assigning=True)


def check_source(
    session: Session, referral_id: int, customer_id: int | None, prospect_id: int | None
) -> None:
    """An opportunity made from a referral is for the referral's customer or prospect."""
    found = repository.referral(session, referral_id)
    if found is None or (found[0].customer_id, found[0].prospect_id) != (customer_id, prospect_id):
        raise InvalidInput(
            f"referral_id: referral {referral_id} is not a referral of this customer or prospect",
            "referral_id",
        )


def mark_converted(
    session: Session, principal: Principal, referral_id: int, opportunity_id: int | None
) -> bool:
    """Convert the referral an opportunity came from, once that opportunity is won (the
    opportunities feature calls this in the same transaction). An open or accepted
    referral becomes converted; one already decided is left as it is. Returns whether it
    changed. No version: the win itself is the decision."""
    found = repository.referral(session, referral_id)
    if found is None:
        raise NotFound(f"referral {referral_id} not found")
    referral = found[0]
    if referral.status not in OPEN_STATUSES:
        return False
    values: dict[str, object] = {
        "status": "converted",
        "opportunity_id": opportunity_id,
        "decided_at": utcnow(),
        "decided_by": principal.actor,
    }
    if not repository.update_referral(session, referral_id, referral.version, values):
        return False
    audit.record(
        session,
        principal,
        "update",
        "referral",
        referral_id,
        fields=sorted(values),
        reason="opportunity won",
    )
    session.expire(referral)
    return True
