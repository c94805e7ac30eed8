"""The prospect page (/prospects/{id}): the record, its activities and the forms that act
on it (edit with version, status change, log a contact, new owner, review decision).

Every form calls the same workflow as the JSON API. A refusal brings the page back with
the error next to its field and nothing written; success goes back to the page (303).
Masked roles see masked data and get no edit form (they could only write masks back).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.opportunities.access import SELLERS
from bankcrm.prospects import forms, service, workflow
from bankcrm.prospects.schemas import (
    ContactIn,
    OwnerChange,
    ProspectOut,
    ProspectUpdate,
    ReviewDecision,
    StatusChange,
)
from bankcrm.security.principal import Principal
from bankcrm.security.roles import View
from bankcrm.staff import repository as staff_repository
from bankcrm.web import labels
from bankcrm.web.deps import RecordId, SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, form_post, render, signed_in

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
EDIT_FIELDS = (
    "first_name", "last_name", "company_name", "national_id", "birth_date", "email", "phone",
    "address", "postal_code", "city", "needs", "next_step", "next_step_on",
)  # fmt: skip
DONE: dict[str, str] = {
    "edit": N_("The changes are saved."),
    "status": N_("The status is changed."),
    "contact": N_("The contact is logged."),
    "owner": N_("The prospect has a new owner."),
    "review": N_("The decision is recorded."),
}


def _context(
    session: Session, principal: Principal, prospect: ProspectOut, **extra: object
) -> dict[str, Any]:
    masked = prospect.view is not View.FULL
    open_ = prospect.status != "converted"
    can_write = principal.policy.writes_customers and open_
    owners = staff_repository.account_managers(session, prospect.branch.id) if can_write else []
    return {
        "principal": principal,
        "prospect": prospect,
        "masked": masked,
        "can_write": can_write,
        "can_edit": can_write and not masked,
        "can_sell": can_write and principal.role in SELLERS,
        "owners": {str(s.id): f"{s.first_name} {s.last_name}" for s in owners},
        "statuses": {
            k: v
            for k, v in labels.PROSPECT_STATUSES.items()
            if k not in ("converted", prospect.status)
        },
        "labels": labels,
        "values": {},
        "errors": {},
        "form_name": None,
        "done": None,
        **extra,
    }


@router.get("/prospects/{prospect_id}", response_class=HTMLResponse, name="prospect_page")
def prospect_page(prospect_id: RecordId, request: Request, session: SessionDep) -> Response:
    """The prospect as the caller may see it (masked per role, audited as the API)."""
    found = signed_in(request, session)
    if isinstance(found, Response):
        return found
    principal = found.principal
    try:
        prospect = service.get_prospect(session, principal, prospect_id)
    except NotFound:
        return error_page(request, forms.NOT_FOUND, 404, principal)
    except Forbidden:
        return error_page(request, forms.NOT_ALLOWED, 403, principal)
    done = DONE.get(request.query_params.get("done", ""))
    context = _context(session, principal, prospect, done=done, form_name="done")
    return render(request, "prospects/prospect.html", context)


def _act(
    request: Request,
    session: Session,
    prospect_id: int,
    csrf_token: str,
    form: str,
    values: dict[str, str],
    build: type[BaseModel],
    fields: Mapping[str, object],
) -> Response:
    """Validate the form into the API's body, run the workflow, and answer with the page:
    on to it (303) when done, again with the errors next to their fields when refused."""
    posted = form_post(request, session, csrf_token)
    if isinstance(posted, Response):
        return posted
    principal = posted.principal
    try:
        body = build(**fields)
        if isinstance(body, ProspectUpdate):
            service.update_prospect(session, principal, prospect_id, body)
        elif isinstance(body, StatusChange):
            workflow.change_status(session, principal, prospect_id, body)
        elif isinstance(body, ContactIn):
            workflow.log_contact(session, principal, prospect_id, body)
        elif isinstance(body, OwnerChange):
            workflow.assign_owner(session, principal, prospect_id, body)
        elif isinstance(body, ReviewDecision):
            workflow.decide_review(session, principal, prospect_id, body)
    except ValidationError as exc:
        errors = forms.field_errors(exc)
    except (InvalidInput, Conflict) as exc:
        errors = forms.rule_error(exc)
    except NotFound:
        session.rollback()
        return error_page(request, forms.NOT_FOUND, 404, principal)
    except Forbidden:
        session.rollback()
        return error_page(request, forms.NOT_ALLOWED, 403, principal)
    else:
        target = request.app.url_path_for("prospect_page", prospect_id=str(prospect_id))
        return RedirectResponse(f"{target}?done={form}", status.HTTP_303_SEE_OTHER)
    session.rollback()  # as the API: a refused request leaves nothing behind
    try:
        prospect = service.get_prospect(session, principal, prospect_id)
    except (NotFound, Forbidden):
        return error_page(request, forms.NOT_FOUND, 404, principal)
    context = _context(session, principal, prospect, form_name=form, values=values, errors=errors)
    return render(request, "prospects/prospect.html", context)


def _version(raw: str) -> int | str:
    return int(raw) if raw.strip().isdigit() and len(raw.strip()) < 10 else raw


@router.post("/prospects/{prospect_id}/edit", name="prospect_edit")
def prospect_edit(
    prospect_id: RecordId,
    request: Request,
    session: SessionDep,
    version: FormText = "",
    first_name: FormText = "",
    last_name: FormText = "",
    company_name: FormText = "",
    national_id: FormText = "",
    birth_date: FormText = "",
    email: FormText = "",
    phone: FormText = "",
    address: FormText = "",
    postal_code: FormText = "",
    city: FormText = "",
    needs: FormText = "",
    next_step: FormText = "",
    next_step_on: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Edit the details (an empty field clears it), as PATCH /api/v1/prospects/{id}."""
    typed = {
        "first_name": first_name, "last_name": last_name, "company_name": company_name,
        "national_id": national_id, "birth_date": birth_date, "email": email, "phone": phone,
        "address": address, "postal_code": postal_code, "city": city, "needs": needs,
        "next_step": next_step, "next_step_on": next_step_on,
    }  # fmt: skip
    fields: dict[str, object] = {k: forms.optional(v) for k, v in typed.items()}
    fields["version"] = _version(version)
    return _act(request, session, prospect_id, csrf_token, "edit", typed, ProspectUpdate, fields)


