"""What the segment and campaign pages share: who is signed in, the error page, the CSRF
check of their forms, field errors in words and the words for campaign codes."""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError

from bankcrm.marketing.segment_form import CATEGORIES, Errors
from bankcrm.web import labels
from bankcrm.web.i18n import N_

NOT_ALLOWED = N_("Your role may not use campaigns and segments.")
NOT_RUNNING = N_("Your role sees campaign results only: it may not change campaigns.")
NOT_FOUND = N_("This campaign does not exist or is not yours to see.")
REQUIRED = N_("This field is required.")
TOO_LONG = N_("Too long: at most %(max)s characters.")
NOT_A_CHOICE = N_("Choose one of the options.")
NOT_A_DATE = N_("Enter a date.")
INVALID = N_("This value is not accepted.")

CHANNELS: dict[str, str] = {**labels.CHANNELS, "mail": N_("Mail")}
MEMBER_STATUSES: dict[str, str] = {
    "targeted": N_("Not contacted yet"),
    "contacted": N_("Contacted"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "excluded": N_("Left out"),
}
EXCLUSIONS: dict[str, str] = {
    "no_consent": N_("%(count)s left out: no marketing consent"),
    "closed_or_deceased": N_("%(count)s left out: closed or deceased"),
    "out_of_scope": N_("%(count)s left out: outside this campaign's branch or your scope"),
}
# The campaign's state, from its dates and whether its target list is built.
STATES: dict[str, str] = {
    "draft": N_("Draft: no target list yet"),
    "planned": N_("Planned"),
    "running": N_("Running"),
    "ended": N_("Ended"),
}
TERMS: dict[str, str] = {
    **labels.TIERS,
    **labels.BANDS,
    **labels.CUSTOMER_KINDS,
    **labels.CUSTOMER_STATUSES,
    **CATEGORIES,
}


def state(targeted: bool, starts_on: date, ends_on: date, today: date) -> str:
    if not targeted:
        return "draft"
    if today < starts_on:
        return "planned"
    return "running" if today <= ends_on else "ended"


def field_errors(exc: ValidationError) -> Errors:
    """Pydantic's errors in words, by the form field they concern."""
    errors: Errors = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "form"
        kind = error["type"]
        context = error.get("ctx", {})
        if kind == "missing" or (kind == "string_too_short" and context.get("min_length") == 1):
            found: tuple[str, dict[str, object]] = (REQUIRED, {})
        elif kind == "string_too_long":
            found = (TOO_LONG, {"max": context.get("max_length")})
        elif kind in ("literal_error", "int_parsing", "greater_than_equal", "less_than_equal"):
            found = (NOT_A_CHOICE, {})
        elif kind.startswith("date"):
            found = (NOT_A_DATE, {})
        else:
            found = (INVALID, {})
        errors.setdefault(name, found)
    return errors
