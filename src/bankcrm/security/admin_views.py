"""Users and roles (/users, administrators only): the list of users, a form that creates
one through `security.service.create_user` (the rules of `bankcrm users create`), and a
page per user to change their role and branch or to deactivate and reactivate them
(`security.users`, every change audited).

A refused form comes back with each error next to its field and writes nothing. Passwords
are typed twice, never shown again and never logged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from bankcrm.kit.errors import Forbidden, InvalidInput, NotFound
from bankcrm.security import service, users
from bankcrm.security.page_access import NOT_ALLOWED
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role
from bankcrm.security.secrets import MIN_PASSWORD_LENGTH
from bankcrm.web.deps import RecordId, SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import ROLE_NAMES, error_page, form_post, render, signed_in

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
PAGE_SIZE = 50
MAX_PAGE = 100_000
NOT_FOUND = N_("This user does not exist.")
BAD_PAGE = N_("There is no such page.")
INVALID = N_("This value is not accepted.")
DIFFERENT = N_("The two passwords differ.")
# The services' rules (`RuleBroken.rule`) in words; placeholders filled from RULE_VALUES.
RULES: dict[str, str] = {
    "username_format": N_("Use 2 to 64 characters: lower-case letters, digits, “.”, “_” or “-”."),
    "username_taken": N_("This username is taken."),
    "role_unknown": N_("Choose one of the options."),
    "password_short": N_("Too short: at least %(min)s characters."),
    "staff_unknown": N_("No staff member has this staff ID."),
    "branch_unknown": N_("Choose one of the options."),
    "branch_mismatch": N_("The staff member works at another branch."),
    "staff_needed": N_("An account manager needs a staff ID (their portfolio)."),
    "branch_needed": N_("A branch manager needs a branch or a staff ID."),
    "self_role": N_("You cannot take away your own administrator role."),
    "self_deactivate": N_("You cannot deactivate yourself."),
    "last_admin": N_("The last active administrator must stay an active administrator."),
}
RULE_VALUES: dict[str, dict[str, object]] = {"password_short": {"min": MIN_PASSWORD_LENGTH}}
CREATED = N_("The user is created.")
SAVED = N_("The changes are saved.")

Errors = dict[str, tuple[str, dict[str, object]]]  # field -> (msgid, values)


def _rule_error(exc: InvalidInput) -> Errors:
    rule = getattr(exc, "rule", "")
    field = exc.field or "form"
    return {field: (RULES.get(rule, INVALID), RULE_VALUES.get(rule, {}))}


def _number(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return 1
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE else None


def _choices(session: Session, principal: Principal) -> dict[str, Any]:
    return {
        "role_choices": [(role.value, ROLE_NAMES[role]) for role in Role],
        "branch_choices": users.branch_choices(session, principal),
    }


def _users_page(
    request: Request,
    session: Session,
    principal: Principal,
    number: int,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
) -> Response:
    try:
        lines, total = users.list_users(session, principal, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    except Forbidden:
        return error_page(request, NOT_ALLOWED, 403, principal)
    context: dict[str, Any] = {
        "principal": principal,
        "users": lines,
        "total": total,
        "number": number,
        "pages": max(1, (total - 1) // PAGE_SIZE + 1),
        "values": values or {},
        "errors": errors or {},
        "min_password": MIN_PASSWORD_LENGTH,
        **_choices(session, principal),
    }
    return render(request, "security/users.html", context)


@router.get("/users", response_class=HTMLResponse, name="users_page")
def users_page(request: Request, session: SessionDep) -> Response:
    found = signed_in(request, session)
    if isinstance(found, Response):
        return found
    number = _number(request.query_params.get("page"))
    if number is None:
        return error_page(request, BAD_PAGE, 400, found.principal)
    return _users_page(request, session, found.principal, number)


def _to_user(request: Request, user_id: int, notice: str) -> Response:
    target = f"{request.app.url_path_for('user_page', user_id=str(user_id))}?done={notice}"
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


@router.post("/users", name="users_create")
def users_create(
    request: Request,
    session: SessionDep,
    username: FormText = "",
    role: FormText = "",
    branch: FormText = "",
    staff_id: FormText = "",
    password: FormText = "",
    password2: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Create a user with the CLI's rules; the form again with its errors, or the new
    user's page."""
    found = form_post(request, session, csrf_token)
    if isinstance(found, Response):
        return found
    principal = found.principal
    values = {
        "username": username.strip().lower(),
        "role": role,
        "branch": branch.strip(),
        "staff_id": staff_id.strip(),
    }
    try:
        if password != password2:
            users.require_admin(principal)
            errors: Errors = {"password2": (DIFFERENT, {})}
        else:
            user = service.create_user(
                session,
                principal,
                username=values["username"],
                role=role,
                password=password,
                staff_code=values["staff_id"] or None,
                branch_code=values["branch"] or None,
            )
            return _to_user(request, user.id, "created")
    except Forbidden:
        session.rollback()
        return error_page(request, NOT_ALLOWED, 403, principal)
    except InvalidInput as exc:
        errors = _rule_error(exc)
    session.rollback()  # as the API: a refused request leaves nothing behind
    return _users_page(request, session, principal, 1, values, errors)


