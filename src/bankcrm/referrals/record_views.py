"""The referral page (/referrals/{id}): the person as the caller may see them, the need,
whom the routing rules sent it to and why, and its outcome; for the assignee (or the
branch manager) the forms to accept, convert or decline it, and for the branch manager
the form to send it to someone else. The same service as the API's
`/api/v1/referrals/{id}/...` routes (scope, masking, audit, optimistic locking).

A form answers with the page: with each error next to its field and nothing written, or,
after a change, a redirect to the page saying what was done."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.referrals import repository, service, terms
from bankcrm.referrals.forms import Errors, field_errors, rule_error
from bankcrm.referrals.schemas import Assignment, Conversion, Decline, Versioned
from bankcrm.security.principal import Principal
from bankcrm.web.deps import SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, form_post, render, signed_in

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
MAX_ID = 2_147_483_647
NOT_FOUND = N_("This referral does not exist or is not yours to see.")
NOT_REFERRER = N_("Your role does not work with referrals.")
NOTICES: dict[str, str] = {
    "created": N_("The referral is sent."),
    "accept": N_("You accepted the referral."),
    "convert": N_("The referral is converted: well done."),
    "decline": N_("The referral is declined; the referrer sees why."),
    "assign": N_("The referral is sent to its new assignee."),
}


def _referral_id(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_ID else None


def _render(
    request: Request,
    session: Session,
    principal: Principal,
    referral_id: int,
    form_name: str | None = None,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
) -> Response:
    try:
        referral = service.get_referral(session, principal, referral_id)
    except NotFound:
        return error_page(request, NOT_FOUND, 404, principal)
    except Forbidden:
        return error_page(request, NOT_REFERRER, 403, principal)
    staff = repository.staff_choices(session, None) if referral.can_assign else []
    context: dict[str, Any] = {
        "principal": principal,
        "referral": referral,
        "terms": terms,
        "staff": staff,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "form_name": form_name,
        "values": values or {},
        "errors": errors or {},
    }
    return render(request, "referrals/referral.html", context)


@router.get("/referrals/{referral_id}", response_class=HTMLResponse, name="referral_page")
def referral_page(referral_id: str, request: Request, session: SessionDep) -> Response:
    visitor = signed_in(request, session)
    if isinstance(visitor, Response):
        return visitor
    found = _referral_id(referral_id)
    if found is None:
        return error_page(request, NOT_FOUND, 404, visitor.principal)
    return _render(request, session, visitor.principal, found)


def _ask(action: str, values: dict[str, str]) -> BaseModel:
    version = values["version"]
    fields: dict[str, object] = {"version": int(version) if version.isdigit() else 0}
    if action == "convert":
        fields["outcome_note"] = values["outcome_note"].strip() or None
        return Conversion(**fields)
    if action == "decline":
        fields["reason"] = values["reason"].strip()
        return Decline(**fields)
    if action == "assign":
        fields["staff_id"] = values["staff_id"].strip()
        return Assignment(**fields)
    return Versioned(**fields)


ACTIONS = {
    "accept": service.accept,
    "convert": service.convert,
    "decline": service.decline,
    "assign": service.assign,
}


@router.post("/referrals/{referral_id}/{action}", name="referral_action")
def referral_action(
    referral_id: str,
    action: str,
    request: Request,
    session: SessionDep,
    version: FormText = "",
    outcome_note: FormText = "",
    reason: FormText = "",
    staff_id: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Accept, convert (with an outcome note), decline (with a reason) or assign."""
    posted = form_post(request, session, csrf_token)
    if isinstance(posted, Response):
        return posted
    principal = posted.principal
    found = _referral_id(referral_id)
    if found is None or action not in ACTIONS:
        return error_page(request, NOT_FOUND, 404, principal)
    values = {
        "version": version,
        "outcome_note": outcome_note,
        "reason": reason,
        "staff_id": staff_id,
    }
    errors: Errors | None = None
    try:
        ACTIONS[action](session, principal, found, _ask(action, values))  # type: ignore[operator]
    except ValidationError as exc:
        errors = field_errors(exc, "form")
    except (InvalidInput, Conflict) as exc:
        errors = rule_error(exc)
    except NotFound:
        session.rollback()
        return error_page(request, NOT_FOUND, 404, principal)
    except Forbidden as exc:
        errors = rule_error(exc)
    if errors:
        session.rollback()
        return _render(request, session, principal, found, action, values, errors)
    target = request.app.url_path_for("referral_page", referral_id=str(found))
    return RedirectResponse(f"{target}?notice={action}", status.HTTP_303_SEE_OTHER)
