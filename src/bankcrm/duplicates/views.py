"""The duplicate pages: /duplicates (likely duplicates in your scope), /duplicates/{id}
(the pair side by side, propose a merge or dismiss) and /merges (proposals to decide,
history, reversal). Same services as /api/v1/duplicates; refusals come back in words next
to the form, never a traceback."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bankcrm.duplicates import merges, service
from bankcrm.duplicates.schemas import (
    CandidateQuery,
    Decide,
    Dismiss,
    MergeQuery,
    ProposeMerge,
    Reverse,
)
from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.kit.pagination import Page
from bankcrm.security.principal import Principal
from bankcrm.web.deps import SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, form_post, page_number, render, signed_in

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
MAX_ID = 2**31 - 1
PAGE_SIZE = 25
Errors = dict[str, str]
NO_ACCESS = N_("Your role does not work with customer records.")
NOT_FOUND = N_("There is no such pair, or it is outside your scope.")
MERGE_NOT_FOUND = N_("There is no such merge, or it is outside your scope.")
BAD_PAGE = N_("There is no such page.")
NEED_REASON = N_("Give a reason.")
TOO_LONG = N_("This text is too long.")
STALE = N_("Someone changed this in the meantime. Reload the page and try again.")
NOT_OPEN = N_("This pair is already decided.")
BUSY = N_("One of these records is already in a proposed or approved merge.")
SURVIVOR = N_("The record that stays must be a customer, not a prospect.")
NOT_CHECKER = N_(
    "Only the branch manager of the surviving customer's branch may decide, and never the "
    "one who proposed the merge."
)
NOT_WRITER = N_("Your role may not change customer records.")
NOTICES = {
    "dismissed": N_("The pair is dismissed."),
    "proposed": N_("The merge is proposed. The branch manager of the surviving customer decides."),
    "approved": N_("The merge is approved: the customer's page shows both records."),
    "rejected": N_("The merge is rejected."),
    "reversed": N_("The merge is reversed: both records stand alone again."),
}
STATUS_FILTERS = ("open", "dismissed", "merged")
WORDS = {
    "national_id": N_("National id"),
    "name": N_("Name"),
    "birth_date": N_("Date of birth"),
    "email": N_("E-mail"),
    "phone": N_("Phone"),
    "address": N_("Address"),
    "postal_code": N_("Postal code"),
    "city": N_("City"),
    "exact": N_("exact"),
    "similar": N_("similar"),
    "customer": N_("Customer"),
    "prospect": N_("Prospect"),
    "open": N_("Open"),
    "dismissed": N_("Dismissed"),
    "merged": N_("Merged"),
    "all": N_("All"),
    "proposed": N_("Proposed"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "reversed": N_("Reversed"),
}


def _record_id(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_ID else None


def _field_errors(exc: ValidationError) -> Errors:
    out: Errors = {}
    for e in exc.errors():
        name = str(e["loc"][0]) if e["loc"] else "form"
        out[name] = TOO_LONG if e["type"] == "string_too_long" else NEED_REASON
    return out


def _refusal(exc: Exception) -> tuple[Errors, int]:
    """A service's refusal as a form error and its status."""
    if isinstance(exc, Forbidden):
        return {"form": NOT_CHECKER}, 403
    if isinstance(exc, InvalidInput):
        return {exc.field or "form": SURVIVOR if exc.field == "survivor" else NEED_REASON}, 200
    assert isinstance(exc, Conflict)
    message = {"version": STALE, "status": NOT_OPEN, "candidate": BUSY}.get(exc.field or "", STALE)
    return {"form": message}, 409


