"""The customer list page (/customers): the caller's scope searched, filtered, sorted and
paged by the service behind `GET /api/v1/customers` (so the same scope, masking and
audit). The filter form and the pager are plain GET links; with htmx they replace only the
results (`#customer-results`) and push the address, so a reload shows the same page.
Account and branch managers also get the bulk action: a checkbox per row and a form that
proposes a handover of the selected customers (posted to `staff/handover_views.py`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from bankcrm.customers import portfolio, service
from bankcrm.customers.schemas import CustomerQuery
from bankcrm.security.roles import CustomerScope
from bankcrm.staff import choices
from bankcrm.web import labels
from bankcrm.web.deps import SessionDep, SettingsDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import page_number, render, visitor

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
RESULTS_ID = "customer-results"
FILTERS = ("q", "tier", "band", "branch_id", "min_churn_probability", "sort")
SORTS: dict[str, str] = {
    "name": N_("Name, A to Z"),
    "-name": N_("Name, Z to A"),
    "-value_at_risk": N_("Value at risk, highest first"),
    "-churn_probability": N_("Churn risk, highest first"),
    "-contribution": N_("Contribution, highest first"),
    "-clv": N_("Lifetime value, highest first"),
    "customer_no": N_("Customer number"),
    "-onboarded_on": N_("Newest customers first"),
}
# Churn probability thresholds offered, with how the page writes them ("30% or more").
CHURN_CHOICES: dict[str, str] = {"0.3": "30%", "0.5": "50%", "0.7": "70%"}
# What a refused parameter is called in the page's message.
PARAMETERS: dict[str, str] = {
    "q": N_("Search"),
    "tier": N_("Tier"),
    "band": N_("Value band"),
    "branch_id": N_("Branch"),
    "min_churn_probability": N_("Churn risk"),
    "sort": N_("Sort"),
    "page": N_("Page"),
}


def _query(raw: dict[str, str]) -> tuple[CustomerQuery, dict[str, str], list[str]]:
    """The filters the service accepts, what the form shows, and the names of refused
    parameters (they are dropped, never a server error)."""
    values = {k: raw[k].strip() for k in FILTERS if raw.get(k, "").strip()}
    refused: list[str] = []
    while True:
        try:
            return CustomerQuery(**values), values, refused
        except ValidationError as exc:
            bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
            if not bad & values.keys():  # cannot happen: every field is optional
                return CustomerQuery(), {}, [*refused, *sorted(values)]
            for name in sorted(bad & values.keys()):
                refused.append(name)
                values.pop(name)


@router.get("/customers", response_class=HTMLResponse, name="customer_list")
def customer_list(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    signed_in = visitor(request, session)
    if signed_in is None:
        return RedirectResponse(request.app.url_path_for("login"), status.HTTP_303_SEE_OTHER)
    principal = signed_in.principal
    if principal.policy.scope is CustomerScope.NONE:
        return render(
            request,
            "error.html",
            {"message": N_("Your role sees no customer records."), "principal": principal},
            status_code=403,
        )
    query, values, refused = _query(dict(request.query_params))
    number = page_number(request.query_params.get("page"))
    if number is None:
        refused.append("page")
        number = 1
    page = service.list_customers(
        session, settings, principal, query, (number - 1) * PAGE_SIZE, PAGE_SIZE
    )
    past_end = page.total > 0 and not page.items
    if past_end:
        number = (page.total - 1) // PAGE_SIZE + 1
        page = service.list_customers(
            session, settings, principal, query, (number - 1) * PAGE_SIZE, PAGE_SIZE
        )
    pages = max(1, (page.total - 1) // PAGE_SIZE + 1)

    def link(to_page: int) -> str:
        return "?" + urlencode({**values, "page": str(to_page)})

    context: dict[str, Any] = {
        "principal": principal,
        "page": page,
        "number": number,
        "pages": pages,
        "values": values,
        "refused": [PARAMETERS[name] for name in refused if name in PARAMETERS],
        "past_end": past_end,
        "link": link,
        "labels": labels,
        "sorts": SORTS,
        "churn_choices": CHURN_CHOICES,
        "branches": portfolio.branch_choices(session, principal),
        "opens_customers": principal.policy.customer_detail,
        "currency": labels.REPORTING_CURRENCY,
        "results_id": RESULTS_ID,
        # The bulk action: roles that may propose handovers get a checkbox per row.
        "handover": choices.handover_choices(session, principal),
        "form_values": {},
        "form_errors": {},
    }
    partial = request.headers.get("hx-target") == RESULTS_ID
    if partial and not request.headers.get("hx-history-restore-request"):
        return render(request, "customers/_list_results.html", context)
    return render(request, "customers/list.html", context)
