"""The opportunity pages. This module: the list (/opportunities: the caller's own or all
in their scope, filtered and paged by the service behind `GET /api/v1/opportunities`, so
the same scope and audit) and the new-opportunity form (/opportunities/new, also opened
from a customer's page with ?customer_id=). The router carries the pipeline page and the
record page too, in that order: /opportunities/pipeline and /new before /{id}."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.opportunities import parties, pipeline_views, record_views, service, words
from bankcrm.opportunities.forms import Errors, field_errors, rule_error
from bankcrm.opportunities.schemas import OpportunityIn, OpportunityQuery
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role
from bankcrm.web.deps import SessionDep, SettingsDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, form_post, page_number, render, signed_in

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
PAGE_SIZE = 25
RESULTS_ID = "opportunity-results"
NOT_SELLER = N_("Your role does not work opportunities.")
PARAMETERS: dict[str, str] = {
    "show": N_("Show"),
    "stage": N_("Stage"),
    "outcome": N_("Outcome"),
    "page": N_("Page"),
}
ONE_PARTY = N_("Give a customer number or a prospect number (one of the two).")
SHOW: dict[str, str] = {"mine": N_("Mine"), "all": N_("All in my scope")}
NEW_FIELDS = (
    "customer_no",
    "prospect_no",
    "product_id",
    "amount",
    "currency",
    "expected_close_on",
    "owner_id",
    "description",
)


def _query(
    principal: Principal, raw: dict[str, str]
) -> tuple[OpportunityQuery, dict[str, str], list[str]]:
    """The filters, what the form shows, and the refused parameters (named on the page)."""
    default_show = "mine" if principal.role is Role.ACCOUNT_MANAGER else "all"
    values = {"show": default_show, "outcome": "open"}
    values |= {k: raw[k].strip() for k in ("show", "stage", "outcome") if raw.get(k, "").strip()}
    refused: list[str] = []
    choices = {"show": SHOW, "stage": words.STAGES, "outcome": words.OUTCOMES}
    for name, allowed in choices.items():
        if name in values and values[name] not in allowed:
            refused.append(name)
            values.pop(name)
    fields: dict[str, object] = {"mine": values.get("show", default_show) == "mine" or None}
    if "stage" in values:
        fields["stage"] = values["stage"]
    outcome = values.get("outcome", "open")
    if outcome != "all":
        fields["outcome"] = outcome
    return OpportunityQuery(**fields), values, refused


@router.get("/opportunities", response_class=HTMLResponse, name="opportunity_list")
def opportunity_list(request: Request, session: SessionDep) -> Response:
    visitor = signed_in(request, session)
    if isinstance(visitor, Response):
        return visitor
    principal = visitor.principal
    query, values, refused = _query(principal, dict(request.query_params))
    number = page_number(request.query_params.get("page"))
    if number is None:
        refused.append("page")
        number = 1
    try:
        page = service.list_opportunities(
            session, principal, query, (number - 1) * PAGE_SIZE, PAGE_SIZE
        )
    except Forbidden:
        return error_page(request, NOT_SELLER, 403, principal)
    pages = max(1, (page.total - 1) // PAGE_SIZE + 1)

    def link(to_page: int) -> str:
        return "?" + urlencode({**values, "page": str(to_page)})

    context: dict[str, Any] = {
        "principal": principal,
        "page": page,
        "number": number,
        "pages": pages,
        "values": values,
        "refused": [PARAMETERS[name] for name in refused],
        "link": link,
        "words": words,
        "show_choices": SHOW,
        "results_id": RESULTS_ID,
    }
    partial = request.headers.get("hx-target") == RESULTS_ID
    if partial and not request.headers.get("hx-history-restore-request"):
        return render(request, "opportunities/_list_results.html", context)
    return render(request, "opportunities/list.html", context)


def _new_page(
    request: Request,
    session: Session,
    principal: Principal,
    values: dict[str, str],
    errors: Errors | None = None,
) -> Response:
    try:
        products, owners = parties.form_choices(session, principal)
    except Forbidden:
        return error_page(request, NOT_SELLER, 403, principal)
    context: dict[str, Any] = {
        "principal": principal,
        "products": {str(p.id): f"{p.name} ({p.currency})" for p in products},
        "owners": {str(k): v for k, v in owners.items()},
        "values": values,
        "errors": errors or {},
        "form_name": "new",
        "earliest": date.today().isoformat(),
    }
    return render(request, "opportunities/new.html", context)


@router.get("/opportunities/new", response_class=HTMLResponse, name="opportunity_new")
def opportunity_new(request: Request, session: SessionDep) -> Response:
    """The form; ?customer_id= (from the customer's page) fills in the customer."""
    visitor = signed_in(request, session)
    if isinstance(visitor, Response):
        return visitor
    principal = visitor.principal
    values = {"expected_close_on": (date.today() + timedelta(days=30)).isoformat()}
    raw = request.query_params.get("customer_id", "")
    if raw.isdigit() and 1 <= int(raw) <= 2_147_483_647:
        number = parties.customer_number(session, principal, int(raw))
        if number is not None:
            values["customer_no"] = number
    prospect = request.query_params.get("prospect_no", "").strip()[:40]
    if prospect:
        values["prospect_no"] = prospect
    return _new_page(request, session, principal, values)


@router.post("/opportunities/new", name="opportunity_create")
def opportunity_create(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    customer_no: FormText = "",
    prospect_no: FormText = "",
    product_id: FormText = "",
    amount: FormText = "",
    currency: FormText = "",
    expected_close_on: FormText = "",
    owner_id: FormText = "",
    description: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Open the opportunity and go to its page; errors are shown next to their field."""
    posted = form_post(request, session, csrf_token)
    if isinstance(posted, Response):
        return posted
    principal = posted.principal
    sent = (customer_no, prospect_no, product_id, amount, currency, expected_close_on, owner_id)
    values = dict(zip(NEW_FIELDS, (*sent, description), strict=True))
    values = {k: v.strip() for k, v in values.items()}
    errors: Errors = {}
    try:
        if bool(values["customer_no"]) == bool(values["prospect_no"]):
            raise InvalidInput("one of the two", "customer_no")
        customer_id, prospect_id = parties.party_ids(
            session, principal, values["customer_no"], values["prospect_no"]
        )
        fields = {k: v for k, v in values.items() if v and k not in ("customer_no", "prospect_no")}
        new = OpportunityIn(customer_id=customer_id, prospect_id=prospect_id, **fields)
        made = service.create_opportunity(session, settings, principal, new)
    except ValidationError as exc:
        errors = field_errors(exc)
    except (InvalidInput, Conflict) as exc:
        errors = rule_error(exc)
        if bool(values["customer_no"]) == bool(values["prospect_no"]):
            errors = {"customer_no": (ONE_PARTY, {})}
    except NotFound:
        errors = {"customer_no": (N_("No customer with this number is in your scope."), {})}
    except Forbidden:
        session.rollback()
        return error_page(request, NOT_SELLER, 403, principal)
    if errors:
        session.rollback()
        return _new_page(request, session, principal, values, errors)
    target = request.app.url_path_for("opportunity_page", opportunity_id=str(made.id))
    return RedirectResponse(f"{target}?notice=created", 303)


router.include_router(pipeline_views.router)
router.include_router(record_views.router)
