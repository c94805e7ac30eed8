"""The "My day" page (/worklist) of account managers, branch managers and service agents:
the worklist ranked by value at risk with its reasons, the tasks due today or overdue, SLA
alerts of open cases and the portfolio's tier mix. Marking a task done or snoozing it posts
a form (htmx or plain) that calls the same service as `PATCH /api/v1/tasks/{id}`."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from bankcrm.interactions import my_day as my_day_service
from bankcrm.interactions import service
from bankcrm.interactions.schemas import TaskClose, TaskMove
from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.web import labels
from bankcrm.web.deps import CSRF_HEADER, RecordId, SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import check_form, formatter, render, visitor

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 10
SNOOZE_DAYS = (1, 7)
NOTICES: dict[str, str] = {
    "done": N_("The task is marked done."),
    "snoozed": N_("The task is moved to a later day."),
    "stale": N_("Someone changed this task meanwhile. It is shown as it is now: try again."),
    "gone": N_("That task is no longer on your worklist."),
}
FormText = Annotated[str, Form()]


def _page_number(raw: str | None) -> tuple[int, str | None]:
    """The 1-based page of `?page=`; page 1 and a message when it is not a whole number >= 1."""
    if raw is None or raw == "":
        return 1, None
    if raw.isdigit() and 1 <= int(raw) <= 100_000:
        return int(raw), None
    return 1, N_("The page number must be a whole number from 1; showing page 1.")


def _forbidden(request: Request, message: str, principal: Any = None) -> HTMLResponse:
    return render(
        request, "error.html", {"message": message, "principal": principal}, status_code=403
    )


@router.get("/worklist", response_class=HTMLResponse, name="my_day")
def my_day(request: Request, session: SessionDep) -> Response:
    signed_in = visitor(request, session)
    if signed_in is None:
        return RedirectResponse(request.app.url_path_for("login"), status.HTTP_303_SEE_OTHER)
    principal = signed_in.principal
    if not principal.policy.writes_customers:
        return _forbidden(request, N_("Your role has no worklist."), principal)
    number, problem = _page_number(request.query_params.get("page"))
    today = formatter(request).today()
    day = my_day_service.my_day(session, principal, today, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    if day.worklist.total and not day.worklist.items:
        last = (day.worklist.total - 1) // PAGE_SIZE + 1
        problem = N_("There is no such page; showing the last one.")
        number = last
        day = my_day_service.my_day(session, principal, today, (last - 1) * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, (day.worklist.total - 1) // PAGE_SIZE + 1)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    mix = day.mix
    chart = {
        "tiers": [request_label(request, labels.TIERS, t.tier) for t in mix.tiers],
        "latest": [t.count for t in mix.tiers],
        "previous": [t.previous for t in mix.tiers] if mix.previous_as_of else None,
        "latestName": formatter(request).date(mix.as_of) if mix.as_of else "",
        "previousName": formatter(request).date(mix.previous_as_of) if mix.previous_as_of else "",
    }
    return render(
        request,
        "interactions/my_day.html",
        {
            "principal": principal,
            "day": day,
            "page": number,
            "pages": pages,
            "problem": problem,
            "notice": notice,
            "chart": chart,
            "labels": labels,
            "currency": labels.REPORTING_CURRENCY,
            "snooze_days": SNOOZE_DAYS,
        },
    )


def request_label(request: Request, table: dict[str, str], code: str) -> str:
    return formatter(request).gettext(labels.label(table, code))


def _sent_token(request: Request, form_token: str) -> str:
    return form_token or request.headers.get(CSRF_HEADER, "")


def _after(request: Request, notice: str, page: str) -> RedirectResponse:
    """Back to the page (htmx follows the redirect and swaps the page's content)."""
    target = f"{request.app.url_path_for('my_day')}?notice={notice}"
    if page.isdigit() and int(page) > 1:
        target += f"&page={page}"
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


def _task_action(
    request: Request, session: SessionDep, task_id: int, csrf_token: str, change: Any
) -> Response:
    try:
        signed_in = check_form(request, session, _sent_token(request, csrf_token))
    except Forbidden:
        return _forbidden(request, N_("The form had expired. Reload the page and try again."))
    if signed_in is None:
        return RedirectResponse(request.app.url_path_for("login"), status.HTTP_303_SEE_OTHER)
    page = request.query_params.get("page", "")
    try:
        update = change()
    except ValidationError:
        return _after(request, "stale", page)
    try:
        service.update_task(session, signed_in.principal, task_id, update)
    except Forbidden:
        return _forbidden(request, N_("Your role has no worklist."), signed_in.principal)
    except NotFound:
        return _after(request, "gone", page)
    except (Conflict, InvalidInput):
        return _after(request, "stale", page)
    return _after(request, "done" if isinstance(update, TaskClose) else "snoozed", page)


@router.post("/worklist/tasks/{task_id}/done", name="task_done")
def task_done(
    request: Request,
    session: SessionDep,
    task_id: RecordId,
    version: FormText = "",
    outcome: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Close the task as done (`PATCH /api/v1/tasks/{id}` with status done)."""
    return _task_action(
        request,
        session,
        task_id,
        csrf_token,
        lambda: TaskClose(
            version=int(version) if version.isdigit() else 0,
            status="done",
            outcome=outcome.strip()[:500] or "done",
        ),
    )


@router.post("/worklist/tasks/{task_id}/snooze", name="task_snooze")
def task_snooze(
    request: Request,
    session: SessionDep,
    task_id: RecordId,
    version: FormText = "",
    days: FormText = "1",
    csrf_token: FormText = "",
) -> Response:
    """Move the task's due date to tomorrow or next week (`PATCH /api/v1/tasks/{id}`)."""
    shift = int(days) if days.isdigit() and int(days) in SNOOZE_DAYS else SNOOZE_DAYS[0]
    today = formatter(request).today()
    return _task_action(
        request,
        session,
        task_id,
        csrf_token,
        lambda: TaskMove(
            version=int(version) if version.isdigit() else 0, due_on=today + timedelta(days=shift)
        ),
    )
