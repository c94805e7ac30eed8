"""Server-rendered pages: the Jinja2 templates, what every page gets (language, CSRF token,
the signed-in user) and the CSRF check of form posts.

Every form carries a hidden `csrf_token` and htmx requests send it as `X-CSRF-Token`
(`hx-headers` on <body>). Its value is in the HttpOnly cookie `bankcrm_csrf`: after log-in
the token issued with the browser session (checked against the session's stored hash, as
the API does), before log-in a random one checked against the cookie (double submit),
so the login form and the language switch cannot be posted from another site either.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from bankcrm.config import Settings
from bankcrm.kit.errors import Forbidden
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role
from bankcrm.web import i18n
from bankcrm.web.analytics_words import analytics_text
from bankcrm.web.deps import CSRF_HEADER, browser_session, check_csrf
from bankcrm.web.i18n import N_

WEB = Path(__file__).parent
CSRF_COOKIE = "bankcrm_csrf"
CSRF_FIELD = "csrf_token"

# Role names as the pages show them (msgids of the catalogue).
ROLE_NAMES: dict[Role, str] = {
    Role.ACCOUNT_MANAGER: N_("Account manager"),
    Role.BRANCH_MANAGER: N_("Branch manager"),
    Role.SERVICE_AGENT: N_("Service agent"),
    Role.PRODUCT_MANAGER: N_("Product manager"),
    Role.EXECUTIVE: N_("Executive"),
    Role.ANALYST: N_("Analyst"),
    Role.AUDITOR: N_("Auditor"),
    Role.ADMIN: N_("Administrator"),
}


@dataclass(frozen=True)
class Visitor:
    """A signed-in browser user and when their session ends."""

    principal: Principal
    expires_at: datetime


def visitor(request: Request, session: Session) -> Visitor | None:
    found = browser_session(request, session)
    if found is None:
        return None
    principal, record = found
    i18n.remember_user_language(request, principal.language)
    return Visitor(principal, record.expires_at)


def formatter(request: Request) -> i18n.Formatter:
    settings: Settings = request.app.state.settings
    code = i18n.language_of(request)
    region = i18n.regional(code, request.headers.get("accept-language", ""))
    return i18n.Formatter(code, ZoneInfo(settings.display_timezone), region)


def page_csrf(request: Request) -> str:
    """The token this page's forms carry: the browser's, or a new one (set by `render`)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "minted_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.minted_csrf = token
    return token


URL_CACHE_SIZE = 20_000  # paths remembered per app: a page links dozens of them


def app_path(request: Request, name: str, **params: object) -> str:
    """`url_path_for`, remembered: Starlette tries every route in turn for each link, which
    took a tenth of the customer page's server time (benchmarks/bench_pages.py)."""
    cache: dict[tuple[str, tuple[tuple[str, str], ...]], str] | None = getattr(
        request.app.state, "page_paths", None
    )
    if cache is None or len(cache) >= URL_CACHE_SIZE:
        cache = request.app.state.page_paths = {}
    key = (name, tuple(sorted((k, str(v)) for k, v in params.items())))
    found = cache.get(key)
    if found is None:
        found = cache[key] = str(request.app.url_path_for(name, **params))
    return found


def _page_context(request: Request) -> dict[str, Any]:
    fmt = formatter(request)

    def url(name: str, **params: str) -> str:
        """A path, not an absolute URL: right behind a proxy that terminates TLS too."""
        return app_path(request, name, **params)

    return {
        "url": url,
        "i18n": fmt,
        "_": fmt.gettext,
        "csrf_token": page_csrf(request),
        "csrf_field": CSRF_FIELD,
        "languages": i18n.LANGUAGES,
        "role_names": ROLE_NAMES,
    }


templates = Jinja2Templates(directory=WEB / "templates", context_processors=[_page_context])
# The analytics engine's English texts in the page's language: {{ text | analytics_text }}.
templates.env.filters["analytics_text"] = analytics_text


def set_cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    """An HttpOnly, SameSite=Strict cookie for the whole site (Secure unless configured)."""
    settings: Settings = request.app.state.settings
    response.set_cookie(
        name,
        value,
        max_age=age,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="strict",
        path="/",
    )


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A page; a CSRF token minted while rendering it goes out as the browser's cookie."""
    response = templates.TemplateResponse(
        request, name, context or {}, status_code=status_code, headers=headers
    )
    minted = getattr(request.state, "minted_csrf", None)
    if minted:
        set_cookie(request, response, CSRF_COOKIE, minted, 24 * 3600)
    return response


def check_form(request: Request, session: Session, sent: str) -> Visitor | None:
    """The CSRF check of a form post: a signed-in browser must send its session's token,
    any other the token of its `bankcrm_csrf` cookie. Returns the signed-in user, if any."""
    found = browser_session(request, session)
    if found is not None:
        principal, record = found
        i18n.remember_user_language(request, principal.language)
        check_csrf(record, sent, "form token")
        return Visitor(principal, record.expires_at)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not sent or not cookie or not secrets.compare_digest(sent, cookie):
        raise Forbidden("missing or wrong form token: reload the page and try again")
    return None


FORM_EXPIRED = N_("The form had expired. Reload the page and try again.")


def to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(request.app.url_path_for("login"), status.HTTP_303_SEE_OTHER)


def signed_in(request: Request, session: Session) -> Visitor | Response:
    """The signed-in user, or the way to the login form."""
    found = visitor(request, session)
    return found if found is not None else to_login(request)


def error_page(
    request: Request, message: str, status_code: int, principal: Principal | None = None
) -> HTMLResponse:
    """The error page: a 403 or 404 in words, never the data or a traceback."""
    context = {"message": message, "principal": principal}
    return render(request, "error.html", context, status_code=status_code)


def form_post(request: Request, session: Session, csrf_token: str) -> Visitor | Response:
    """The CSRF check of a page's form post (the field, or htmx's header): the signed-in
    user, a 403 page when the token is wrong, the login form without a session."""
    sent = csrf_token or request.headers.get(CSRF_HEADER, "")
    try:
        found = check_form(request, session, sent)
    except Forbidden:
        return error_page(request, FORM_EXPIRED, 403)
    return found if found is not None else to_login(request)


MAX_PAGE = 100_000  # a page number beyond this is a typing error, not a page


def page_number(raw: str | None) -> int | None:
    """The 1-based page of `?page=` (1 when absent); None when it is not a whole number
    from 1 to MAX_PAGE, for the page to say so."""
    raw = (raw or "").strip()
    if not raw:
        return 1
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE else None
