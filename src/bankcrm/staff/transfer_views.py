"""The page of one portfolio handover (/portfolio-transfers/{id}): its customers, the
approve / reject form for the branch manager who may decide, and after approval the moved
customers' 90-day churn watch.

The decision buttons are offered only when `portfolio.may_decide` says so (never to the
proposer: maker-checker); a forced decision comes back as the service's refusal in words,
never a traceback. The same service as `/api/v1/portfolio-transfers/{id}/approve|reject`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bankcrm.kit.errors import Conflict, Forbidden, NotFound
from bankcrm.security.principal import Principal
from bankcrm.staff import handover_form, portfolio
from bankcrm.staff.handover_views import (
    NO_ACCESS,
    NOT_FOUND,
    manager_names,
)
from bankcrm.staff.schemas import DecisionIn, WatchOut
from bankcrm.staff.terms import TERMS
from bankcrm.web.deps import SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, form_post, render, to_login, visitor

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
MAX_ID = 2**31 - 1
NOTICES: dict[str, str] = {
    "proposed": N_("The handover is proposed. A branch manager of the branch decides on it."),
    "approved": N_("The handover is approved: the customers have their new manager."),
    "rejected": N_("The handover is rejected."),
}
REASON_NEEDED = N_("Give the reason for the rejection.")
NOT_YOURS = N_(
    "You may not decide on this handover: the branch manager of its branch decides, never "
    "the one who proposed it."
)
DECIDED = N_("This handover is already decided.")
MOVED_AWAY = N_(
    "Some customers have left the giving manager since the proposal: reject it and propose again."
)


def _transfer_page(
    request: Request,
    session: Session,
    principal: Principal,
    transfer_id: int,
    *,
    errors: handover_form.Errors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        transfer = portfolio.get(session, principal, transfer_id)
    except Forbidden:
        return error_page(request, NO_ACCESS, 403, principal)
    except NotFound:
        return error_page(request, NOT_FOUND, 404, principal)
    watch: list[WatchOut] = []
    if transfer.status == "approved":
        watch = portfolio.watch_list(session, principal)
        watch = [w for w in watch if w.transfer_id == transfer.id]
    context: dict[str, Any] = {
        "principal": principal,
        "transfer": transfer,
        "names": manager_names(session, [transfer]),
        "may_decide": portfolio.may_decide(session, principal, transfer.id),
        "watch": watch,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "form_errors": errors or {},
        "form_values": values or {},
        "terms": TERMS,
    }
    return render(request, "staff/transfer.html", context, status_code=status_code)


@router.get("/portfolio-transfers/{transfer_id}", response_class=HTMLResponse, name="transfer_page")
def transfer_page(transfer_id: str, request: Request, session: SessionDep) -> Response:
    signed_in = visitor(request, session)
    if signed_in is None:
        return to_login(request)
    number = _record_id(transfer_id)
    if number is None:
        return error_page(request, NOT_FOUND, 404, signed_in.principal)
    return _transfer_page(request, session, signed_in.principal, number)


def _record_id(raw: str) -> int | None:
    """A record id of the path; None (a 404 page) for anything else."""
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_ID else None


@router.post("/portfolio-transfers/{transfer_id}/decision", name="transfer_decide")
def transfer_decide(
    transfer_id: str,
    request: Request,
    session: SessionDep,
    decision: FormText = "",
    note: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Approve or reject (as POST /api/v1/portfolio-transfers/{id}/approve|reject)."""
    signed_in = form_post(request, session, csrf_token)
    if isinstance(signed_in, Response):
        return signed_in
    principal = signed_in.principal
    number = _record_id(transfer_id)
    if number is None:
        return error_page(request, NOT_FOUND, 404, principal)
    return _decide(request, session, principal, number, decision, note)


def _decide(
    request: Request,
    session: Session,
    principal: Principal,
    transfer_id: int,
    decision: str,
    note: str,
) -> Response:
    values = {"note": note}
    errors: handover_form.Errors = {}
    if decision not in ("approve", "reject"):
        errors["form"] = (handover_form.NOT_A_CHOICE, {})
    elif decision == "reject" and not note.strip():
        errors["note"] = (REASON_NEEDED, {})
    try:
        body = DecisionIn(note=note.strip() or None)
    except ValidationError as exc:
        errors.update(handover_form.field_errors(exc))
    if errors:
        return _transfer_page(
            request, session, principal, transfer_id, errors=errors, values=values
        )
    try:
        portfolio.decide(session, principal, transfer_id, decision == "approve", body.note)
    except NotFound:
        session.rollback()
        return error_page(request, NOT_FOUND, 404, principal)
    except (Forbidden, Conflict) as exc:
        session.rollback()
        moved = isinstance(exc, Conflict) and exc.field == "customers"
        message = NOT_YOURS if isinstance(exc, Forbidden) else MOVED_AWAY if moved else DECIDED
        code = 403 if isinstance(exc, Forbidden) else 409
        return _transfer_page(
            request,
            session,
            principal,
            transfer_id,
            errors={"form": (message, {})},
            values=values,
            status_code=code,
        )
    target = request.app.url_path_for("transfer_page", transfer_id=str(transfer_id))
    notice = "approved" if decision == "approve" else "rejected"
    return RedirectResponse(f"{target}?notice={notice}", status.HTTP_303_SEE_OTHER)
