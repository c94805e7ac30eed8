"""What the referral pages' forms send to the service, and the service's refusals in
words, each next to the field it concerns (catalogue msgids)."""

from __future__ import annotations

from pydantic import ValidationError

from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.web.i18n import N_

Errors = dict[str, tuple[str, dict[str, object]]]  # field ("form": the whole form) -> msgid

REQUIRED = N_("This field is required.")
TOO_LONG = N_("Too long: at most %(max)s characters.")
NOT_A_CHOICE = N_("Choose one of the options.")
INVALID = N_("This value is not accepted.")
NO_PERSON = N_("No customer or prospect has this number.")
ENDED = N_("This customer's relationship with the bank has ended.")
PROSPECT_CONVERTED = N_("This prospect became a customer: refer the customer.")
STALE = N_(
    "Someone changed this meanwhile. It is shown as it is now: check it and send your change again."
)
DECIDED = N_("This referral already has its outcome.")
BAD_STAFF = N_("Choose an active staff member.")
ROUTE_TAKEN = N_("This line already has an active route there: change that one instead.")
NOT_YOURS = N_("You may not do this here.")
NOTHING = N_("Change at least one field.")
# The service's refusals, by the field it names: (where the form shows it, the words).
RULES: dict[str, tuple[str, str]] = {
    "version": ("form", STALE),
    "status": ("form", DECIDED),
    "customer_id": ("person", ENDED),
    "prospect_id": ("person", PROSPECT_CONVERTED),
    "staff_id": ("staff_id", BAD_STAFF),
    "line": ("line", ROUTE_TAKEN),
    "active": ("form", ROUTE_TAKEN),
    "reason": ("reason", REQUIRED),
    "branch_id": ("branch_id", NOT_A_CHOICE),
}


def field_errors(exc: ValidationError, person_field: str = "person") -> Errors:
    """A form's input refused by the schema: each error next to its field; a refusal of
    the whole input (customer xor prospect) on the person."""
    errors: Errors = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else person_field
        if not error["loc"] and "need" in str(error.get("msg", "")):
            field = "need"
        if field in ("customer_id", "prospect_id"):
            field = person_field
        kind = error["type"]
        if field == "version":
            found: tuple[str, dict[str, object]] = (STALE, {})
            field = "form"
        elif kind == "missing" or kind == "string_too_short":
            found = (REQUIRED, {})
        elif kind == "string_too_long":
            found = (TOO_LONG, {"max": error.get("ctx", {}).get("max_length")})
        elif kind == "literal_error":
            found = (NOT_A_CHOICE, {})
        elif field in (person_field, "need") and not error["loc"]:
            found = (REQUIRED, {})
        else:
            found = (INVALID, {})
        errors.setdefault(field, found)
    return errors


def rule_error(exc: InvalidInput | Conflict | Forbidden | NotFound) -> Errors:
    """A service refusal as the error to show."""
    if isinstance(exc, Forbidden):
        return {"form": (NOT_YOURS, {})}
    if isinstance(exc, NotFound):
        return {"person": (NO_PERSON, {})}
    field = exc.field
    if field is None:
        return {"form": (NOTHING if isinstance(exc, InvalidInput) else INVALID, {})}
    where, message = RULES.get(field, (field, INVALID))
    return {where: (message, {})}
