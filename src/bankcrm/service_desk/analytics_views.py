"""The service-quality page (/cases/analytics) of branch managers (their branch), product
managers, executives and analysts: cases per month and kind, complaints by topic over
time (ECharts, static/js/cases.js), SLA breaches, CSAT and NPS over a month range. Its
figures come from `service.analytics`, as `GET /api/v1/cases/analytics`: aggregates only,
no customer and no case text."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bankcrm.kit.errors import Forbidden, InvalidInput
from bankcrm.service_desk import service
from bankcrm.service_desk.schemas import CaseAnalytics
from bankcrm.web import labels
from bankcrm.web.deps import SessionDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import formatter, render, visitor

router = APIRouter(include_in_schema=False)

MONTH = re.compile(r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$")
DEFAULT_MONTHS = 12  # the range shown unless asked otherwise, ending this month
MOST_MONTHS = 120  # the longest range drawn at once
TOPICS_DRAWN = 6  # complaint topics drawn one by one; the rest are "Other topics"
NOT_A_MONTH = N_("Enter a month as YYYY-MM.")
BACKWARDS = N_("The first month must not be after the last.")
TOO_LONG = N_("At most %(months)s months at a time.")
NOT_ALLOWED = N_("Your role does not see the service-quality figures.")
OTHER_TOPICS = N_("Other topics")


def _shift(month: str, months: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(
    raw_since: str, raw_until: str, today: date
) -> tuple[str, str, dict[str, tuple[str, dict[str, object]]]]:
    """The months asked for, or the last DEFAULT_MONTHS ending this month for a blank or
    refused one (with the refusal next to its field)."""
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    until = f"{today.year:04d}-{today.month:02d}"
    since = _shift(until, 1 - DEFAULT_MONTHS)
    raw_since, raw_until = raw_since.strip(), raw_until.strip()
    if raw_until:
        if MONTH.match(raw_until):
            until = raw_until
            since = _shift(until, 1 - DEFAULT_MONTHS)
        else:
            errors["until"] = (NOT_A_MONTH, {})
    if raw_since:
        if not MONTH.match(raw_since):
            errors["since"] = (NOT_A_MONTH, {})
        elif raw_since > until:
            errors["since"] = (BACKWARDS, {})
        elif raw_since < _shift(until, 1 - MOST_MONTHS):
            errors["since"] = (TOO_LONG, {"months": MOST_MONTHS})
        else:
            since = raw_since
    return since, until, errors


def _months(since: str, until: str) -> list[str]:
    months, month = [], since
    while month <= until:
        months.append(month)
        month = _shift(month, 1)
    return months


def chart_data(figures: CaseAnalytics, months: list[str], words: Any) -> dict[str, Any]:
    """What cases.js draws: cases per month stacked by kind, complaints per month by topic
    (the TOPICS_DRAWN biggest, the rest together). `words` translates a msgid."""
    slot = {m: i for i, m in enumerate(months)}
    kinds: dict[str, list[int]] = {}
    topics: dict[str, list[int]] = {}
    for row in figures.by_month:
        if row.month not in slot:
            continue
        kinds.setdefault(row.kind, [0] * len(months))[slot[row.month]] += row.cases
        if row.kind == "complaint":
            topics.setdefault(row.topic, [0] * len(months))[slot[row.month]] += row.cases
    ranked = sorted(topics, key=lambda t: (-sum(topics[t]), t))
    drawn = {t: topics[t] for t in ranked[:TOPICS_DRAWN]}
    if len(ranked) > TOPICS_DRAWN:
        rest = [sum(topics[t][i] for t in ranked[TOPICS_DRAWN:]) for i in range(len(months))]
        drawn[words(OTHER_TOPICS)] = rest
    order = [k for k in labels.CASE_KINDS if k in kinds] + sorted(
        set(kinds) - set(labels.CASE_KINDS)
    )
    return {
        "months": months,
        "kinds": [
            {"name": words(labels.label(labels.CASE_KINDS, k)), "data": kinds[k]} for k in order
        ],
        "topics": [{"name": t, "data": v} for t, v in drawn.items()],
    }


@router.get("/cases/analytics", response_class=HTMLResponse, name="case_analytics")
def case_analytics(request: Request, session: SessionDep) -> Response:
    signed_in = visitor(request, session)
    if signed_in is None:
        return RedirectResponse(request.app.url_path_for("login"), status.HTTP_303_SEE_OTHER)
    principal = signed_in.principal
    fmt = formatter(request)
    since, until, errors = month_range(
        request.query_params.get("since", ""), request.query_params.get("until", ""), fmt.today()
    )
    try:
        figures = service.analytics(session, principal, since, until)
    except Forbidden:
        return render(request, "error.html", {"message": NOT_ALLOWED, "principal": principal}, 403)
    except InvalidInput:  # cannot happen: both months were checked above
        return render(request, "error.html", {"message": NOT_A_MONTH, "principal": principal}, 400)
    months = _months(since, until)
    complaints: dict[str, int] = {}
    for row in figures.by_month:
        if row.kind == "complaint":
            complaints[row.topic] = complaints.get(row.topic, 0) + row.cases
    context: dict[str, Any] = {
        "principal": principal,
        "figures": figures,
        "since": since,
        "until": until,
        "values": {
            "since": request.query_params.get("since", since),
            "until": request.query_params.get("until", until),
        },
        "errors": errors,
        "form_name": "range",
        "breaches": figures.sla_cases - figures.sla_kept,
        "complaints": sorted(complaints.items(), key=lambda item: (-item[1], item[0])),
        "branch_only": principal.branch_id is not None and principal.role == "branch_manager",
        "chart": chart_data(figures, months, fmt.gettext),
        "labels": labels,
    }
    return render(request, "service_desk/analytics.html", context)
