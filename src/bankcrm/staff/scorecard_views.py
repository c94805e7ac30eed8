"""The manager scorecards page (/scorecards): per manager the seven customer-centred
measures of `staff.scorecard` over a period (the last full quarter unless the form says
otherwise), the weights, the weighted score, a radar chart of each card and the ranking.

The same service as `GET /api/v1/scorecards` (who sees whose card, the audit); a bad
period comes back as the form with the error next to its field, never a server error."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bankcrm.kit.errors import Conflict, Forbidden
from bankcrm.staff import scorecard
from bankcrm.staff.schemas import Measure, Scorecards
from bankcrm.staff.terms import BASIS, MEASURES
from bankcrm.web.deps import SessionDep
from bankcrm.web.i18n import N_, Formatter
from bankcrm.web.pages import formatter, render, visitor

router = APIRouter(include_in_schema=False)

NO_ACCESS = N_(
    "Your role has no scorecards: branch managers see their branch's managers, account "
    "managers their own."
)
NOT_A_DATE = N_("Enter a date.")
ENDS_BEFORE = N_("The period ends before it starts.")
TOO_LONG = N_("Choose a period of at most three years.")
TOO_LATE = N_("Choose an earlier date.")

Errors = dict[str, str]


def last_quarter(today: date) -> tuple[date, date]:
    """The last full calendar quarter before `today`."""
    this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = this_quarter - timedelta(days=1)
    return date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end


def _day(raw: str | None, default: date, name: str, errors: Errors) -> date:
    if raw is None or not raw.strip():
        return default
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        errors[name] = NOT_A_DATE
        return default


def shown(fmt: Formatter, measure: Measure) -> str:
    """A measure's value in its unit, as the page writes it."""
    value = measure.value
    if value is None:
        return "—"
    if measure.unit == "share":
        return f"{fmt.number(round(100 * value, 1))} %"
    if measure.unit == "relative_change":
        sign = "+" if value > 0 else ""
        return f"{sign}{fmt.number(round(100 * value, 1))} %"
    if measure.unit == "csat_1_5":
        return f"{fmt.number(round(value, 2))} / 5"
    if measure.unit == "products":
        return fmt.number(round(value, 2))
    return fmt.number(round(value))


def _chart(fmt: Formatter, cards: Scorecards, ranking: list[Any]) -> dict[str, Any]:
    """What scorecards.js draws: one radar of attainments (0..100) per card, and the
    ranking's totals."""
    names = [m.name for m in cards.scorecards[0].measures] if cards.scorecards else []
    return {
        "measures": [fmt.gettext(MEASURES.get(n, n)) for n in names],
        "cards": [
            {
                "name": card.name,
                "total": card.total,
                "attainment": [
                    None if m.attainment is None else round(100 * m.attainment, 1)
                    for m in card.measures
                ],
            }
            for card in cards.scorecards
        ],
        "ranking": {"names": [c.name for c in ranking], "totals": [c.total for c in ranking]},
    }


@router.get("/scorecards", response_class=HTMLResponse, name="scorecards_page")
def scorecards_page(request: Request, session: SessionDep) -> Response:
    signed_in = visitor(request, session)
    if signed_in is None:
        return RedirectResponse(request.app.url_path_for("login"), status.HTTP_303_SEE_OTHER)
    principal = signed_in.principal
    try:
        scorecard.require_access(principal)
    except Forbidden:
        return render(
            request, "error.html", {"message": NO_ACCESS, "principal": principal}, status_code=403
        )
    fmt = formatter(request)
    default_first, default_last = last_quarter(fmt.today())
    errors: Errors = {}
    first = _day(request.query_params.get("from"), default_first, "from", errors)
    last = _day(request.query_params.get("to"), default_last, "to", errors)
    cards: Scorecards | None = None
    if not errors:
        try:
            cards = scorecard.scorecards(session, principal, first, last)
        except Conflict as exc:
            text = str(exc)
            errors["to"] = (
                ENDS_BEFORE if "before it starts" in text else TOO_LONG if "at most" in text
                else TOO_LATE
            )  # fmt: skip
    ranking = sorted(cards.scorecards, key=lambda c: (-c.total, c.name)) if cards else []
    context: dict[str, Any] = {
        "principal": principal,
        "cards": cards,
        "ranking": ranking,
        "values": {
            "from": request.query_params.get("from", first.isoformat()),
            "to": request.query_params.get("to", last.isoformat()),
        },
        "errors": errors,
        "measures": MEASURES,
        "basis": BASIS,
        "shown": lambda m: shown(fmt, m),
        "chart": _chart(fmt, cards, ranking) if cards else None,
    }
    return render(request, "staff/scorecards.html", context)
