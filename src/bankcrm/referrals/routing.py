"""Where a referral goes (the routing rules, docs/models.md "Referral routing") and the
routing table that branch managers (their branch) and admins (all) maintain."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.referrals import repository
from bankcrm.referrals.models import ReferralRoute
from bankcrm.referrals.schemas import RouteChange, RouteIn, RouteOut
from bankcrm.security import audit
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role
from bankcrm.staff import repository as staff_repository


def route(
    session: Session, line: str, branch_id: int, owner_id: int | None
) -> tuple[int | None, str]:
    """(the staff member who takes the referral, which rule chose them):
    1. own_manager: the customer's own manager (a prospect's owner), when active: they
       know the person and bring in the specialist, whatever the line;
    2. line_branch: the active route for the line in the person's branch;
    3. line_bank: the active bank-wide route for the line;
    4. unrouted: nobody; it waits on the list of the branch's branch manager."""
    if owner_id is not None:
        owner = repository.staff(session, owner_id)
        if owner is not None and owner.active:
            return owner.id, "own_manager"
    staff_id = repository.route_staff(session, line, branch_id)
    if staff_id is not None:
        return staff_id, "line_branch"
    staff_id = repository.route_staff(session, line, None)
    if staff_id is not None:
        return staff_id, "line_bank"
    return None, "unrouted"


def _require_maintainer(principal: Principal) -> None:
    if principal.role is Role.ADMIN:
        return
    if principal.role is Role.BRANCH_MANAGER and principal.branch_id is not None:
        return
    raise Forbidden(
        f"the role '{principal.role_name}' does not maintain referral routes (branch "
        "managers keep their branch's, admins all)"
    )


def _may_change(principal: Principal, branch_id: int | None) -> bool:
    return principal.role is Role.ADMIN or (
        branch_id is not None and branch_id == principal.branch_id
    )


def _out(session: Session, routes: list[ReferralRoute]) -> list[RouteOut]:
    staff = staff_repository.staff_names(session, {r.staff_id for r in routes})
    branches = staff_repository.branch_names(
        session, {r.branch_id for r in routes if r.branch_id is not None}
    )
    return [
        RouteOut(
            id=r.id,
            line=r.line,
            branch_id=r.branch_id,
            branch_name=branches.get(r.branch_id) if r.branch_id is not None else None,
            staff_id=r.staff_id,
            staff_name=staff.get(r.staff_id, ""),
            active=r.active,
            created_by=r.created_by,
            version=r.version,
        )
        for r in routes
    ]


def list_routes(session: Session, principal: Principal) -> list[RouteOut]:
    """A branch manager's branch routes with the bank-wide ones; an admin's: every route."""
    _require_maintainer(principal)
    branch_id = None if principal.role is Role.ADMIN else principal.branch_id
    routes = repository.routes(session, branch_id, with_bank_wide=True)
    if routes:
        audit.record(
            session, principal, "list", "referral_route", record_ids=[r.id for r in routes]
        )
    return _out(session, routes)


def _check_staff(session: Session, principal: Principal, staff_id: int) -> None:
    member = repository.staff(session, staff_id)
    if member is None or not member.active:
        raise InvalidInput("staff_id must be an active staff member's id", "staff_id")
    if principal.role is not Role.ADMIN and member.branch_id != principal.branch_id:
        raise InvalidInput("staff_id: a branch manager routes to their branch's staff", "staff_id")


def create_route(session: Session, principal: Principal, new: RouteIn) -> RouteOut:
    _require_maintainer(principal)
    if not _may_change(principal, new.branch_id):
        raise Forbidden("a branch manager keeps their own branch's routes, not other branches'")
    if new.branch_id is not None and repository.branch(session, new.branch_id) is None:
        raise InvalidInput(f"branch_id: no branch {new.branch_id}", "branch_id")
    _check_staff(session, principal, new.staff_id)
    if repository.active_route_id(session, new.line, new.branch_id) is not None:
        raise Conflict(
            "line: this line already has an active route there; change or deactivate it",
            "line",
        )
    created = repository.add_route(
        session,
        ReferralRoute(
            line=new.line,
            branch_id=new.branch_id,
            staff_id=new.staff_id,
            active=True,
            created_by=principal.actor,
        ),
    )
    audit.record(
        session,
        principal,
        "create",
        "referral_route",
        created.id,
        fields=["line", "branch_id", "staff_id"],
    )
    return _out(session, [created])[0]


def change_route(
    session: Session, principal: Principal, route_id: int, change: RouteChange
) -> RouteOut:
    """Send the line to someone else, or (de)activate the route; a stale version is 409."""
    _require_maintainer(principal)
    found = repository.route(session, route_id)
    branch_id = None if principal.role is Role.ADMIN else principal.branch_id
    if found is None or (branch_id is not None and found.branch_id not in (branch_id, None)):
        raise NotFound(f"referral route {route_id} not found")
    if not _may_change(principal, found.branch_id):
        raise Forbidden("bank-wide routes are kept by admins")
    values = change.model_dump(exclude_unset=True, exclude={"version"})
    values = {k: v for k, v in values.items() if v is not None}
    if not values:
        raise InvalidInput("nothing to change: send staff_id or active besides version")
    if found.version != change.version:
        raise Conflict(
            f"route {route_id} was changed since version {change.version} was read "
            f"(now version {found.version}): reload and apply the change again",
            "version",
        )
    if "staff_id" in values:
        _check_staff(session, principal, values["staff_id"])
    reopens = values.get("active") and not found.active
    if reopens and repository.active_route_id(session, found.line, found.branch_id, route_id):
        raise Conflict("active: another route for this line and branch is active", "active")
    if not repository.update_route(session, route_id, change.version, values):
        raise Conflict(f"route {route_id} was changed meanwhile: reload", "version")
    audit.record(session, principal, "update", "referral_route", route_id, fields=sorted(values))
    session.expire(found)
    return _out(session, [found])[0]
