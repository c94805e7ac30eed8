"""The prospect pages' forms: what the user typed, turned into the API's bodies, and every
refusal turned into a message next to its field (catalogue msgids, web/i18n.py)."""

from __future__ import annotations

from pydantic import ValidationError

from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.web.i18n import N_

Errors = dict[str, tuple[str, dict[str, object]]]  # field -> (msgid, values)

REQUIRED = N_("This field is required.")
TOO_LONG = N_("Too long: at most %(max)s characters.")
TOO_SHORT = N_("Too short: at least %(min)s characters.")
NOT_A_CHOICE = N_("Choose one of the options.")
NOT_A_DATE = N_("Enter a date.")
INVALID = N_("This value is not accepted.")
NOT_FOUND = N_("This prospect does not exist or is not in your scope.")
NOT_ALLOWED = N_("Your role may not do this.")
STALE = N_("Someone changed this prospect in the meantime. Reload the page to see the latest.")
# Errors of the service's rules, by the field they name.
RULES: dict[str, str] = {
    "last_name": N_("A person needs a last name."),
    "company_name": N_("A company needs its name."),
    "reason": N_("Say why the prospect is disqualified."),
    "owner_id": N_("Choose a staff member of the prospect's branch."),
    "branch_id": N_("You may add prospects to your own branch only."),
    "campaign_id": N_("This campaign does not exist."),
    "occurred_at": N_("A contact can only be logged once it happened."),
    "status": N_("This status cannot be set now."),
    "decision": N_("This prospect is not waiting for a review decision."),
}


def optional(value: str) -> str | None:
    value = value.strip()
    return value or None


def field_errors(exc: ValidationError) -> Errors:
    errors: Errors = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        kind = error["type"]
        context = error.get("ctx", {})
        empty = error.get("input", "") is None  # a required choice left blank
        if (
            kind == "missing"
            or empty
            or (kind == "string_too_short" and context.get("min_length") == 1)
        ):
            found: tuple[str, dict[str, object]] = (REQUIRED, {})
        elif kind == "string_too_short":
            found = (TOO_SHORT, {"min": context.get("min_length")})
        elif kind == "string_too_long":
            found = (TOO_LONG, {"max": context.get("max_length")})
        elif kind == "literal_error":
            found = (NOT_A_CHOICE, {})
        elif kind.startswith("date"):
            found = (NOT_A_DATE, {})
        else:
            found = (INVALID, {})
        errors.setdefault(field, found)
    return errors


def rule_error(exc: InvalidInput | Conflict | Forbidden | NotFound) -> Errors:
    """A refusal of the service, next to the field it names (a stale version: on top)."""
    if isinstance(exc, Forbidden):
        return {"form": (NOT_ALLOWED, {})}
    if isinstance(exc, NotFound):
        return {"form": (NOT_FOUND, {})}
    field = getattr(exc, "field", None) or "form"
    if field == "version":
        return {"form": (STALE, {})}
    if field == "status" and isinstance(exc, Conflict):
        return {"form": (RULES["status"], {})}
    return {field: (RULES.get(field, INVALID), {})}
