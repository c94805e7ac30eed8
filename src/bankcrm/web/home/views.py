"""The home page and the language switch (kept on the signed-in user too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Match

from bankcrm.kit.errors import Forbidden
from bankcrm.security import users
from bankcrm.security.roles import CustomerScope, View
from bankcrm.web import i18n
from bankcrm.web.deps import SessionDep
from bankcrm.web.home.areas import AREAS, areas_for
from bankcrm.web.i18n import N_
from bankcrm.web.pages import check_form, render, set_cookie, visitor

router = APIRouter(include_in_schema=False)

SCOPE_TEXT: dict[CustomerScope, str] = {
    CustomerScope.PORTFOLIO: N_("You see the customers of your own portfolio."),
    CustomerScope.BRANCH: N_("You see the customers of your branch."),
    CustomerScope.ALL: N_("You see every customer."),
    CustomerScope.NONE: N_("You see no customer records."),
}
VIEW_TEXT: dict[View, str] = {
    View.FULL: N_("Personal data is shown in full and every read is audited."),
    View.MASKED: N_("Identifiers are masked."),
    View.PSEUDONYMISED: N_("Customers appear under pseudonyms, without names."),
}


def _pages(request: Request) -> set[str]:
    """The paths the app serves as pages now: an area links to its page once it is here.
    Asks the app's routes whether they answer a GET of each area's path (FastAPI keeps an
    included router as one route of its own, so listing paths would miss its pages)."""
    served = set()
    for area in AREAS:
        probe = {"type": "http", "method": "GET", "path": area.page, "root_path": ""}
        for route in request.app.router.routes:
            match, _ = route.matches(probe)
            if match is Match.FULL:
                served.add(area.page)
                break
    return served


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request, session: SessionDep) -> Response:
    """The signed-in role's areas and nothing else; the login form for anyone else."""
    signed_in = visitor(request, session)
    if signed_in is None:
        return RedirectResponse(request.app.url_path_for("login"), status.HTTP_303_SEE_OTHER)
    principal = signed_in.principal
    policy = principal.policy
    return render(
        request,
        "home/home.html",
        {
            "principal": principal,
            "session_ends": signed_in.expires_at,
            "areas": areas_for(principal.role),
            "pages": _pages(request),
            "scope_text": SCOPE_TEXT[policy.scope],
            "view_text": VIEW_TEXT[policy.view] if policy.scope is not CustomerScope.NONE else None,
        },
    )


@router.post("/language", name="language")
def language(
    request: Request,
    session: SessionDep,
    language: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Keeps the chosen language in the browser's `bankcrm_lang` cookie for a year and, for
    a signed-in user, on the user (audited), so their next log-in anywhere speaks it."""
    try:
        signed_in = check_form(request, session, csrf_token)
    except Forbidden:
        return render(
            request,
            "error.html",
            {"message": N_("The form had expired. Reload the page and try again.")},
            status_code=403,
        )
    # Only a path of this site: never an open redirect to another host.
    target = next if next.startswith("/") and not next.startswith(("//", "/\\")) else "/"
    response = RedirectResponse(target, status.HTTP_303_SEE_OTHER)
    if language in i18n.LANGUAGES:
        if signed_in is not None:
            users.set_language(session, signed_in.principal, language)
        set_cookie(request, response, i18n.LANGUAGE_COOKIE, language, 365 * 24 * 3600)
    return response
