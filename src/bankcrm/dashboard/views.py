"""The management dashboard page (/dashboard): the numbers of `GET /api/v1/dashboard`
(the same service) as ECharts charts, each with a caption and a table of its numbers.
Choosing the scoring date and the date to compare with is a plain GET form."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bankcrm.dashboard import service
from bankcrm.dashboard.charts import bin_label, chart_data, topics
from bankcrm.kit.errors import Forbidden, InvalidInput, NotFound
from bankcrm.web import labels
from bankcrm.web.deps import SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import formatter, render, visitor

router = APIRouter(include_in_schema=False)

NO_DASHBOARD = N_("Your role has no management dashboard.")
BAD_DATE = N_("That is not a date: choose one of the scoring dates.")
NO_RUN = N_("There was no scoring run on that date: choose one of the scoring dates.")
SAME_DATE = N_("Compare with another scoring date than the one shown.")


def _date(raw: str | None) -> date | None:
    """A `YYYY-MM-DD` query value; None when empty; InvalidInput when anything else."""
    if raw is None or raw == "":
        return None
    if len(raw) != 10:
        raise InvalidInput("not a date")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput("not a date") from exc


def _error(request: Request, message: str, code: int, principal: Any) -> HTMLResponse:
    return render(
        request, "error.html", {"message": message, "principal": principal}, status_code=code
    )


@router.get("/dashboard", response_class=HTMLResponse, name="management_dashboard")
def dashboard(request: Request, session: SessionDep) -> Response:
    signed_in = visitor(request, session)
    if signed_in is None:
        return RedirectResponse(request.app.url_path_for("login"), status.HTTP_303_SEE_OTHER)
    principal = signed_in.principal
    try:
        as_of = _date(request.query_params.get("as_of"))
        compare_to = _date(request.query_params.get("compare_to"))
    except InvalidInput:
        return _error(request, BAD_DATE, 400, principal)
    try:
        board = service.dashboard(session, principal, as_of, compare_to)
    except Forbidden:
        return _error(request, NO_DASHBOARD, 403, principal)
    except NotFound:
        return _error(request, NO_RUN, 404, principal)
    except InvalidInput:
        return _error(request, SAME_DATE, 400, principal)
    fmt = formatter(request)
    shown, by_topic = topics(board)
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "principal": principal,
            "board": board,
            "chart": chart_data(fmt, board),
            "clv_labels": [bin_label(fmt, b) for b in board.clv_bins],
            "topics": shown,
            "by_topic": by_topic,
            "labels": labels,
            "currency": labels.REPORTING_CURRENCY,
        },
    )
