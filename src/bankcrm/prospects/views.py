"""The prospect list page (/prospects) and its new-prospect form: the same services as
`GET` and `POST /api/v1/prospects`, so the same scope, masking and audit. Filters and the
pager are plain GET links; the form posts, and comes back with each error next to its
field (nothing written) or goes on to the new prospect's page."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.prospects import access, forms, service
from bankcrm.prospects.schemas import ProspectIn, ProspectQuery
from bankcrm.security.principal import Principal
from bankcrm.web import labels
from bankcrm.web.deps import SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, form_post, page_number, render, signed_in

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
PAGE_SIZE = 25
FILTERS = ("q", "status", "source", "sort")
SORTS: dict[str, str] = {
    "-created_at": N_("Newest first"),
    "next_step_on": N_("Next step, soonest first"),
    "name": N_("Name, A to Z"),
    "prospect_no": N_("Prospect number"),
}
NO_PROSPECTS = N_("Your role sees no prospect records.")
NEW_FIELDS = (
    "kind", "source", "first_name", "last_name", "company_name", "national_id", "birth_date",
    "email", "phone", "city", "needs", "next_step", "next_step_on",
)  # fmt: skip


def _query(raw: dict[str, str]) -> tuple[ProspectQuery, dict[str, str], bool]:
    """The filters the service accepts, what the form shows, and whether any was refused
    (a refused filter is dropped, never a server error)."""
    values = {k: raw[k].strip() for k in FILTERS if raw.get(k, "").strip()}
    try:
        return ProspectQuery(**values), values, False
    except ValidationError as exc:
        bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        kept = {k: v for k, v in values.items() if k not in bad}
        return ProspectQuery(**kept), kept, True


def _list_page(
    request: Request,
    session: Session,
    principal: Principal,
    form_values: dict[str, str] | None = None,
    form_errors: forms.Errors | None = None,
    status_code: int = 200,
) -> Response:
    query, values, refused = _query(dict(request.query_params))
    number = page_number(request.query_params.get("page"))
    refused = refused or number is None
    number = number or 1
    page = service.list_prospects(session, principal, query, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, (page.total - 1) // PAGE_SIZE + 1)

    def link(to_page: int) -> str:
        return "?" + urlencode({**values, "page": str(to_page)})

    context: dict[str, Any] = {
        "principal": principal,
        "page": page,
        "number": number,
        "pages": pages,
        "values": form_values or {},
        "filters": values,
        "refused": refused,
        "link": link,
        "labels": labels,
        "sorts": SORTS,
        "opens": principal.policy.customer_detail,
        "can_write": principal.policy.writes_customers,
        "form_name": "new" if form_errors is not None else None,
        "errors": form_errors or {},
        "done": None,
    }
    return render(request, "prospects/list.html", context, status_code=status_code)


@router.get("/prospects", response_class=HTMLResponse, name="prospect_list")
def prospect_list(request: Request, session: SessionDep) -> Response:
    """Prospects in the caller's scope, with the new-prospect form for roles that write."""
    found = signed_in(request, session)
    if isinstance(found, Response):
        return found
    try:
        access.require_lists(found.principal)
    except Forbidden:
        return error_page(request, NO_PROSPECTS, 403, found.principal)
    return _list_page(request, session, found.principal)


@router.post("/prospects", name="prospect_create")
def prospect_create(
    request: Request,
    session: SessionDep,
    kind: FormText = "individual",
    source: FormText = "",
    first_name: FormText = "",
    last_name: FormText = "",
    company_name: FormText = "",
    national_id: FormText = "",
    birth_date: FormText = "",
    email: FormText = "",
    phone: FormText = "",
    city: FormText = "",
    needs: FormText = "",
    next_step: FormText = "",
    next_step_on: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Add a prospect, as POST /api/v1/prospects; then its page."""
    posted = form_post(request, session, csrf_token)
    if isinstance(posted, Response):
        return posted
    principal = posted.principal
    typed = {
        "kind": kind, "source": source, "first_name": first_name, "last_name": last_name,
        "company_name": company_name, "national_id": national_id, "birth_date": birth_date,
        "email": email, "phone": phone, "city": city, "needs": needs, "next_step": next_step,
        "next_step_on": next_step_on,
    }  # fmt: skip
    fields: dict[str, Any] = {name: forms.optional(typed[name]) for name in NEW_FIELDS}
    try:
        created = service.create_prospect(session, principal, ProspectIn(**fields))
    except ValidationError as exc:
        errors = forms.field_errors(exc)
    except (InvalidInput, Conflict, NotFound) as exc:
        errors = forms.rule_error(exc)
    except Forbidden:
        session.rollback()
        return error_page(request, forms.NOT_ALLOWED, 403, principal)
    else:
        target = request.app.url_path_for("prospect_page", prospect_id=str(created.id))
        return RedirectResponse(str(target), status.HTTP_303_SEE_OTHER)
    session.rollback()  # as the API: a refused request leaves nothing behind
    return _list_page(request, session, principal, typed, errors)
