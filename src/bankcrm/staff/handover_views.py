"""The portfolio handover pages: /portfolio-transfers (the proposals, pending first, and a
form to propose one), /portfolio-transfers/{id} (its customers, the branch manager's
approve / reject form, then the moved customers' churn watch) and the proposal post that
the customer list's bulk action uses too.

Every page calls the same service as `/api/v1/portfolio-transfers` (scope, maker-checker,
audit). The decision buttons are offered only when `portfolio.may_decide` says so; a forced
decision comes back as the service's refusal in words, never a traceback."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.security.principal import Principal
from bankcrm.staff import choices, handover_form, portfolio
from bankcrm.staff.schemas import DecisionIn, TransferOut, WatchOut
from bankcrm.staff.terms import FILTER_NAMES, FILTERS, STATUSES, TERMS
from bankcrm.web.deps import CSRF_HEADER, SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import Visitor, check_form, render, visitor

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
PAGE_SIZE = 20
MAX_ID = 2**31 - 1
NO_ACCESS = N_("Your role has no portfolio handovers.")
NOT_FOUND = N_("This handover does not exist or is not in your scope.")
EXPIRED = N_("The form had expired. Reload the page and try again.")
BAD_STATUS = N_("The value given for “%(parameter)s” is not valid and was ignored.")
BAD_PAGE = N_("The page number must be a whole number from 1; showing page 1.")
PAST_END = N_("There is no such page; showing the last one.")
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


def _error_page(
    request: Request, message: str, code: int, principal: Principal | None = None
) -> HTMLResponse:
    return render(
        request, "error.html", {"message": message, "principal": principal}, status_code=code
    )


def _login(request: Request) -> RedirectResponse:
    return RedirectResponse(request.app.url_path_for("login"), status.HTTP_303_SEE_OTHER)


def _form_post(request: Request, session: Session, token: str) -> Visitor | Response:
    """The CSRF check of a form (the field, or htmx's header)."""
    try:
        signed_in = check_form(request, session, token or request.headers.get(CSRF_HEADER, ""))
    except Forbidden:
        return _error_page(request, EXPIRED, 403)
    return _login(request) if signed_in is None else signed_in


def _names(session: Session, transfers: list[TransferOut]) -> dict[int, str]:
    ids = {t.from_manager_id for t in transfers} | {t.to_manager_id for t in transfers}
    return choices.staff_names(session, ids)


def _list_page(
    request: Request,
    session: Session,
    principal: Principal,
    proposal: handover_form.Proposal | None = None,
) -> Response:
    query = request.query_params
    problems: list[tuple[str, dict[str, object]]] = []
    wanted = query.get("status", "").strip()
    if wanted and wanted not in STATUSES:
        problems.append((BAD_STATUS, {"parameter": N_("Status")}))
        wanted = ""
    raw = query.get("page", "").strip()
    number = int(raw) if raw.isdigit() and 1 <= int(raw) <= 100_000 else 1
    if raw and str(number) != raw:
        problems.append((BAD_PAGE, {}))
    chosen = wanted or None
    page = portfolio.list_transfers(
        session, principal, chosen, (number - 1) * PAGE_SIZE, PAGE_SIZE, pending_first=True
    )
    if page.total and not page.items:
        problems.append((PAST_END, {}))
        number = (page.total - 1) // PAGE_SIZE + 1
        page = portfolio.list_transfers(
            session, principal, chosen, (number - 1) * PAGE_SIZE, PAGE_SIZE, pending_first=True
        )
    pages = max(1, (page.total - 1) // PAGE_SIZE + 1)

    def link(to_page: int) -> str:
        return "?" + urlencode({**({"status": wanted} if wanted else {}), "page": str(to_page)})

    context: dict[str, Any] = {
        "principal": principal,
        "page": page,
        "number": number,
        "pages": pages,
        "link": link,
        "wanted": wanted,
        "problems": problems,
        "names": _names(session, page.items),
        "statuses": STATUSES,
        "terms": TERMS,
        **_form_context(session, principal, proposal),
    }
    return render(request, "staff/transfers.html", context)


def _form_context(
    session: Session, principal: Principal, proposal: handover_form.Proposal | None
) -> dict[str, Any]:
    return {
        "handover": choices.handover_choices(session, principal),
        "form_values": proposal.values if proposal else {},
        "form_errors": proposal.errors if proposal else {},
        "selection": proposal.customer_ids if proposal else [],
        "terms": TERMS,
        "filters": FILTERS,
        "filter_names": FILTER_NAMES,
    }


@router.get("/portfolio-transfers", response_class=HTMLResponse, name="transfer_list")
def transfer_list(request: Request, session: SessionDep) -> Response:
    signed_in = visitor(request, session)
    if signed_in is None:
        return _login(request)
    try:
        return _list_page(request, session, signed_in.principal)
    except Forbidden:
        return _error_page(request, NO_ACCESS, 403, signed_in.principal)


@router.post("/portfolio-transfers", name="transfer_propose")
def transfer_propose(
    request: Request,
    session: SessionDep,
    origin: FormText = "page",
    from_manager_id: FormText = "",
    to_manager_id: FormText = "",
    kind: FormText = "",
    status_: Annotated[str, Form(alias="status")] = "",
    tier: FormText = "",
    band: FormText = "",
    region: FormText = "",
    handover_note: FormText = "",
    customer_ids: FormList | None = None,
    csrf_token: FormText = "",
) -> Response:
    """Propose a handover (as POST /api/v1/portfolio-transfers); a refused form comes back
    with its errors next to the fields and nothing written."""
    signed_in = _form_post(request, session, csrf_token)
    if isinstance(signed_in, Response):
        return signed_in
    principal = signed_in.principal
    offer = choices.handover_choices(session, principal)
    if offer is None:
        return _error_page(request, NO_ACCESS, 403, principal)
    values = {
        "from_manager_id": from_manager_id,
        "to_manager_id": to_manager_id,
        "kind": kind,
        "status": status_,
        "tier": tier,
        "band": band,
        "region": region,
        "handover_note": handover_note,
    }
    proposal, body = handover_form.read(offer, origin, values, customer_ids or [])
    if body is not None:
        try:
            created = portfolio.propose(session, principal, body)
        except (Conflict, Forbidden, InvalidInput, NotFound) as exc:
            session.rollback()
            proposal.errors.update(handover_form.refusal(exc))
        else:
            target = request.app.url_path_for("transfer_page", transfer_id=str(created.id))
            target = f"{target}?notice=proposed"
            if request.headers.get("HX-Request"):
                return Response(status_code=200, headers={"HX-Redirect": target})
            return RedirectResponse(target, status.HTTP_303_SEE_OTHER)
    if request.headers.get("HX-Request"):
        name = "staff/_bulk_panel.html" if proposal.origin == "list" else "staff/_propose.html"
        return render(request, name, _form_context(session, principal, proposal))
    return _list_page(request, session, principal, proposal)


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
        return _error_page(request, NO_ACCESS, 403, principal)
    except NotFound:
        return _error_page(request, NOT_FOUND, 404, principal)
    watch: list[WatchOut] = []
    if transfer.status == "approved":
        watch = portfolio.watch_list(session, principal)
        watch = [w for w in watch if w.transfer_id == transfer.id]
    context: dict[str, Any] = {
        "principal": principal,
        "transfer": transfer,
        "names": _names(session, [transfer]),
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
        return _login(request)
    number = _record_id(transfer_id)
    if number is None:
        return _error_page(request, NOT_FOUND, 404, signed_in.principal)
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
    signed_in = _form_post(request, session, csrf_token)
    if isinstance(signed_in, Response):
        return signed_in
    principal = signed_in.principal
    number = _record_id(transfer_id)
    if number is None:
        return _error_page(request, NOT_FOUND, 404, principal)
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
        return _error_page(request, NOT_FOUND, 404, principal)
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
