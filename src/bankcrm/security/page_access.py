"""What the security pages (audit log, break-glass report, users) share: the signed-in
check, the error page and the CSRF check of their form posts."""

from __future__ import annotations

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from bankcrm.kit.errors import Forbidden
from bankcrm.security.principal import Principal
from bankcrm.web.deps import CSRF_HEADER
from bankcrm.web.i18n import N_
from bankcrm.web.pages import Visitor, check_form, render, visitor

NOT_ALLOWED = N_("Your role may not do this.")
EXPIRED = N_("The form had expired. Reload the page and try again.")


def to_login(request: Request) -> Response:
    return RedirectResponse(request.app.url_path_for("login"), status.HTTP_303_SEE_OTHER)


def signed_in(request: Request, session: Session) -> Visitor | Response:
    """The signed-in user, or the redirect to the login form."""
    found = visitor(request, session)
    return found if found is not None else to_login(request)


def page_error(
    request: Request, message: str, status_code: int, principal: Principal | None = None
) -> HTMLResponse:
    """The error page: a 403 or 404 in words, never the data or a traceback."""
    context = {"message": message, "principal": principal}
    return render(request, "error.html", context, status_code=status_code)


def form_post(request: Request, session: Session, csrf_token: str) -> Visitor | Response:
    """The CSRF check of a form post (the field, or htmx's header): a 403 page when it
    fails, the login form without a session."""
    sent = csrf_token or request.headers.get(CSRF_HEADER, "")
    try:
        found = check_form(request, session, sent)
    except Forbidden:
        return page_error(request, EXPIRED, 403)
    return found if found is not None else to_login(request)
