"""The opportunity page (/opportunities/{id}): its facts, the stage bar, the move form
(`moves.move_stage`, as POST /api/v1/opportunities/{id}/stage), the terms form
(`service.update_opportunity`, as PATCH), the stage history, and the department tasks
(add one; mark one done). A form answers with the page: each error next to its field and
nothing written, or after a change a redirect to the page saying what was done. Ids that
are not numbers, or out of the caller's scope, are the 404 page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.opportunities import moves, service, stages, words
from bankcrm.opportunities.forms import Errors, blank_to_none, field_errors, rule_error
from bankcrm.opportunities.schemas import OpportunityChange, StageMove, TaskDone, TaskIn
from bankcrm.security.principal import Principal
from bankcrm.web.deps import SessionDep, SettingsDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, form_post, render, signed_in

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
MAX_ID = 2_147_483_647
NOT_FOUND = N_("This opportunity does not exist or is not in your scope.")
NOT_SELLER = N_("Your role does not work opportunities.")
NOTICES: dict[str, str] = {
    "created": N_("The opportunity is opened."),
    "moved": N_("The opportunity has moved."),
    "updated": N_("The opportunity is updated."),
    "task": N_("The task is added."),
    "task_done": N_("The task is closed."),
}


def _id(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_ID else None


def render_opportunity(
    request: Request,
    session: Session,
    principal: Principal,
    opportunity_id: int,
    form_name: str | None = None,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
) -> Response:
    """The page as the caller may see the opportunity (read audited as the API's)."""
    try:
        found = service.get_opportunity(session, principal, opportunity_id)
    except NotFound:
        return error_page(request, NOT_FOUND, 404, principal)
    except Forbidden:
        return error_page(request, NOT_SELLER, 403, principal)
    path = stages.path(found.product.category)
    bar = [*path, "won", "lost"] if found.stage != "lost" else [*path, "lost"]
    if found.stage == "won":
        bar = [*path, "won"]
    context: dict[str, Any] = {
        "principal": principal,
        "o": found,
        "bar": bar,
        "reached": path.index(found.stage) if found.stage in path else len(path),
        "words": words,
        "moves": {s: words.STAGES[s] for s in found.next_stages},
        "open": found.stage not in stages.CLOSED_STAGES,
        "can_write": principal.policy.writes_customers,
        "opens_customer": principal.policy.customer_detail,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "form_name": form_name,
        "values": values or {},
        "errors": errors or {},
    }
    return render(request, "opportunities/opportunity.html", context)


@router.get("/opportunities/{opportunity_id}", response_class=HTMLResponse, name="opportunity_page")
def opportunity_page(opportunity_id: str, request: Request, session: SessionDep) -> Response:
    visitor = signed_in(request, session)
    if isinstance(visitor, Response):
        return visitor
    found = _id(opportunity_id)
    if found is None:
        return error_page(request, NOT_FOUND, 404, visitor.principal)
    return render_opportunity(request, session, visitor.principal, found)


def _posted(
    request: Request, session: Session, raw_id: str, csrf_token: str
) -> tuple[Principal, int] | Response:
    signed = form_post(request, session, csrf_token)
    if isinstance(signed, Response):
        return signed
    found = _id(raw_id)
    if found is None:
        return error_page(request, NOT_FOUND, 404, signed.principal)
    return signed.principal, found


def _done(request: Request, opportunity_id: int, notice: str) -> Response:
    target = request.app.url_path_for("opportunity_page", opportunity_id=str(opportunity_id))
    return RedirectResponse(f"{target}?notice={notice}", 303)


def _answer(
    request: Request,
    session: Session,
    principal: Principal,
    opportunity_id: int,
    form: str,
    values: dict[str, str],
    work: Any,
    notice: str,
) -> Response:
    """Run `work` (a service call); its refusals go next to their field, nothing written."""
    errors: Errors = {}
    try:
        work()
    except ValidationError as exc:
        errors = field_errors(exc)
    except (InvalidInput, Conflict) as exc:
        errors = rule_error(exc)
    except NotFound:
        session.rollback()
        return error_page(request, NOT_FOUND, 404, principal)
    except Forbidden:
        session.rollback()
        return error_page(request, NOT_SELLER, 403, principal)
    if errors:
        session.rollback()
        return render_opportunity(request, session, principal, opportunity_id, form, values, errors)
    return _done(request, opportunity_id, notice)


@router.post("/opportunities/{opportunity_id}/stage", name="opportunity_move")
def opportunity_move(
    opportunity_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    version: FormText = "",
    stage: FormText = "",
    note: FormText = "",
    lost_reason: FormText = "",
    lost_note: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    posted = _posted(request, session, opportunity_id, csrf_token)
    if isinstance(posted, Response):
        return posted
    principal, found = posted
    values = {"stage": stage, "note": note, "lost_reason": lost_reason, "lost_note": lost_note}

    def work() -> None:
        move = StageMove(version=version or 0, **blank_to_none(values))
        moves.move_stage(session, settings, principal, found, move)

    return _answer(request, session, principal, found, "move", values, work, "moved")


@router.post("/opportunities/{opportunity_id}", name="opportunity_update")
def opportunity_update(
    opportunity_id: str,
    request: Request,
    session: SessionDep,
    version: FormText = "",
    amount: FormText = "",
    expected_close_on: FormText = "",
    description: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    posted = _posted(request, session, opportunity_id, csrf_token)
    if isinstance(posted, Response):
        return posted
    principal, found = posted
    values = {"amount": amount, "expected_close_on": expected_close_on, "description": description}

    def work() -> None:
        change = OpportunityChange(version=version or 0, **blank_to_none(values))
        service.update_opportunity(session, principal, found, change)

    return _answer(request, session, principal, found, "terms", values, work, "updated")


@router.post("/opportunities/{opportunity_id}/tasks", name="opportunity_task_add")
def opportunity_task_add(
    opportunity_id: str,
    request: Request,
    session: SessionDep,
    department: FormText = "",
    title: FormText = "",
    due_on: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    posted = _posted(request, session, opportunity_id, csrf_token)
    if isinstance(posted, Response):
        return posted
    principal, found = posted
    values = {"department": department, "title": title, "due_on": due_on}

    def work() -> None:
        moves.add_task(session, principal, found, TaskIn(**blank_to_none(values)))

    return _answer(request, session, principal, found, "task", values, work, "task")


@router.post(
    "/opportunities/{opportunity_id}/tasks/{task_id}/complete", name="opportunity_task_done"
)
def opportunity_task_done(
    opportunity_id: str,
    task_id: str,
    request: Request,
    session: SessionDep,
    status: FormText = "done",
    csrf_token: FormText = "",
) -> Response:
    posted = _posted(request, session, opportunity_id, csrf_token)
    if isinstance(posted, Response):
        return posted
    principal, found = posted
    task = _id(task_id)
    if task is None:
        return error_page(request, NOT_FOUND, 404, principal)

    def work() -> None:
        done = TaskDone(status=status)
        moves.complete_task(session, principal, found, task, done)

    return _answer(request, session, principal, found, "form", {}, work, "task_done")