@router.get("/duplicates", response_class=HTMLResponse, name="duplicate_list")
def duplicate_list(request: Request, session: SessionDep) -> Response:
    found = signed_in(request, session)
    if isinstance(found, Response):
        return found
    principal = found.principal
    number = page_number(request.query_params.get("page"))
    chosen = request.query_params.get("status", "open")
    if number is None or chosen not in (*STATUS_FILTERS, "all"):
        return error_page(request, BAD_PAGE, 404, principal)
    query = CandidateQuery(status=None if chosen == "all" else chosen)
    try:
        page = service.list_candidates(
            session, principal, query, (number - 1) * PAGE_SIZE, PAGE_SIZE
        )
    except Forbidden:
        return error_page(request, NO_ACCESS, 403, principal)
    context = {
        "principal": principal,
        "page": page,
        "number": number,
        "pages": max(1, -(-page.total // PAGE_SIZE)),
        "chosen": chosen,
        "filters": (*STATUS_FILTERS, "all"),
        "words": WORDS,
    }
    return render(request, "duplicates/list.html", context)


def _pair_page(
    request: Request,
    session: Session,
    principal: Principal,
    candidate_id: int,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        pair = service.get_pair(session, principal, candidate_id)
    except Forbidden:
        return error_page(request, NO_ACCESS, 403, principal)
    except NotFound:
        return error_page(request, NOT_FOUND, 404, principal)
    context: dict[str, Any] = {
        "principal": principal,
        "pair": pair,
        "writes": principal.policy.writes_customers,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "form_errors": {k: (v, {}) for k, v in (errors or {}).items()},
        "form_values": values or {},
        "words": WORDS,
    }
    return render(request, "duplicates/pair.html", context, status_code=status_code)


@router.get("/duplicates/{candidate_id}", response_class=HTMLResponse, name="duplicate_page")
def duplicate_page(candidate_id: str, request: Request, session: SessionDep) -> Response:
    found = signed_in(request, session)
    if isinstance(found, Response):
        return found
    number = _record_id(candidate_id)
    if number is None:
        return error_page(request, NOT_FOUND, 404, found.principal)
    return _pair_page(request, session, found.principal, number)


@router.post("/duplicates/{candidate_id}/action", name="duplicate_action")
def duplicate_action(
    candidate_id: str,
    request: Request,
    session: SessionDep,
    action: FormText = "",
    survivor: FormText = "left",
    reason: FormText = "",
    version: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Propose a merge or dismiss the pair (as the API's /merge and /dismiss)."""
    found = form_post(request, session, csrf_token)
    if isinstance(found, Response):
        return found
    principal = found.principal
    number = _record_id(candidate_id)
    if number is None:
        return error_page(request, NOT_FOUND, 404, principal)
    values = {"reason": reason, "survivor": survivor}
    try:
        if action == "merge":
            propose = ProposeMerge(
                version=int(version or 1),
                survivor=survivor,
                reason=reason.strip(),
            )
            merges.propose(session, principal, number, propose)
        elif action == "dismiss":
            service.dismiss(
                session,
                principal,
                number,
                Dismiss(version=int(version or 1), reason=reason.strip()),
            )
        else:
            return _pair_page(request, session, principal, number, {"form": NEED_REASON}, values)
    except ValidationError as exc:  # shown next to the field, as every form does
        return _pair_page(request, session, principal, number, _field_errors(exc), values)
    except ValueError:
        return _pair_page(request, session, principal, number, {"form": STALE}, values)
    except NotFound:
        session.rollback()
        return error_page(request, NOT_FOUND, 404, principal)
    except Forbidden:
        session.rollback()
        return _pair_page(request, session, principal, number, {"form": NOT_WRITER}, values, 403)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        errors, code = _refusal(exc)
        return _pair_page(request, session, principal, number, errors, values, code)
    notice = "proposed" if action == "merge" else "dismissed"
    target = request.app.url_path_for("duplicate_page", candidate_id=str(number))
    return RedirectResponse(f"{target}?notice={notice}", status.HTTP_303_SEE_OTHER)


def _merges_page(
    request: Request,
    session: Session,
    principal: Principal,
    errors: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    number = page_number(request.query_params.get("page"))
    if number is None:
        return error_page(request, BAD_PAGE, 404, principal)
    try:
        waiting = merges.list_merges(session, principal, MergeQuery(status="proposed"), 0, 100)
        history: Page[Any] = merges.list_merges(
            session, principal, MergeQuery(), (number - 1) * PAGE_SIZE, PAGE_SIZE
        )
    except Forbidden:
        return error_page(request, NO_ACCESS, 403, principal)
    context = {
        "principal": principal,
        "waiting": waiting,
        "history": history,
        "number": number,
        "pages": max(1, -(-history.total // PAGE_SIZE)),
        "checker_branch": principal.branch_id if principal.role == "branch_manager" else None,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "merge_errors": errors or {},
        "words": WORDS,
    }
    return render(request, "duplicates/merges.html", context, status_code=status_code)


@router.get("/merges", response_class=HTMLResponse, name="merge_list")
def merge_list(request: Request, session: SessionDep) -> Response:
    found = signed_in(request, session)
    if isinstance(found, Response):
        return found
    return _merges_page(request, session, found.principal)


@router.post("/merges/{merge_id}/decision", name="merge_decide")
def merge_decide(
    merge_id: str,
    request: Request,
    session: SessionDep,
    decision: FormText = "",
    note: FormText = "",
    version: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Approve, reject or reverse (as the API's /merges/{id}/approve|reject|reverse)."""
    found = form_post(request, session, csrf_token)
    if isinstance(found, Response):
        return found
    principal = found.principal
    number = _record_id(merge_id)
    if number is None:
        return error_page(request, MERGE_NOT_FOUND, 404, principal)
    text = note.strip() or None
    try:
        ver = int(version or 1)
        if decision == "approve":
            merges.approve(session, principal, number, Decide(version=ver, note=text))
        elif decision == "reject":
            merges.reject(session, principal, number, Decide(version=ver, note=text))
        elif decision == "reverse":
            merges.reverse(session, principal, number, Reverse(version=ver, reason=text or ""))
        else:
            return _merges_page(request, session, principal, {number: NEED_REASON})
    except ValidationError as exc:
        message = next(iter(_field_errors(exc).values()))
        return _merges_page(request, session, principal, {number: message})
    except ValueError:
        return _merges_page(request, session, principal, {number: STALE})
    except NotFound:
        session.rollback()
        return error_page(request, MERGE_NOT_FOUND, 404, principal)
    except (Forbidden, Conflict, InvalidInput) as exc:
        session.rollback()
        errors, code = _refusal(exc)
        return _merges_page(request, session, principal, {number: errors.popitem()[1]}, code)
    target = request.app.url_path_for("merge_list")
    notice = {"approve": "approved", "reject": "rejected", "reverse": "reversed"}[decision]
    return RedirectResponse(f"{target}?notice={notice}", status.HTTP_303_SEE_OTHER)
