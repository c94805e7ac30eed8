"""The opportunity pages' forms: what they send to the services and the refusals in words,
each next to the field it concerns (catalogue msgids)."""

from __future__ import annotations

from pydantic import ValidationError

from bankcrm.kit.errors import Conflict, InvalidInput
from bankcrm.web.i18n import N_

Errors = dict[str, tuple[str, dict[str, object]]]  # field ("form": the whole form) -> msgid

REQUIRED = N_("This field is required.")
TOO_LONG = N_("Too long: at most %(max)s characters.")
NOT_A_CHOICE = N_("Choose one of the options.")
INVALID = N_("This value is not accepted.")
NOT_AN_AMOUNT = N_("Enter an amount above zero, with at most two decimals.")
NOT_A_DATE = N_("Enter a date.")
STALE = N_(
    "Someone changed this opportunity meanwhile. It is shown as it is now: check it and "
    "send your change again."
)
NOTHING = N_("Change at least one field.")
# The services' refusals, by the field they name.
RULES: dict[str, str] = {
    "stage": N_("The opportunity cannot move to this stage now."),
    "note": N_("Say why in a note: moving back and reopening need one."),
    "lost_reason": N_("Choose why it was lost."),
    "product_id": N_("Choose a product of the active catalogue."),
    "expected_close_on": N_("The expected close must not be in the past."),
    "owner_id": N_("Choose an active staff member of the branch."),
    "customer_no": N_("No customer with this number is in your scope."),
    "prospect_no": N_("No open prospect with this number is in your scope."),
    "prospect_id": N_("This prospect is converted or disqualified."),
    "assignee_id": N_("Choose an active staff member."),
    "status": N_("This task is no longer open."),
}
PARTY = N_("Give a customer number or a prospect number, not both.")
DECIMALS = {"amount"}
DATES = {"expected_close_on", "due_on"}


def field_errors(exc: ValidationError) -> Errors:
    errors: Errors = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        kind = error["type"]
        if field == "version":
            found: tuple[str, dict[str, object]] = (STALE, {})
            field = "form"
        elif kind == "missing":
            found = (REQUIRED, {})
        elif field in DECIMALS:
            found = (NOT_AN_AMOUNT, {})
        elif field in DATES:
            found = (NOT_A_DATE, {})
        elif kind == "string_too_long":
            found = (TOO_LONG, {"max": error.get("ctx", {}).get("max_length")})
        elif kind in ("literal_error", "int_parsing"):
            found = (NOT_A_CHOICE, {})
        elif kind == "value_error" and field in ("customer_id", "prospect_id", "form"):
            found, field = (PARTY, {}), "customer_no"
        else:
            found = (INVALID, {})
        errors.setdefault(field, found)
    return errors


def rule_error(exc: InvalidInput | Conflict) -> Errors:
    """A service refusal as the error to show next to its field."""
    field = exc.field
    if field == "version":
        return {"form": (STALE, {})}
    if field is None:
        return {"form": (NOTHING if isinstance(exc, InvalidInput) else INVALID, {})}
    return {field: (RULES.get(field, INVALID), {})}


def blank_to_none(values: dict[str, str]) -> dict[str, object]:
    """Form values with blanks left out (a blank field is not sent)."""
    return {k: v.strip() for k, v in values.items() if v.strip()}
