"""The customer 360 page of the workbench, its break-glass form and its three htmx forms
(log a contact, open a case, create a task).

Every form calls the same service as the JSON API: `security.break_glass.grant`,
`interactions.service.log_interaction` and `create_task`, `service_desk.service.open_case`.
Bad input comes back as the form with each error next to its field (htmx swaps the form
in place) and writes nothing; a customer outside the caller's scope is a 404 page, as in
the API; a form without the session's CSRF token is refused with 403.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from bankcrm.customers import service
from bankcrm.customers.schemas import Customer360
from bankcrm.interactions import service as interactions_service
from bankcrm.interactions.schemas import InteractionIn, TaskIn
from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.opportunities.access import SELLERS
from bankcrm.security import break_glass
from bankcrm.security.principal import Principal
from bankcrm.security.roles import View
from bankcrm.security.schemas import BreakGlassIn
from bankcrm.service_desk import service as service_desk
from bankcrm.service_desk.schemas import CaseIn
from bankcrm.web import labels
from bankcrm.web.deps import RecordId, SessionDep, SettingsDep
from bankcrm.web.i18n import N_
from bankcrm.web.pages import error_page, form_post, render, signed_in

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]

# The choices the forms offer (msgids of the catalogue, web/labels.py), in the API's own
# values; the first is the form's default.
TASK_KINDS: dict[str, str] = {
    "manual": N_("Other"),  # on a form, "other than the kinds below"
    **{k: labels.TASK_KINDS[k] for k in ("follow_up", "review", "offer", "retention_call")},
    "kyc_refresh": labels.TASK_KINDS["kyc_refresh"],
}
STATUSES: dict[str, str] = {
    **labels.CUSTOMER_STATUSES,
    **labels.CASE_STATUSES,
    **labels.CUSTOMER_KINDS,
    "done": N_("Done"),
    "cancelled": N_("Cancelled"),
    "interaction": N_("Contact"),
    "case": N_("Case"),
    "prospect": N_("Prospect"),
    "credit": N_("Credit"),
    "debit": N_("Debit"),
}
# Any code the page shows -> its words (a code without an entry is shown as it is).
TERMS: dict[str, str] = {
    **STATUSES,
    **labels.BANDS,
    **labels.TIERS,
    **labels.RELATIONSHIPS,
    **labels.CASE_KINDS,
    **labels.OUTCOMES,
    **labels.CHANNELS,
    **labels.PRIORITIES,
    **TASK_KINDS,
    **labels.PROSPECT_ACTIVITIES,
}
CHOICES: dict[str, dict[str, str]] = {
    "channels": labels.CHANNELS,
    "directions": labels.DIRECTIONS,
    "outcomes": labels.OUTCOMES,
    "case_kinds": labels.CASE_KINDS,
    "priorities": labels.PRIORITIES,
    "task_kinds": TASK_KINDS,
    "relationship_kinds": labels.RELATIONSHIPS,
}

# Field errors in words (msgids), by pydantic's error type.
REQUIRED = N_("This field is required.")
TOO_LONG = N_("Too long: at most %(max)s characters.")
TOO_SHORT = N_("Too short: at least %(min)s characters.")
NOT_A_CHOICE = N_("Choose one of the options.")
NOT_A_DATE = N_("Enter a date.")
INVALID = N_("This value is not accepted.")
NOT_FOUND = N_("This customer does not exist or is not in your scope.")
NOT_ALLOWED = N_("Your role may not do this.")
# Errors of the services' rules, by the field they name.
RULES: dict[str, str] = {
    "kind": N_("This customer already has an open task of this kind."),
    "occurred_at": N_("A contact can only be logged once it happened."),
}

Errors = dict[str, tuple[str, dict[str, object]]]  # field -> (msgid, values)


def _field_errors(exc: ValidationError) -> Errors:
    errors: Errors = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        kind = error["type"]
        context = error.get("ctx", {})
        if kind == "missing" or (kind == "string_too_short" and context.get("min_length") == 1):
            found: tuple[str, dict[str, object]] = (REQUIRED, {})
        elif kind == "string_too_short":
            found = (TOO_SHORT, {"min": context.get("min_length")})
        elif kind == "string_too_long":
            found = (TOO_LONG, {"max": context.get("max_length")})
        elif kind == "literal_error":
            found = (NOT_A_CHOICE, {})
        elif kind.startswith("date"):
            found = (NOT_A_DATE, {})
        elif field == "reason" and kind == "string_pattern_mismatch":
            found = (TOO_SHORT, {"min": break_glass.MIN_REASON})
        else:
            found = (INVALID, {})
        errors.setdefault(field, found)
    return errors


def _rule_error(exc: InvalidInput | Conflict | Forbidden) -> Errors:
    field = getattr(exc, "field", None) or "form"
    if isinstance(exc, Forbidden):
        return {"form": (NOT_ALLOWED, {})}
    if field == "reason":
        return {field: (TOO_SHORT, {"min": break_glass.MIN_REASON})}
    return {field: (RULES.get(field, INVALID), {})}


def _optional(value: str) -> str | None:
    value = value.strip()
    return value or None


def _chart_data(view: Customer360) -> dict[str, Any]:
    """What customer.js draws: each account's balance after its recent transactions, oldest
    first, and the relationship graph (names only where the caller may see them)."""
    series: dict[str, list[tuple[str, float]]] = {}
    for t in sorted(view.recent_transactions, key=lambda t: t.booked_on):
        if t.balance_after is not None:
            series.setdefault(t.account_no, []).append(
                (t.booked_on.isoformat(), float(t.balance_after))
            )
    return {
        "balances": [{"account": k, "points": v} for k, v in series.items()],
        "relationships": [
            {
                "kind": r.kind,
                "other_id": r.other_id,
                "other_name": r.other_name,
                "loans": float(r.loans_outstanding),
            }
            for r in view.relationships
        ],
    }


def _context(principal: Principal, customer: Customer360, **extra: object) -> dict[str, object]:
    profile = customer.profile
    name = profile.company_name or " ".join(p for p in (profile.first_name, profile.last_name) if p)
    currency = next((h.currency for h in customer.holdings), "CZK")
    accounts = {h.account_no: h.currency for h in customer.holdings}
    return {
        "principal": principal,
        "customer": customer,
        "profile": profile,
        "name": name or profile.customer_no,
        "currency": currency,
        "accounts": accounts,
        "masked": profile.view is not View.FULL,
        "can_break_glass": profile.view is not View.FULL and principal.policy.break_glass,
        "can_write": principal.policy.writes_customers,
        "can_sell": principal.role in SELLERS,
        "charts": _chart_data(customer),
        "choices": CHOICES,
        "terms": TERMS,
        "today": date.today().isoformat(),
        "values": {},
        "errors": {},
        "done": None,
        "form_name": None,
        **extra,
    }


@router.get("/customers/{customer_id}", response_class=HTMLResponse, name="customer_page")
def customer_page(
    customer_id: RecordId, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """The customer 360 as the caller may see it (masked per role, audited as the API)."""
    found = signed_in(request, session)
    if isinstance(found, Response):
        return found
    principal = found.principal
    try:
        customer = service.get_customer(session, settings, principal, customer_id)
    except NotFound:
        return error_page(request, NOT_FOUND, 404)
    except Forbidden:
        return error_page(request, NOT_ALLOWED, 403)
    return render(request, "customers/customer.html", _context(principal, customer))


def _back_to_page(request: Request, customer_id: int) -> Response:
    """After a break-glass grant: the whole page again, now unmasked."""
    target = str(request.app.url_path_for("customer_page", customer_id=str(customer_id)))
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


def _form_answer(
    request: Request,
    session: Session,
    settings: SettingsDep,
    principal: Principal,
    customer_id: int,
    form: str,
    values: dict[str, str],
    errors: Errors | None = None,
    done: str | None = None,
) -> Response:
    """The form again: with its errors next to the fields (nothing was written), or empty
    with what was done and the page's timeline, cases and tasks brought up to date."""
    if errors:
        session.rollback()  # as the API: a refused request leaves nothing behind
    try:
        customer = service.get_customer(session, settings, principal, customer_id)
    except NotFound:
        return error_page(request, NOT_FOUND, 404)
    context = _context(
        principal,
        customer,
        form_name=form,
        values=values if errors else {},
        errors=errors or {},
        done=done,
        refresh=not errors,
    )
    return render(request, "customers/form_answer.html", context)


