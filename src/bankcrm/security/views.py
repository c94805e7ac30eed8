"""The login and logout pages. They use the same rules and the same browser session as
`POST /api/v1/auth/session`: a page signed in here can call the JSON API with its cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bankcrm.kit.errors import Forbidden, LoginFailed, Throttled
from bankcrm.security import admin_views, audit_views, break_glass_views, service
from bankcrm.security.secrets import token_hash
from bankcrm.web import i18n
from bankcrm.web.deps import SESSION_COOKIE, SessionDep, SettingsDep, client_ip
from bankcrm.web.i18n import N_
from bankcrm.web.pages import CSRF_COOKIE, check_form, render, set_cookie, visitor

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]


def _login_page(
    request: Request,
    username: str = "",
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **values: object,
) -> HTMLResponse:
    """The form; `error` is a catalogue message, `values` fill its placeholders."""
    return render(
        request,
        "security/login.html",
        {"username": username, "error": error, "error_values": values},
        status_code=status_code,
        headers=headers,
    )


@router.get("/login", response_class=HTMLResponse, name="login")
def login_form(request: Request, session: SessionDep) -> Response:
    if visitor(request, session) is not None:
        return RedirectResponse(request.app.url_path_for("home"), status.HTTP_303_SEE_OTHER)
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse, name="login_post")
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: FormText = "",
    password: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """A wrong password shows the form again with the reason (a 200: the browser shows a
    page, not a failed load); a throttled username gets 429 with Retry-After. The failed
    attempt is still recorded (LoginFailed keeps the request's work)."""
    try:
        check_form(request, session, csrf_token)
    except Forbidden:
        return _login_page(request, username, N_("The form had expired. Please log in again."))
    username = username.strip().lower()
    if not username or not password:
        return _login_page(request, username, N_("Enter your username and password."))
    try:
        user = service.login(session, settings, username, password, client_ip(request))
    except Throttled as exc:
        minutes = max(1, (exc.retry_after + 59) // 60)
        return _login_page(
            request,
            username,
            N_("Too many failed log-ins for this username. Try again in %(minutes)s minutes."),
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
            minutes=minutes,
        )
    except LoginFailed:
        return _login_page(request, username, N_("Wrong username or password."))
    issued = service.issue(session, user, "session", settings.session_minutes)
    assert issued.csrf_token is not None
    response = RedirectResponse(request.app.url_path_for("home"), status.HTTP_303_SEE_OTHER)
    age = settings.session_minutes * 60
    set_cookie(request, response, SESSION_COOKIE, issued.token, age)
    set_cookie(request, response, CSRF_COOKIE, issued.csrf_token, age)
    if user.language in i18n.LANGUAGES:
        # The language the user chose last time, in whichever browser.
        set_cookie(request, response, i18n.LANGUAGE_COOKIE, user.language, 365 * 24 * 3600)
    return response


@router.post("/logout", name="logout")
def logout(request: Request, session: SessionDep, csrf_token: FormText = "") -> Response:
    """Ends the browser session (its cookie stops working for the API too)."""
    try:
        signed_in = check_form(request, session, csrf_token)
    except Forbidden:
        return render(
            request,
            "error.html",
            {"message": N_("The form had expired. Reload the page and try again.")},
            status_code=403,
        )
    if signed_in is not None:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        service.revoke_by_hash(session, signed_in.principal, token_hash(cookie))
    response = RedirectResponse(request.app.url_path_for("login"), status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


# The security feature's other pages: the audit log, the break-glass report and users.
router.include_router(audit_views.router)
router.include_router(break_glass_views.router)
router.include_router(admin_views.router)
