"""The pipeline page (/opportunities/pipeline): open opportunities by stage per manager,
branch or product, the expected volume by month of expected close, and win and loss by
product and segment, as ECharts charts (static/js/opportunities.js) with their tables.
Figures from `pipeline.pipeline`, as `GET /api/v1/opportunities/pipeline`: aggregates
only, managers shown as the role may see them."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bankcrm.kit.errors import Forbidden, InvalidInput
from bankcrm.opportunities import pipeline, stages, words
from bankcrm.opportunities.forms import Errors
from bankcrm.opportunities.schemas import Dimension, Pipeline
from bankcrm.web.deps import SessionDep, SettingsDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, formatter, render, signed_in

router = APIRouter(include_in_schema=False)

CURRENCY = re.compile(r"^[A-Z]{3}$")
NOT_ALLOWED = N_("Your role does not see the sales pipeline.")
NOT_A_DATE = N_("Enter a date.")
BACKWARDS = N_("The first day must not be after the last.")
WEIGHTED = N_("Weighted amount")
AMOUNT = N_("Amount")
WIN_RATE = N_("Win rate (%)")


def _day(raw: str, name: str, errors: Errors) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not date(2000, 1, 1) <= day <= date(2100, 12, 31):
        errors[name] = (NOT_A_DATE, {})
        return None
    return day


def chart_data(figures: Pipeline, words_of: Any) -> dict[str, Any]:
    """What opportunities.js draws: amount and weighted amount per open stage, weighted
    volume per month, win rate per product, lost reasons. `words_of` translates."""
    open_stages = [s for s in stages.OPEN_STAGES if any(r.stage == s for r in figures.by_stage)]
    amount = {s: 0.0 for s in open_stages}
    weighted = {s: 0.0 for s in open_stages}
    for row in figures.by_stage:
        if row.stage in amount:
            amount[row.stage] += float(row.amount)
            weighted[row.stage] += float(row.weighted_amount)
    return {
        "stages": [words_of(words.STAGES[s]) for s in open_stages],
        "amount": [round(amount[s], 2) for s in open_stages],
        "weighted": [round(weighted[s], 2) for s in open_stages],
        "months": [m.month for m in figures.by_month],
        "month_amount": [float(m.amount) for m in figures.by_month],
        "month_weighted": [float(m.weighted_amount) for m in figures.by_month],
        "products": [p.label for p in figures.by_product],
        "win_rate": [
            round(100 * p.win_rate, 1) if p.win_rate is not None else 0 for p in figures.by_product
        ],
        "reasons": [
            {"name": words_of(words.label(words.LOST_REASONS, k)), "value": v}
            for k, v in figures.lost_reasons.items()
        ],
        "names": {
            "amount": words_of(AMOUNT),
            "weighted": words_of(WEIGHTED),
            "rate": words_of(WIN_RATE),
        },
    }


def _table(figures: Pipeline) -> list[tuple[str, dict[str, tuple[int, Any, Any]]]]:
    """Rows of the by-stage table: each manager, branch or product with its stages."""
    rows: dict[str, dict[str, tuple[int, Any, Any]]] = {}
    for r in figures.by_stage:
        rows.setdefault(r.label, {})[r.stage] = (r.count, r.amount, r.weighted_amount)
    return sorted(rows.items())


@router.get("/opportunities/pipeline", response_class=HTMLResponse, name="opportunity_pipeline")
def opportunity_pipeline(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    visitor = signed_in(request, session)
    if isinstance(visitor, Response):
        return visitor
    principal = visitor.principal
    raw = request.query_params
    errors: Errors = {}
    by_raw = raw.get("by", "manager")
    by: Dimension = by_raw if by_raw in words.DIMENSIONS else "manager"  # type: ignore[assignment]
    currency = raw.get("currency", "").strip() or None
    if currency is not None and not CURRENCY.match(currency):
        errors["currency"] = (N_("Choose one of the options."), {})
        currency = None
    since = _day(raw.get("since", ""), "since", errors)
    until = _day(raw.get("until", ""), "until", errors)
    if since is not None and until is not None and since > until:
        errors["since"] = (BACKWARDS, {})
        since = None
    try:
        figures = pipeline.pipeline(session, settings, principal, by, currency, since, until)
    except Forbidden:
        return error_page(request, NOT_ALLOWED, 403, principal)
    except InvalidInput:  # cannot happen: the days were checked above
        return error_page(request, BACKWARDS, 400, principal)
    fmt = formatter(request)
    open_rows = [r for r in figures.by_stage if r.stage in stages.OPEN_STAGES]
    context: dict[str, Any] = {
        "principal": principal,
        "figures": figures,
        "table": _table(figures),
        "open_count": sum(r.count for r in open_rows),
        "open_amount": sum((r.amount for r in open_rows), start=0),
        "open_weighted": sum((r.weighted_amount for r in open_rows), start=0),
        "chart": chart_data(figures, fmt.gettext),
        "words": words,
        "values": {
            "by": by,
            "currency": figures.currency or "",
            "since": raw.get("since", ""),
            "until": raw.get("until", ""),
        },
        "errors": errors,
        "form_name": "range",
        "is_seller": principal.role in ("account_manager", "branch_manager"),
    }
    return render(request, "opportunities/pipeline.html", context)
