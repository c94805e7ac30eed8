"""The portfolio handover list page (/portfolio-transfers: the proposals, pending first,
and a form to propose one) and the proposal post that the customer list's bulk action uses
too; the page of one handover and its decision are in `transfer_views.py`.

Every page calls the same service as `/api/v1/portfolio-transfers` (scope, maker-checker,
audit); a refused proposal comes back with its errors next to the fields."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.security.principal import Principal
from bankcrm.staff import choices, handover_form, portfolio
from bankcrm.staff.schemas import TransferOut
from bankcrm.staff.terms import FILTER_NAMES, FILTERS, STATUSES, TERMS
from bankcrm.web.deps import SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, form_post, render, to_login, visitor

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
PAGE_SIZE = 20
NO_ACCESS = N_("Your role has no portfolio handovers.")
NOT_FOUND = N_("This handover does not exist or is not in your scope.")
BAD_STATUS = N_("The value given for “%(parameter)s” is not valid and was ignored.")
BAD_PAGE = N_("The page number must be a whole number from 1; showing page 1.")
PAST_END = N_("There is no such page; showing the last one.")


def manager_names(session: Session, transfers: list[TransferOut]) -> dict[int, str]:
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
        "names": manager_names(session, page.items),
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
        return to_login(request)
    try:
        return _list_page(request, session, signed_in.principal)
    except Forbidden:
        return error_page(request, NO_ACCESS, 403, signed_in.principal)


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
    signed_in = form_post(request, session, csrf_token)
    if isinstance(signed_in, Response):
        return signed_in
    principal = signed_in.principal
    offer = choices.handover_choices(session, principal)
    if offer is None:
        return error_page(request, NO_ACCESS, 403, principal)
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
