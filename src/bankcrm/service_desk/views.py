"""The service desk's pages. This module: the case queue (/cases), the caller's cases soonest
due first with their SLA state, filtered and paged by the service behind `GET /api/v1/cases`
(same scope, masking and audit). The filter form and the pager are plain GET links; with
htmx they replace only the results (`#case-results`) and push the address.

The router also carries the service-quality page (`analytics_views`) and the case page
(`case_views`), in that order: `/cases/analytics` must be matched before `/cases/{id}`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from bankcrm.kit.errors import Forbidden
from bankcrm.service_desk import analytics_views, case_views, service, sla
from bankcrm.service_desk.schemas import CaseQuery
from bankcrm.web import labels
from bankcrm.web.deps import SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import page_number, render, visitor

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
RESULTS_ID = "case-results"
FILTERS = ("status", "kind", "priority", "breached")
# The status filter: the queue shows the unresolved cases unless asked otherwise.
STATUS_CHOICES: dict[str, str] = {
    "unresolved": N_("Open or in progress"),
    **labels.CASE_STATUSES,
    "all": N_("Any status"),
}
PARAMETERS: dict[str, str] = {
    "status": N_("Status"),
    "kind": N_("Kind"),
    "priority": N_("Priority"),
    "breached": N_("SLA breached only"),
    "page": N_("Page"),
}
NOT_HANDLER = N_("Your role does not handle service cases.")


def _to_query(values: dict[str, str]) -> CaseQuery:
    """The service's filter for the form's values (ValidationError names a bad one)."""
    fields: dict[str, object] = {}
    chosen = values.get("status", "unresolved")
    if chosen == "unresolved":
        fields["unresolved"] = True
    elif chosen != "all":
        fields["status"] = chosen
    for name in ("kind", "priority"):
        if name in values:
            fields[name] = values[name]
    if "breached" in values:
        if values["breached"] != "1":
            raise ValueError("breached")
        fields["breached"] = True
    return CaseQuery(**fields)


def _query(raw: dict[str, str]) -> tuple[CaseQuery, dict[str, str], list[str]]:
    """The filters the service accepts, what the form shows, and the refused parameters
    (dropped and named on the page, never a server error)."""
    values = {k: raw[k].strip() for k in FILTERS if raw.get(k, "").strip()}
    refused: list[str] = []
    for name in FILTERS:
        if name not in values:
            continue
        if name == "status" and values[name] in ("unresolved", "all"):
            continue
        try:
            _to_query({name: values[name]})
        except (ValidationError, ValueError):
            refused.append(name)
            values.pop(name)
    return _to_query(values), values, refused


@router.get("/cases", response_class=HTMLResponse, name="case_queue")
def case_queue(request: Request, session: SessionDep) -> Response:
    """The queue: open cases soonest due first, SLA state marked, each linking to its page."""
    signed_in = visitor(request, session)
    if signed_in is None:
        return RedirectResponse(request.app.url_path_for("login"), status.HTTP_303_SEE_OTHER)
    principal = signed_in.principal
    query, values, refused = _query(dict(request.query_params))
    number = page_number(request.query_params.get("page"))
    if number is None:
        refused.append("page")
        number = 1
    try:
        page = service.list_cases(session, principal, query, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    except Forbidden:
        return render(
            request,
            "error.html",
            {"message": NOT_HANDLER, "principal": principal},
            status_code=403,
        )
    past_end = page.total > 0 and not page.items
    if past_end:
        number = (page.total - 1) // PAGE_SIZE + 1
        page = service.list_cases(session, principal, query, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, (page.total - 1) // PAGE_SIZE + 1)
    now = datetime.now(UTC)

    def link(to_page: int) -> str:
        return "?" + urlencode({**values, "page": str(to_page)})

    context: dict[str, Any] = {
        "principal": principal,
        "page": page,
        "rows": [(c, sla.sla_state(c, now), sla.hours_left(c, now)) for c in page.items],
        "number": number,
        "pages": pages,
        "values": values,
        "refused": [PARAMETERS[name] for name in refused],
        "past_end": past_end,
        "link": link,
        "labels": labels,
        "status_choices": STATUS_CHOICES,
        "results_id": RESULTS_ID,
    }
    partial = request.headers.get("hx-target") == RESULTS_ID
    if partial and not request.headers.get("hx-history-restore-request"):
        return render(request, "service_desk/_queue_results.html", context)
    return render(request, "service_desk/queue.html", context)


router.include_router(analytics_views.router)
router.include_router(case_views.router)