@router.post("/prospects/{prospect_id}/status", name="prospect_status")
def prospect_status(
    prospect_id: RecordId,
    request: Request,
    session: SessionDep,
    version: FormText = "",
    status_: Annotated[str, Form(alias="status")] = "",
    reason: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Move the prospect on, as POST /api/v1/prospects/{id}/status."""
    typed = {"status": status_, "reason": reason}
    fields = {"version": _version(version), "status": status_, "reason": forms.optional(reason)}
    return _act(request, session, prospect_id, csrf_token, "status", typed, StatusChange, fields)


@router.post("/prospects/{prospect_id}/contacts", name="prospect_contact")
def prospect_contact(
    prospect_id: RecordId,
    request: Request,
    session: SessionDep,
    channel: FormText = "",
    summary: FormText = "",
    note: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Log a contact, as POST /api/v1/prospects/{id}/contacts."""
    typed = {"channel": channel, "summary": summary, "note": note}
    fields = {"channel": channel, "summary": summary.strip(), "note": forms.optional(note)}
    return _act(request, session, prospect_id, csrf_token, "contact", typed, ContactIn, fields)


@router.post("/prospects/{prospect_id}/owner", name="prospect_owner")
def prospect_owner(
    prospect_id: RecordId,
    request: Request,
    session: SessionDep,
    version: FormText = "",
    owner_id: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Give the prospect to a staff member of its branch."""
    typed = {"owner_id": owner_id}
    fields = {"version": _version(version), "owner_id": _version(owner_id)}
    return _act(request, session, prospect_id, csrf_token, "owner", typed, OwnerChange, fields)


@router.post("/prospects/{prospect_id}/review", name="prospect_review")
def prospect_review(
    prospect_id: RecordId,
    request: Request,
    session: SessionDep,
    version: FormText = "",
    decision: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Decide whether the flagged customer is this prospect."""
    typed = {"decision": decision}
    fields = {"version": _version(version), "decision": decision}
    return _act(request, session, prospect_id, csrf_token, "review", typed, ReviewDecision, fields)
