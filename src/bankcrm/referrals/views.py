"""The referral pages. This module: the list (/referrals, two tabs: the referrals I made,
with their outcomes, and those I am to handle) and the referral form (/referrals/new,
from the customer page's "Refer" button with the customer given, or with a customer or
prospect number typed in). The same services as `GET/POST /api/v1/referrals`: same
scope, masking and audit. The router also carries the referral page (`record_views`)
and the routing table (`route_views`); `/referrals/new` is matched before
`/referrals/{id}`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.referrals import record_views, route_views, service, terms
from bankcrm.referrals.forms import NO_PERSON, Errors, field_errors, rule_error
from bankcrm.referrals.schemas import ReferralIn, ReferralQuery
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role
from bankcrm.web.deps import SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, form_post, page_number, render, signed_in

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
PAGE_SIZE = 25
MAX_ID = 2_147_483_647
NOT_REFERRER = N_("Your role does not work with referrals.")
TABS: dict[str, str] = {"made": N_("Made by me"), "handle": N_("To handle")}
BAD_PAGE = N_("There is no such page; showing the first one.")


def _box(principal: Principal, tab: str) -> str:
    """The service's box of a tab: a branch manager handles their branch's referrals."""
    if tab == "made":
        return "made"
    return "branch" if principal.role is Role.BRANCH_MANAGER else "assigned"


@router.get("/referrals", response_class=HTMLResponse, name="referral_list")
def referral_list(request: Request, session: SessionDep) -> Response:
    """One tab of referrals, newest first, paged; each links to its page."""
    visitor = signed_in(request, session)
    if isinstance(visitor, Response):
        return visitor
    principal = visitor.principal
    tab = request.query_params.get("tab", "made")
    tab = tab if tab in TABS else "made"
    number = page_number(request.query_params.get("page"))
    problem = None
    if number is None:
        number, problem = 1, BAD_PAGE
    query = ReferralQuery(box=_box(principal, tab))
    try:
        page = service.list_referrals(
            session, principal, query, (number - 1) * PAGE_SIZE, PAGE_SIZE
        )
    except Forbidden:
        return error_page(request, NOT_REFERRER, 403, principal)
    pages = max(1, (page.total - 1) // PAGE_SIZE + 1)
    context: dict[str, Any] = {
        "principal": principal,
        "tab": tab,
        "tabs": TABS,
        "page": page,
        "number": number,
        "pages": pages,
        "problem": problem,
        "link": lambda to: "?" + urlencode({"tab": tab, "page": str(to)}),
        "terms": terms,
        "notice": request.query_params.get("notice") == "created",
    }
    return render(request, "referrals/list.html", context)


def _record_id(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_ID else None


def _render_form(
    request: Request,
    session: Session,
    principal: Principal,
    values: dict[str, str],
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    """The form; with a customer or prospect given, whom it is about as the caller may
    see them (an unknown id: the number field instead)."""
    try:
        person = None
        customer_id, prospect_id = (
            _record_id(values.get(k)) for k in ("customer_id", "prospect_id")
        )
        if customer_id or prospect_id:
            try:
                person = service.preview(session, principal, customer_id, prospect_id)
            except NotFound:
                values = {
                    k: v for k, v in values.items() if k not in ("customer_id", "prospect_id")
                }
        else:
            service.find_person(session, principal, "")  # the role check, nothing found
    except Forbidden:
        return error_page(request, NOT_REFERRER, 403, principal)
    context: dict[str, Any] = {
        "principal": principal,
        "person": person,
        "form_name": "refer",
        "values": values,
        "errors": errors or {},
        "terms": terms,
    }
    return render(request, "referrals/new.html", context, status_code=status_code)


@router.get("/referrals/new", response_class=HTMLResponse, name="referral_new")
def referral_new(request: Request, session: SessionDep) -> Response:
    visitor = signed_in(request, session)
    if isinstance(visitor, Response):
        return visitor
    values = {
        k: request.query_params[k]
        for k in ("customer_id", "prospect_id")
        if _record_id(request.query_params.get(k))
    }
    return _render_form(request, session, visitor.principal, values)


@router.post("/referrals/new", name="referral_create")
def referral_create(
    request: Request,
    session: SessionDep,
    customer_id: FormText = "",
    prospect_id: FormText = "",
    person: FormText = "",
    line: FormText = "",
    need: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Refer, then show the new referral (whom it went to and why)."""
    posted = form_post(request, session, csrf_token)
    if isinstance(posted, Response):
        return posted
    principal = posted.principal
    values = {
        "customer_id": customer_id,
        "prospect_id": prospect_id,
        "person": person,
        "line": line,
        "need": need,
    }
    errors: Errors | None = None
    try:
        ids = (_record_id(customer_id), _record_id(prospect_id))
        if ids == (None, None) and person.strip():
            ids = service.find_person(session, principal, person) or (None, None)
            if ids == (None, None):
                raise NotFound(NO_PERSON)
        fields: dict[str, object] = {"line": line, "need": need.strip()}
        fields.update({k: v for k, v in zip(("customer_id", "prospect_id"), ids, strict=True) if v})
        created = service.create_referral(session, principal, ReferralIn(**fields))
    except ValidationError as exc:
        errors = field_errors(exc)
    except (InvalidInput, Conflict, NotFound) as exc:
        errors = rule_error(exc)
    except Forbidden:
        session.rollback()
        return error_page(request, NOT_REFERRER, 403, principal)
    if errors:
        session.rollback()
        return _render_form(request, session, principal, values, errors)
    target = request.app.url_path_for("referral_page", referral_id=str(created.id))
    if request.headers.get("HX-Request"):  # the whole referral page, not the form's swap
        return Response(status_code=200, headers={"HX-Redirect": f"{target}?notice=created"})
    return RedirectResponse(f"{target}?notice=created", status.HTTP_303_SEE_OTHER)


router.include_router(route_views.router)
router.include_router(record_views.router)