def _user_page(
    request: Request,
    session: Session,
    principal: Principal,
    user_id: int,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
) -> Response:
    try:
        line = users.get_user(session, principal, user_id)
    except Forbidden:
        return error_page(request, NOT_ALLOWED, 403, principal)
    except NotFound:
        return error_page(request, NOT_FOUND, 404, principal)
    done = request.query_params.get("done") if values is None else None
    context: dict[str, Any] = {
        "principal": principal,
        "user": line,
        "values": values or {"role": line.role, "branch": line.branch_code or ""},
        "errors": errors or {},
        "notice": {"created": CREATED, "saved": SAVED}.get(done or ""),
        **_choices(session, principal),
    }
    return render(request, "security/user.html", context)


@router.get("/users/{user_id}", response_class=HTMLResponse, name="user_page")
def user_page(user_id: RecordId, request: Request, session: SessionDep) -> Response:
    found = signed_in(request, session)
    if isinstance(found, Response):
        return found
    return _user_page(request, session, found.principal, user_id)


def _change(
    request: Request,
    session: Session,
    user_id: int,
    csrf_token: str,
    values: dict[str, str],
    change: Callable[[Principal], None],
) -> Response:
    """Run one change of a user; the user's page with the error, or with what was saved."""
    found = form_post(request, session, csrf_token)
    if isinstance(found, Response):
        return found
    principal = found.principal
    try:
        change(principal)
    except Forbidden:
        session.rollback()
        return error_page(request, NOT_ALLOWED, 403, principal)
    except NotFound:
        session.rollback()
        return error_page(request, NOT_FOUND, 404, principal)
    except InvalidInput as exc:
        session.rollback()
        return _user_page(request, session, principal, user_id, values, _rule_error(exc))
    return _to_user(request, user_id, "saved")


@router.post("/users/{user_id}", name="user_change")
def user_change(
    user_id: RecordId,
    request: Request,
    session: SessionDep,
    role: FormText = "",
    branch: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """A new role and branch (a staff-linked user keeps their staff member's branch)."""
    values = {"role": role, "branch": branch.strip()}

    def change(principal: Principal) -> None:
        users.change_user(
            session, principal, user_id, role=role, branch_code=values["branch"] or None
        )

    return _change(request, session, user_id, csrf_token, values, change)


@router.post("/users/{user_id}/active", name="user_active")
def user_active(
    user_id: RecordId,
    request: Request,
    session: SessionDep,
    active: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Deactivate (`active=false`) or reactivate (`active=true`) a user."""

    def change(principal: Principal) -> None:
        if active not in ("true", "false"):
            raise users.RuleBroken("active: true or false", "active", "")
        users.set_active(session, principal, user_id, active == "true")

    return _change(request, session, user_id, csrf_token, {}, change)
