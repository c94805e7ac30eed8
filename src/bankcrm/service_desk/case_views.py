"""The case page (/cases/{id}) and its two forms: work on the case (status, assignee,
priority, resolution: `service.update_case`, as `PATCH /api/v1/cases/{id}`) and the
customer's satisfaction survey (`service.record_survey`, as `POST .../survey`).

A form (htmx or plain) answers with the page: with each error next to its field and
nothing written, or, after a change, a redirect to the page with what was done. A stale
`version` shows the case as it is now with the "someone changed it" message. Case ids
that are not numbers, or not in the caller's scope, are the 404 page; roles that do not
handle cases get the 403 page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.security.principal import Principal
from bankcrm.security.roles import View
from bankcrm.service_desk import service, sla
from bankcrm.service_desk.case_forms import (
    Errors,
    change_of,
    field_errors,
    rule_error,
    survey_of,
)
from bankcrm.service_desk.schemas import CaseChange, CaseOut
from bankcrm.web import labels
from bankcrm.web.deps import SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, form_post, render, visitor

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
MAX_ID = 2_147_483_647
NOT_FOUND = N_("This case does not exist or is not in your scope.")
NOT_HANDLER = N_("Your role does not handle service cases.")
NOTICES: dict[str, str] = {
    "updated": N_("The case is updated."),
    "survey": N_("The survey is recorded and the case is closed."),
}
SURVEY_SCORES = {"csat": range(1, 6), "nps": range(0, 11)}


def _case_id(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_ID else None


def _history(case: CaseOut) -> list[tuple[datetime, str, dict[str, object]]]:
    """What happened to the case, oldest first, from what the service returns."""
    events: list[tuple[datetime, str, dict[str, object]]] = [
        (case.opened_at, N_("Opened by %(who)s"), {"who": case.opened_by})
        if case.opened_by
        else (case.opened_at, N_("Case opened"), {})
    ]
    if case.escalation is not None:
        to = case.escalation.to_username or "—"
        events.append((case.escalation.at, N_("SLA breached: escalated to %(who)s"), {"who": to}))
    if case.resolved_at is not None:
        events.append((case.resolved_at, N_("Resolved"), {}))
    if case.closed_at is not None:
        events.append((case.closed_at, N_("Closed"), {}))
    if case.survey is not None:
        who = case.survey.recorded_by
        events.append((case.survey.recorded_at, N_("Survey recorded by %(who)s"), {"who": who}))
    return sorted(events, key=lambda e: e[0])


def _render_case(
    request: Request,
    session: Session,
    principal: Principal,
    case_id: int,
    form_name: str | None = None,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
) -> Response:
    """The page as the caller may see the case (masked per role, read audited as the API)."""
    try:
        case = service.get_case(session, principal, case_id)
        assignees = service.assignees(session, principal)
    except NotFound:
        return error_page(request, NOT_FOUND, 404, principal)
    except Forbidden:
        return error_page(request, NOT_HANDLER, 403, principal)
    now = datetime.now(UTC)
    moves = sorted(service.MOVES[case.status] - {case.status})
    context: dict[str, Any] = {
        "principal": principal,
        "case": case,
        "state": sla.sla_state(case, now),
        "hours": sla.hours_left(case, now),
        "masked": case.view is not View.FULL,
        "assignees": assignees,
        "assignee": assignees.get(case.assignee_id) if case.assignee_id else None,
        "moves": {code: labels.CASE_STATUSES[code] for code in moves},
        "can_work": principal.policy.writes_customers and bool(moves),
        "can_survey": principal.policy.writes_customers
        and case.status in ("resolved", "closed")
        and case.survey is None,
        "opens_customer": principal.policy.customer_detail,
        "history": _history(case),
        "scores": SURVEY_SCORES,
        "labels": labels,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "form_name": form_name,
        "values": values or {},
        "errors": errors or {},
    }
    return render(request, "service_desk/case.html", context)


@router.get("/cases/{case_id}", response_class=HTMLResponse, name="case_page")
def case_page(case_id: str, request: Request, session: SessionDep) -> Response:
    signed_in = visitor(request, session)
    if signed_in is None:
        return RedirectResponse(request.app.url_path_for("login"), status.HTTP_303_SEE_OTHER)
    found = _case_id(case_id)
    if found is None:
        return error_page(request, NOT_FOUND, 404, signed_in.principal)
    return _render_case(request, session, signed_in.principal, found)


def _form_post(
    request: Request, session: Session, case_id: str, csrf_token: str
) -> tuple[Principal, int] | Response:
    """The CSRF check (the field, or htmx's header) and the case id of a form post."""
    signed = form_post(request, session, csrf_token)
    if isinstance(signed, Response):
        return signed
    found = _case_id(case_id)
    if found is None:
        return error_page(request, NOT_FOUND, 404, signed.principal)
    return signed.principal, found


def _done(request: Request, case_id: int, notice: str) -> Response:
    target = request.app.url_path_for("case_page", case_id=str(case_id))
    return RedirectResponse(f"{target}?notice={notice}", status.HTTP_303_SEE_OTHER)


@router.post("/cases/{case_id}", name="case_update")
def case_update(
    case_id: str,
    request: Request,
    session: SessionDep,
    version: FormText = "",
    status_to: Annotated[str, Form(alias="status")] = "",
    assignee_id: FormText = "",
    priority: FormText = "",
    resolution: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Move the case on, assign it, change its priority or resolve it with a text."""
    posted = _form_post(request, session, case_id, csrf_token)
    if isinstance(posted, Response):
        return posted
    principal, found = posted
    values = {
        "status": status_to,
        "assignee_id": assignee_id,
        "priority": priority,
        "resolution": resolution,
    }
    errors: Errors | None = None
    try:
        current = service.get_case(session, principal, found)
        change = change_of(current, version, values)
        service.update_case(session, principal, found, change)
    except ValidationError as exc:
        errors = field_errors(exc)
    except (InvalidInput, Conflict) as exc:
        errors = rule_error(exc, "work")
    except NotFound:
        session.rollback()
        return error_page(request, NOT_FOUND, 404, principal)
    except Forbidden:
        session.rollback()
        return error_page(request, NOT_HANDLER, 403, principal)
    if errors:
        session.rollback()  # as the API: a refused change leaves nothing behind
        return _render_case(request, session, principal, found, "work", values, errors)
    return _done(request, found, "updated")


@router.post("/cases/{case_id}/survey", name="case_survey")
def case_survey(
    case_id: str,
    request: Request,
    session: SessionDep,
    version: FormText = "",
    csat: FormText = "",
    nps: FormText = "",
    comment: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """The customer's survey; on a resolved case it closes the case first (the survey is
    taken on closing), both in this one request."""
    posted = _form_post(request, session, case_id, csrf_token)
    if isinstance(posted, Response):
        return posted
    principal, found = posted
    values = {"csat": csat, "nps": nps, "comment": comment}
    errors: Errors | None = None
    try:
        answer = survey_of(values)
        current = service.get_case(session, principal, found)
        if current.status == "resolved":
            stamp = int(version) if version.isdigit() else 0
            service.update_case(
                session, principal, found, CaseChange(version=stamp, status="closed")
            )
        service.record_survey(session, principal, found, answer)
    except ValidationError as exc:
        errors = field_errors(exc)
    except (InvalidInput, Conflict) as exc:
        errors = rule_error(exc, "survey")
    except NotFound:
        session.rollback()
        return error_page(request, NOT_FOUND, 404, principal)
    except Forbidden:
        session.rollback()
        return error_page(request, NOT_HANDLER, 403, principal)
    if errors:
        session.rollback()
        return _render_case(request, session, principal, found, "survey", values, errors)
    return _done(request, found, "survey")