@router.post("/customers/{customer_id}/break-glass", name="customer_break_glass")
def customer_break_glass(
    customer_id: RecordId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    reason: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Unmask the customer for a stated reason (the API's break-glass rules and audit)."""
    posted = form_post(request, session, csrf_token)
    if isinstance(posted, Response):
        return posted
    principal = posted.principal
    values = {"reason": reason}
    try:
        body = BreakGlassIn(reason=reason)
        break_glass.grant(session, settings, principal, customer_id, body.reason, body.minutes)
    except ValidationError as exc:
        return _form_answer(
            request, session, settings, principal, customer_id, "break_glass", values,
            _field_errors(exc),
        )  # fmt: skip
    except (InvalidInput, Forbidden) as exc:
        return _form_answer(
            request, session, settings, principal, customer_id, "break_glass", values,
            _rule_error(exc),
        )  # fmt: skip
    except NotFound:
        session.rollback()
        return error_page(request, NOT_FOUND, 404)
    return _back_to_page(request, customer_id)


def _submit(
    request: Request,
    session: Session,
    settings: SettingsDep,
    customer_id: int,
    csrf_token: str,
    form: str,
    values: dict[str, str],
    build: type[BaseModel],
    fields: dict[str, object],
    done: str,
) -> Response:
    posted = form_post(request, session, csrf_token)
    if isinstance(posted, Response):
        return posted
    principal = posted.principal
    errors: Errors | None = None
    try:
        body = build(**fields)
        if isinstance(body, InteractionIn):
            interactions_service.log_interaction(session, principal, customer_id, body)
        elif isinstance(body, CaseIn):
            service_desk.open_case(session, settings, principal, customer_id, body)
        elif isinstance(body, TaskIn):
            interactions_service.create_task(session, principal, body)
    except ValidationError as exc:
        errors = _field_errors(exc)
    except (InvalidInput, Conflict, Forbidden) as exc:
        errors = _rule_error(exc)
    except NotFound:
        session.rollback()
        return error_page(request, NOT_FOUND, 404)
    if errors is None and not request.headers.get("HX-Request"):
        target = request.app.url_path_for("customer_page", customer_id=str(customer_id))
        return RedirectResponse(str(target), status.HTTP_303_SEE_OTHER)
    return _form_answer(
        request, session, settings, principal, customer_id, form, values, errors, done
    )


@router.post("/customers/{customer_id}/interactions", name="customer_log_interaction")
def customer_log_interaction(
    customer_id: RecordId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    channel: FormText = "",
    direction: FormText = "",
    topic: FormText = "",
    outcome: FormText = "",
    note: FormText = "",
    next_step: FormText = "",
    next_step_due: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Log a contact (a next step opens a follow-up task), as POST /api/v1/.../interactions."""
    values = {
        "channel": channel,
        "direction": direction,
        "topic": topic,
        "outcome": outcome,
        "note": note,
        "next_step": next_step,
        "next_step_due": next_step_due,
    }
    fields: dict[str, object] = {
        "channel": channel,
        "direction": direction,
        "topic": topic.strip(),
        "outcome": outcome,
        "note": _optional(note),
        "next_step": _optional(next_step),
        "next_step_due": _optional(next_step_due),
    }
    return _submit(
        request, session, settings, customer_id, csrf_token, "interaction", values,
        InteractionIn, fields, N_("The contact is logged."),
    )  # fmt: skip


@router.post("/customers/{customer_id}/cases", name="customer_open_case")
def customer_open_case(
    customer_id: RecordId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    kind: FormText = "",
    topic: FormText = "",
    channel: FormText = "",
    priority: FormText = "normal",
    description: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Open a case with the tier's SLA, as POST /api/v1/customers/{id}/cases."""
    values = {
        "kind": kind,
        "topic": topic,
        "channel": channel,
        "priority": priority,
        "description": description,
    }
    fields: dict[str, object] = {
        "kind": kind,
        "topic": topic.strip(),
        "channel": channel,
        "priority": priority,
        "description": _optional(description),
    }
    return _submit(
        request, session, settings, customer_id, csrf_token, "case", values,
        CaseIn, fields, N_("The case is open."),
    )  # fmt: skip


@router.post("/customers/{customer_id}/tasks", name="customer_create_task")
def customer_create_task(
    customer_id: RecordId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    kind: FormText = "manual",
    reason: FormText = "",
    due_on: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Open a task for the customer's manager, as POST /api/v1/tasks."""
    values = {"kind": kind, "reason": reason, "due_on": due_on}
    fields: dict[str, object] = {
        "customer_id": customer_id,
        "kind": kind,
        "reason": reason.strip(),
        "due_on": _optional(due_on),
    }
    return _submit(
        request, session, settings, customer_id, csrf_token, "task", values,
        TaskIn, fields, N_("The task is created."),
    )  # fmt: skip
