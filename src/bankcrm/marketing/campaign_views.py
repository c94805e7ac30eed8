"""The campaign list (/campaigns) and the new-campaign form (/campaigns/new).

Both call the services behind `GET` and `POST /api/v1/campaigns`. The form takes its
segment from the segment builder (the builder's fields in the address, carried in a hidden
field as the definition's JSON); bad input comes back as the form with each error next to
its field and writes nothing."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bankcrm.kit.errors import Conflict, Forbidden, NotFound
from bankcrm.marketing import service, workbench
from bankcrm.marketing.page_common import (
    CHANNELS,
    INVALID,
    NOT_A_CHOICE,
    NOT_ALLOWED,
    NOT_RUNNING,
    STATES,
    TERMS,
    field_errors,
    state,
)
from bankcrm.marketing.schemas import CampaignIn, SegmentDefinition
from bankcrm.marketing.segment_form import CHOICES, Errors, parse, to_query
from bankcrm.security.principal import Principal
from bankcrm.web import labels
from bankcrm.web.deps import SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, form_post, formatter, page_number, render, signed_in

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
FormText = Annotated[str, Form()]
ENDS_BEFORE = N_("The campaign cannot end before it starts.")
NO_PRODUCT = N_("This product does not exist.")
BAD_SEGMENT = N_("The segment has errors: change it in the segment builder.")
NO_SUCH_PAGE = N_("There is no such page; showing the last one.")


@router.get("/campaigns", response_class=HTMLResponse, name="campaign_list")
def campaign_list(request: Request, session: SessionDep) -> Response:
    """Campaigns the caller may see, newest first, with their results so far."""
    found = signed_in(request, session)
    if isinstance(found, Response):
        return found
    principal = found.principal
    if not workbench.may_read_campaigns(principal):
        return error_page(request, NOT_ALLOWED, 403, principal)
    number = page_number(request.query_params.get("page"))
    problem = None if number is not None else NO_SUCH_PAGE
    number = number or 1
    page = service.list_campaigns(session, principal, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    if page.total and not page.items:
        number, problem = (page.total - 1) // PAGE_SIZE + 1, NO_SUCH_PAGE
        page = service.list_campaigns(session, principal, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    today = formatter(request).today()
    states = {
        c.id: state(c.targeted_at is not None, c.starts_on, c.ends_on, today) for c in page.items
    }
    return render(
        request,
        "marketing/campaigns.html",
        {
            "principal": principal,
            "page": page,
            "number": number,
            "pages": max(1, (page.total - 1) // PAGE_SIZE + 1),
            "problem": problem,
            "states": states,
            "state_names": STATES,
            "channels": CHANNELS,
            "may_run": workbench.may_run_campaigns(principal),
        },
    )


def _form_context(
    session: Session,
    principal: Principal,
    segment: SegmentDefinition | None,
    values: dict[str, str],
    errors: Errors,
) -> dict[str, Any]:
    return {
        "principal": principal,
        "segment": segment,
        "segment_json": segment.model_dump_json(exclude_none=True) if segment else "",
        "segment_query": urlencode(to_query(segment)) if segment else "",
        "products": workbench.product_choices(session, principal),
        "channels": CHANNELS,
        "values": values,
        "errors": errors,
        "terms": TERMS,
        "choices": CHOICES,
        "labels": labels,
    }


@router.get("/campaigns/new", response_class=HTMLResponse, name="campaign_new")
def campaign_new(request: Request, session: SessionDep) -> Response:
    """The form, with the segment the builder sent in the address (everyone when none)."""
    found = signed_in(request, session)
    if isinstance(found, Response):
        return found
    principal = found.principal
    if not workbench.may_run_campaigns(principal):
        message = NOT_RUNNING if workbench.may_read_campaigns(principal) else NOT_ALLOWED
        return error_page(request, message, 403, principal)
    form = parse(lambda name: request.query_params.getlist(name))
    errors: Errors = {"segment": (BAD_SEGMENT, {})} if form.errors else {}
    today = formatter(request).today().isoformat()
    values = {"channel": "phone", "starts_on": today, "ends_on": today}
    context = _form_context(session, principal, form.segment, values, errors)
    if form.errors:
        context["segment_query"] = request.url.query
    return render(request, "marketing/campaign_new.html", context)


def _segment(raw: str) -> SegmentDefinition | None:
    try:
        return SegmentDefinition.model_validate_json(raw)
    except (ValidationError, ValueError):
        return None


@router.post("/campaigns/new", name="campaign_create")
def campaign_create(
    request: Request,
    session: SessionDep,
    name: FormText = "",
    product_id: FormText = "",
    channel: FormText = "",
    starts_on: FormText = "",
    ends_on: FormText = "",
    segment: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Create the campaign (as POST /api/v1/campaigns) and open its page."""
    found = form_post(request, session, csrf_token)
    if isinstance(found, Response):
        return found
    principal = found.principal
    if not workbench.may_run_campaigns(principal):
        return error_page(request, NOT_RUNNING, 403, principal)
    values = {
        "name": name,
        "product_id": product_id,
        "channel": channel,
        "starts_on": starts_on,
        "ends_on": ends_on,
    }
    definition = _segment(segment)
    errors: Errors = {}
    if definition is None:
        errors["segment"] = (BAD_SEGMENT, {})
    else:
        try:
            fields: dict[str, object] = {
                **values,
                "name": name.strip(),
                "product_id": product_id.strip() or None,
                "segment": definition,
            }
            body = CampaignIn.model_validate(fields)
            created = service.create_campaign(session, principal, body)
        except ValidationError as exc:
            errors = field_errors(exc)
        except NotFound:
            errors = {"product_id": (NO_PRODUCT, {})}
        except Conflict as exc:
            field = exc.field or "form"
            errors = {field: (ENDS_BEFORE if field == "ends_on" else INVALID, {})}
        except Forbidden:
            session.rollback()
            return error_page(request, NOT_RUNNING, 403, principal)
    if errors:
        session.rollback()
        if "product_id" in errors and errors["product_id"][0] == INVALID:
            errors["product_id"] = (NOT_A_CHOICE, {})
        context = _form_context(session, principal, definition, values, errors)
        # As the other forms: 200, so htmx swaps the form with its errors in place.
        partial = (
            "_campaign_form.html" if request.headers.get("HX-Request") else "campaign_new.html"
        )
        return render(request, f"marketing/{partial}", context)
    target = str(request.app.url_path_for("campaign_page", campaign_id=str(created.id)))
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)
