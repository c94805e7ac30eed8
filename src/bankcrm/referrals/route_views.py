"""The routing table page (/referral-routes): who takes each line's referrals in the
branch and bank-wide; branch managers keep their branch's routes, admins all. The same
service as `/api/v1/referral-routes`: a route for a line that already has one there, a
staff member who is not active, or a stale version come back next to the field."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.referrals import repository, routing, terms
from bankcrm.referrals.forms import Errors, field_errors, rule_error
from bankcrm.referrals.schemas import RouteChange, RouteIn
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role
from bankcrm.web.deps import SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, form_post, render, signed_in

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
MAX_ID = 2_147_483_647
NO_ACCESS = N_(
    "Your role does not keep the referral routes: branch managers keep their branch's, "
    "administrators all."
)
NOT_FOUND = N_("This route does not exist or is not yours to change.")
NOTICES: dict[str, str] = {
    "created": N_("The route is added."),
    "changed": N_("The route is changed."),
}
BANK_WIDE = "bank"  # the branch field's value for a bank-wide route


def _render(
    request: Request,
    session: Session,
    principal: Principal,
    form_name: str | None = None,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
) -> Response:
    try:
        routes = routing.list_routes(session, principal)
    except Forbidden:
        return error_page(request, NO_ACCESS, 403, principal)
    admin = principal.role is Role.ADMIN
    branches = repository.branch_choices(session) if admin else []
    context: dict[str, Any] = {
        "principal": principal,
        "routes": routes,
        "admin": admin,
        "branches": branches,
        "staff": repository.staff_choices(session, None if admin else principal.branch_id),
        "bank_wide": BANK_WIDE,
        "terms": terms,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "form_name": form_name,
        "values": values or {},
        "errors": errors or {},
    }
    return render(request, "referrals/routes.html", context)


@router.get("/referral-routes", response_class=HTMLResponse, name="referral_routes")
def referral_routes(request: Request, session: SessionDep) -> Response:
    visitor = signed_in(request, session)
    if isinstance(visitor, Response):
        return visitor
    return _render(request, session, visitor.principal)


def _done(request: Request, notice: str) -> Response:
    target = request.app.url_path_for("referral_routes")
    return RedirectResponse(f"{target}?notice={notice}", status.HTTP_303_SEE_OTHER)


@router.post("/referral-routes", name="referral_route_create")
def referral_route_create(
    request: Request,
    session: SessionDep,
    line: FormText = "",
    branch_id: FormText = "",
    staff_id: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    posted = form_post(request, session, csrf_token)
    if isinstance(posted, Response):
        return posted
    principal = posted.principal
    values = {"line": line, "branch_id": branch_id, "staff_id": staff_id}
    branch: object = principal.branch_id
    if principal.role is Role.ADMIN:
        branch = None if branch_id in ("", BANK_WIDE) else branch_id
    errors: Errors | None = None
    try:
        fields = {"line": line, "branch_id": branch, "staff_id": staff_id.strip()}
        routing.create_route(session, principal, RouteIn(**fields))
    except ValidationError as exc:
        errors = field_errors(exc, "form")
    except (InvalidInput, Conflict) as exc:
        errors = rule_error(exc)
    except Forbidden:
        session.rollback()
        return error_page(request, NO_ACCESS, 403, principal)
    if errors:
        session.rollback()
        return _render(request, session, principal, "route", values, errors)
    return _done(request, "created")


@router.post("/referral-routes/{route_id}", name="referral_route_change")
def referral_route_change(
    route_id: str,
    request: Request,
    session: SessionDep,
    version: FormText = "",
    active: FormText = "",
    staff_id: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Switch a route on or off, or send its line to another staff member."""
    posted = form_post(request, session, csrf_token)
    if isinstance(posted, Response):
        return posted
    principal = posted.principal
    found = int(route_id) if route_id.isdigit() and 1 <= int(route_id) <= MAX_ID else None
    if found is None:
        return error_page(request, NOT_FOUND, 404, principal)
    values = {"version": version, "active": active, "staff_id": staff_id}
    errors: Errors | None = None
    try:
        fields: dict[str, object] = {"version": int(version) if version.isdigit() else 0}
        if active in ("0", "1"):
            fields["active"] = active == "1"
        if staff_id.strip():
            fields["staff_id"] = staff_id.strip()
        routing.change_route(session, principal, found, RouteChange(**fields))
    except ValidationError as exc:
        errors = field_errors(exc, "form")
    except (InvalidInput, Conflict) as exc:
        errors = rule_error(exc)
    except NotFound:
        session.rollback()
        return error_page(request, NOT_FOUND, 404, principal)
    except Forbidden:
        session.rollback()
        return error_page(request, NO_ACCESS, 403, principal)
    if errors:
        session.rollback()
        return _render(request, session, principal, f"route-{found}", values, errors)
    return _done(request, "changed")
