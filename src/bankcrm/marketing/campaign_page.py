"""The campaign page (/campaigns/{id}): its definition, its results (an ECharts bar chart), and for
the roles that run campaigns the target list (paged, masked per role, the consent
exclusions stated), the button that builds it and each member's outcome buttons.

The services decide: `service.get_campaign` (aggregates for executives and analysts),
`workbench.target_page` (masking and audit), `service.build_target_list` and
`service.record_outcome` (the API's rules). An outcome posted with htmx answers the
member's row and the results (out of band); without htmx it returns to the page."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from bankcrm.kit.errors import Conflict, Forbidden, NotFound
from bankcrm.marketing import service, workbench
from bankcrm.marketing.page_common import (
    CHANNELS,
    EXCLUSIONS,
    MEMBER_STATUSES,
    NOT_ALLOWED,
    NOT_FOUND,
    NOT_RUNNING,
    STATES,
    TERMS,
    state,
)
from bankcrm.marketing.schemas import CampaignOut, MemberOut, OutcomeIn, Results, TargetPage
from bankcrm.marketing.segment_form import CHOICES, to_query
from bankcrm.security.principal import Principal
from bankcrm.web import labels
from bankcrm.web.deps import SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, form_post, formatter, page_number, render, signed_in

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
FormText = Annotated[str, Form()]
NOTICES: dict[str, str] = {
    "built": N_("The target list is built: only customers with marketing consent are on it."),
    "final": N_("Outcomes are recorded already: the target list is final."),
    "refused": N_("The outcome was not recorded: it clashes with what is recorded."),
}
OUTCOME_ERRORS: dict[str, str] = {
    "at": N_("The campaign has not started yet: record outcomes from its first day."),
    "outcome": N_("This clashes with the outcome recorded meanwhile."),
    "invalid": N_("Choose one of the options."),
}
STAGES = (
    ("targeted", N_("Targeted")),
    ("contacted", N_("Contacted")),
    ("accepted", N_("Accepted")),
    ("declined", N_("Declined")),
)


def _id(raw: str) -> int | None:
    """A record id from the address; None for anything else (a 404 page, not an error)."""
    raw = raw.strip()
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 2**31 - 1 else None


def _chart(request: Request, results: Results) -> dict[str, Any]:
    """What campaigns.js draws: the stages in the page's language."""
    gettext = formatter(request).gettext
    return {
        "stages": [
            {"name": gettext(words), "value": getattr(results, key)} for key, words in STAGES
        ],
    }


