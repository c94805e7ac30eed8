"""The segment builder page (/segments) and, through `router`, the campaign pages.

The builder is a plain GET form (its address is the segment, so a link or reload shows the
same count); htmx posts it on every change to /segments/count, which answers the live count
(`service.preview` and `workbench.preview_split`: counts only, in the caller's scope) and
each field's error, swapped next to the field out of band. Roles that run campaigns get a
button that takes the segment to the new-campaign form."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from bankcrm.customers import portfolio
from bankcrm.marketing import service, workbench
from bankcrm.marketing.campaign_page import router as campaign_page_router
from bankcrm.marketing.campaign_views import router as campaign_list_router
from bankcrm.marketing.page_common import NOT_ALLOWED, TERMS
from bankcrm.marketing.segment_form import CHOICES, FIELDS, SegmentFields, SegmentForm, parse
from bankcrm.security.principal import Principal
from bankcrm.web import labels
from bankcrm.web.deps import SessionDep
from bankcrm.web.pages import error_page, form_post, render, signed_in

router = APIRouter(include_in_schema=False)
router.include_router(campaign_list_router)
router.include_router(campaign_page_router)

COUNT_ID = "segment-count"


def _context(session: Session, principal: Principal, form: SegmentForm) -> dict[str, Any]:
    """The builder's fields as sent, their errors and, for a valid segment, its counts."""
    preview = split = None
    if form.segment is not None:
        preview = service.preview(session, principal, form.segment)
        split = workbench.preview_split(session, principal, form.segment)
    query = urlencode([(k, v) for k in FIELDS for v in form.values.get(k, [])])
    return {
        "principal": principal,
        "values": form.values,
        "errors": form.errors,
        "preview": preview,
        "split": split,
        "choices": CHOICES,
        "terms": TERMS,
        "labels": labels,
        "branches": portfolio.branch_choices(session, principal),
        "may_run": workbench.may_run_campaigns(principal),
        "count_id": COUNT_ID,
        "error_fields": FIELDS,
        "query": query,
    }


@router.get("/segments", response_class=HTMLResponse, name="segment_builder")
def segment_builder(request: Request, session: SessionDep) -> Response:
    """The builder with the count of the segment in the address (everyone when empty)."""
    found = signed_in(request, session)
    if isinstance(found, Response):
        return found
    principal = found.principal
    if not workbench.may_read_campaigns(principal):
        return error_page(request, NOT_ALLOWED, 403, principal)
    form = parse(lambda name: request.query_params.getlist(name))
    return render(request, "marketing/segments.html", _context(session, principal, form))


@router.post("/segments/count", response_class=HTMLResponse, name="segment_count")
def segment_count(
    request: Request, session: SessionDep, fields: Annotated[SegmentFields, Form()]
) -> Response:
    """The live count: htmx posts the builder's fields here on every change. Errors go
    next to their fields (out of band); the count stays empty until they are fixed."""
    found = form_post(request, session, fields.csrf_token)
    if isinstance(found, Response):
        return found
    principal = found.principal
    if not workbench.may_read_campaigns(principal):
        return error_page(request, NOT_ALLOWED, 403, principal)
    form = parse(fields.get_list)
    context = _context(session, principal, form)
    return render(request, "marketing/_segment_count.html", {**context, "oob": True})
