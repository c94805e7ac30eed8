"""The audit log page (/audit-events, auditors only): the log filtered by user, action,
record and time, newest first, paged, through the service behind
`GET /api/v1/audit-events` (so reading the log is itself audited, as in the API).

The filter form and the pager are plain GET links; htmx swaps only `#audit-view` and pushes
the address. Times are typed and shown in the bank's display time zone. A filter value the
page cannot use is named next to its field and nothing is read."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from bankcrm.kit.errors import Forbidden
from bankcrm.security import service
from bankcrm.security.page_access import NOT_ALLOWED
from bankcrm.security.schemas import AuditEventOut, AuditQuery
from bankcrm.web.deps import SessionDep, SettingsDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, page_number, render, signed_in

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
TEXT_FILTERS = ("actor", "action", "record_type", "record_id")
TIME_FILTERS = ("since", "until")
FILTERS = (*TEXT_FILTERS, *TIME_FILTERS)
# What the log's action codes mean (codes the page does not know are shown as they are).
ACTIONS: dict[str, str] = {
    "read": N_("Read"),
    "list": N_("List read"),
    "create": N_("Create"),
    "update": N_("Update"),
    "login": N_("Log-in"),
    "logout": N_("Log-out"),
    "break_glass": N_("Break-glass"),
    "review": N_("Review"),
    "approve": N_("Approve"),
    "reject": N_("Reject"),
    "export": N_("Export"),
    "erase": N_("Erase"),
    "deactivate": N_("Deactivate"),
    "reactivate": N_("Reactivate"),
}
NOT_A_TIME = N_("Enter a date and time.")
TOO_LONG = N_("Too long: at most %(max)s characters.")
INVALID = N_("This value is not accepted.")
UNTIL_FIRST = N_("“Until” must be later than “From”.")
BAD_PAGE = N_("There is no such page.")

Errors = dict[str, tuple[str, dict[str, object]]]  # field -> (msgid, values)


def _time(raw: str, zone: ZoneInfo) -> datetime | None:
    """A typed date-time (the form's `2026-11-26T09:30`), in the display zone unless it
    names one; None when it is not one this log can hold."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if not 1900 <= value.year <= 2999:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _filters(raw: dict[str, str], zone: ZoneInfo) -> tuple[AuditQuery, dict[str, str], Errors]:
    """The query the service gets, what the form shows again, and the errors by field."""
    values = {k: raw[k].strip() for k in FILTERS if raw.get(k, "").strip()}
    errors: Errors = {}
    data: dict[str, object] = {}
    for name in TEXT_FILTERS:
        if name in values:
            if not values[name].isprintable():
                errors[name] = (INVALID, {})
            else:
                data[name] = values[name]
    for name in TIME_FILTERS:
        if name in values:
            moment = _time(values[name], zone)
            if moment is None:
                errors[name] = (NOT_A_TIME, {})
            else:
                data[name] = moment
    try:
        query = AuditQuery.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "actor"
            limit = error.get("ctx", {}).get("max_length")
            errors.setdefault(field, (TOO_LONG, {"max": limit}) if limit else (INVALID, {}))
        query = AuditQuery()
    if query.since and query.until and query.since >= query.until:
        errors.setdefault("until", (UNTIL_FIRST, {}))
    return query, values, errors


@router.get("/audit-events", response_class=HTMLResponse, name="audit_events_page")
def audit_events_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The log as the auditor filters it; everyone else gets the 403 page, not the data."""
    found = signed_in(request, session)
    if isinstance(found, Response):
        return found
    principal = found.principal
    try:
        service.require_auditor(principal)
    except Forbidden:
        return error_page(request, NOT_ALLOWED, 403, principal)
    zone = ZoneInfo(settings.display_timezone)
    query, values, errors = _filters(dict(request.query_params), zone)
    number = page_number(request.query_params.get("page"))
    if number is None:
        errors["page"] = (BAD_PAGE, {})
        number = 1
    events: list[AuditEventOut] = []
    total = 0
    if not errors:
        offset = (number - 1) * PAGE_SIZE
        rows, total = service.audit_log(
            session, principal, **query.model_dump(), offset=offset, limit=PAGE_SIZE
        )
        events = [AuditEventOut.model_validate(e) for e in rows]
    pages = max(1, (total - 1) // PAGE_SIZE + 1)

    def link(to_page: int) -> str:
        return "?" + urlencode({**values, "page": str(to_page)})

    context: dict[str, Any] = {
        "principal": principal,
        "events": events,
        "total": total,
        "number": number,
        "pages": pages,
        "values": values,
        "errors": errors,
        "link": link,
        "actions": ACTIONS,
    }
    return render(request, "security/audit_events.html", context)