def _common(request: Request, principal: Principal, campaign_id: int) -> dict[str, Any]:
    return {
        "principal": principal,
        "campaign_id": campaign_id,
        "member_statuses": MEMBER_STATUSES,
        "outcome_errors": OUTCOME_ERRORS,
        "may_run": workbench.may_run_campaigns(principal),
    }


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse, name="campaign_page")
def campaign_page(campaign_id: str, request: Request, session: SessionDep) -> Response:
    found = signed_in(request, session)
    if isinstance(found, Response):
        return found
    principal = found.principal
    if not workbench.may_read_campaigns(principal):
        return error_page(request, NOT_ALLOWED, 403, principal)
    number_id = _id(campaign_id)
    if number_id is None:
        return error_page(request, NOT_FOUND, 404, principal)
    try:
        campaign: CampaignOut = service.get_campaign(session, principal, number_id)
    except NotFound:
        return error_page(request, NOT_FOUND, 404, principal)
    common = _common(request, principal, campaign.id)
    number = page_number(request.query_params.get("page"))
    bad_page = number is None
    target: TargetPage | None = None
    pages = 1
    if common["may_run"] and campaign.targeted_at is not None:
        number = number or 1
        target = workbench.target_page(
            session, principal, campaign.id, (number - 1) * PAGE_SIZE, PAGE_SIZE
        )
        pages = max(1, (target.targeted - 1) // PAGE_SIZE + 1)
        if number > pages:
            bad_page, number = True, pages
            target = workbench.target_page(
                session, principal, campaign.id, (number - 1) * PAGE_SIZE, PAGE_SIZE
            )
    today = formatter(request).today()
    context = {
        **common,
        "campaign": campaign,
        "built": campaign.targeted_at is not None,
        "state": state(
            campaign.targeted_at is not None, campaign.starts_on, campaign.ends_on, today
        ),
        "state_names": STATES,
        "channels": CHANNELS,
        "terms": TERMS,
        "choices": CHOICES,
        "labels": labels,
        "segment": campaign.segment,
        "segment_query": urlencode(to_query(campaign.segment)),
        "results": campaign.results,
        "chart": _chart(request, campaign.results),
        "target": target,
        "exclusions": EXCLUSIONS,
        "number": number or 1,
        "pages": pages,
        "bad_page": bad_page,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "page_size": PAGE_SIZE,
    }
    return render(request, "marketing/campaign.html", context)


def _to_page(request: Request, campaign_id: int, notice: str = "", page: str = "") -> Response:
    target = str(request.app.url_path_for("campaign_page", campaign_id=str(campaign_id)))
    query = [f"notice={notice}"] if notice else []
    if page.isdigit() and int(page) > 1:
        query.append(f"page={page}")
    return RedirectResponse(
        target + ("?" + "&".join(query) if query else ""), status.HTTP_303_SEE_OTHER
    )


@router.post("/campaigns/{campaign_id}/target-list", name="campaign_build")
def campaign_build(
    campaign_id: str, request: Request, session: SessionDep, csrf_token: FormText = ""
) -> Response:
    """Build (or rebuild) the target list, as POST /api/v1/campaigns/{id}/target-list."""
    found = form_post(request, session, csrf_token)
    if isinstance(found, Response):
        return found
    principal = found.principal
    number_id = _id(campaign_id)
    if number_id is None:
        return error_page(request, NOT_FOUND, 404, principal)
    try:
        service.build_target_list(session, principal, number_id)
    except Forbidden:
        return error_page(request, NOT_RUNNING, 403, principal)
    except NotFound:
        return error_page(request, NOT_FOUND, 404, principal)
    except Conflict:
        session.rollback()
        return _to_page(request, number_id, "final")
    return _to_page(request, number_id, "built")


@router.post("/campaigns/{campaign_id}/members/{member_id}/outcome", name="campaign_outcome")
def campaign_outcome(
    campaign_id: str,
    member_id: str,
    request: Request,
    session: SessionDep,
    outcome: FormText = "",
    page: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Record contacted, accepted or declined (as PATCH /api/v1/campaigns/{id}/members/{m})."""
    found = form_post(request, session, csrf_token)
    if isinstance(found, Response):
        return found
    principal = found.principal
    campaign, number = _id(campaign_id), _id(member_id)
    if campaign is None or number is None:
        return error_page(request, NOT_FOUND, 404, principal)
    problem: str | None = None
    member: MemberOut | None = None
    try:
        member = service.record_outcome(
            session, principal, campaign, number, OutcomeIn.model_validate({"outcome": outcome})
        )
    except ValidationError:
        problem = "invalid"
    except Conflict as exc:
        problem = "at" if exc.field == "at" else "outcome"
    except Forbidden:
        return error_page(request, NOT_RUNNING, 403, principal)
    except NotFound:
        return error_page(request, NOT_FOUND, 404, principal)
    if problem is not None:
        session.rollback()
    if not request.headers.get("HX-Request"):
        return _to_page(request, campaign, "refused" if problem else "", page)
    if problem is not None:
        member = workbench.member(session, principal, campaign, number)
    results = service.results(session, principal, campaign)
    context = {
        **_common(request, principal, campaign),
        "member": member,
        "built": True,
        "problem": problem,
        "results": results,
        "chart": _chart(request, results),
        "number": int(page) if page.isdigit() and int(page) <= 100_000 else 1,
        "oob": True,
    }
    return render(request, "marketing/outcome_answer.html", context)
