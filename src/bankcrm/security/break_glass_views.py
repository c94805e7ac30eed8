"""The break-glass report (/break-glass): who unmasked which customer, why, when and until
when, and whether it was reviewed. Branch managers see their branch's grants and mark them
reviewed; auditors see all (`security.break_glass.reported` and `review`, as the API).

Marking reviewed is a form post (CSRF-checked); with htmx it swaps only the report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from bankcrm.kit.db import utcnow
from bankcrm.kit.errors import Forbidden, NotFound
from bankcrm.security import break_glass
from bankcrm.security.page_access import NOT_ALLOWED
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role
from bankcrm.web.deps import RecordId, SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, form_post, render, signed_in

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
MAX_PAGE = 100_000
NOT_FOUND = N_("This break-glass access does not exist or is not reported to you.")
REVIEWED = N_("Marked as reviewed.")
BAD_PAGE = N_("There is no such page.")


def _number(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return 1
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE else None


def _report(
    request: Request,
    session: Session,
    principal: Principal,
    number: int,
    notice: str | None = None,
) -> Response:
    try:
        rows, total = break_glass.reported(session, principal, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    except Forbidden:
        return error_page(request, NOT_ALLOWED, 403, principal)
    pages = max(1, (total - 1) // PAGE_SIZE + 1)
    context: dict[str, Any] = {
        "principal": principal,
        "grants": rows,
        "total": total,
        "number": number,
        "pages": pages,
        "now": utcnow(),
        "notice": notice,
        # Branch managers review (never their own grant); auditors only read.
        "reviews": principal.role is Role.BRANCH_MANAGER,
        "opens_customers": principal.policy.customer_detail,
    }
    return render(request, "security/break_glass.html", context)


@router.get("/break-glass", response_class=HTMLResponse, name="break_glass_page")
def break_glass_page(request: Request, session: SessionDep) -> Response:
    found = signed_in(request, session)
    if isinstance(found, Response):
        return found
    number = _number(request.query_params.get("page"))
    if number is None:
        return error_page(request, BAD_PAGE, 400, found.principal)
    return _report(request, session, found.principal, number)


@router.post("/break-glass/{grant_id}/review", name="break_glass_review_page")
def break_glass_review_page(
    grant_id: RecordId,
    request: Request,
    session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
    page: Annotated[str, Form()] = "1",
) -> Response:
    """Mark one grant reviewed; the report again (htmx) or a redirect to it."""
    found = form_post(request, session, csrf_token)
    if isinstance(found, Response):
        return found
    principal = found.principal
    try:
        break_glass.review(session, principal, grant_id)
    except Forbidden:
        session.rollback()
        return error_page(request, NOT_ALLOWED, 403, principal)
    except NotFound:
        session.rollback()
        return error_page(request, NOT_FOUND, 404, principal)
    number = _number(page) or 1
    if not request.headers.get("HX-Request"):
        target = str(request.app.url_path_for("break_glass_page"))
        return RedirectResponse(f"{target}?page={number}", status.HTTP_303_SEE_OTHER)
    return _report(request, session, principal, number, REVIEWED)
