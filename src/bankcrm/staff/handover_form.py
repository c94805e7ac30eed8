"""The handover proposal form (on /portfolio-transfers and as the bulk action of the customer
list): what was posted, turned into the API's `TransferIn`, and every refusal in words next
to its field. The service (`portfolio.propose`) keeps the rules; this only reads the form."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.staff.choices import HandoverChoices
from bankcrm.staff.schemas import TransferFilter, TransferIn
from bankcrm.web.i18n import N_

Errors = dict[str, tuple[str, dict[str, object]]]  # field -> (msgid, values)

FILTER_FIELDS = ("kind", "status", "tier", "band", "region")
MAX_ID = 2**31 - 1

REQUIRED = N_("This field is required.")
TOO_SHORT = N_("Too short: at least %(min)s characters.")
TOO_LONG = N_("Too long: at most %(max)s characters.")
NOT_A_CHOICE = N_("Choose one of the options.")
INVALID = N_("This value is not accepted.")
SELECT_SOME = N_("Select at least one customer.")
# The service's refusals, by the field it names.
RULES: dict[str, str] = {
    "to_manager_id": N_("Choose another active manager of the giving manager's branch."),
    "customer_ids": N_(
        "Some of these customers are not the giving manager's, or are already in a pending "
        "handover."
    ),
    "filter": N_("No customer of the giving manager matches this selection."),
    "from_manager_id": N_("You may hand over only your own customers or those of your branch."),
}


@dataclass
class Proposal:
    """The form as posted (shown again on a refusal) and the customers selected."""

    origin: str  # "list" (the customer list's bulk action) or "page"
    values: dict[str, str]
    customer_ids: list[int] = field(default_factory=list)
    errors: Errors = field(default_factory=dict)


def read(
    choices: HandoverChoices, origin: str, values: dict[str, str], raw_ids: list[str]
) -> tuple[Proposal, TransferIn | None]:
    """The posted form and the request body for the service, None when a field is wrong."""
    proposal = Proposal("list" if origin == "list" else "page", values)
    errors = proposal.errors
    for raw in raw_ids:
        raw = raw.strip()
        if raw.isdigit() and 1 <= int(raw) <= MAX_ID:
            proposal.customer_ids.append(int(raw))
        else:
            errors["customer_ids"] = (INVALID, {})
    proposal.customer_ids = sorted(set(proposal.customer_ids))
    if proposal.origin == "list" and not proposal.customer_ids and "customer_ids" not in errors:
        errors["customer_ids"] = (SELECT_SOME, {})
    if choices.fixed_giver is not None:
        giver: int | None = choices.fixed_giver.id
    else:
        giver = _chosen(errors, "from_manager_id", values.get("from_manager_id", ""), choices)
    taker = _chosen(errors, "to_manager_id", values.get("to_manager_id", ""), choices)
    chosen = {k: values[k].strip() for k in FILTER_FIELDS if values.get(k, "").strip()}
    try:
        body = TransferIn(
            from_manager_id=giver or 1,
            to_manager_id=taker or 1,
            customer_ids=proposal.customer_ids or None,
            filter=TransferFilter(**chosen) if chosen else None,
            handover_note=values.get("handover_note", "").strip(),
        )
    except ValidationError as exc:
        for name, error in field_errors(exc).items():
            errors.setdefault(name, error)
        return proposal, None
    return proposal, None if errors else body


def _chosen(errors: Errors, name: str, raw: str, choices: HandoverChoices) -> int | None:
    raw = raw.strip()
    allowed = choices.giver_ids() if name == "from_manager_id" else choices.receiver_ids()
    if not raw:
        errors[name] = (REQUIRED, {})
    elif not raw.isdigit() or int(raw) not in allowed:
        errors[name] = (NOT_A_CHOICE, {})
    else:
        return int(raw)
    return None


def field_errors(exc: ValidationError) -> Errors:
    errors: Errors = {}
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        name = loc[1] if loc[:1] == ["filter"] and len(loc) > 1 else (loc[0] if loc else "form")
        kind, context = error["type"], error.get("ctx", {})
        if kind == "missing":
            found: tuple[str, dict[str, object]] = (REQUIRED, {})
        elif kind == "string_too_short":
            minimum = context.get("min_length")
            empty = minimum == 1 or error.get("input") == ""
            found = (REQUIRED, {}) if empty else (TOO_SHORT, {"min": minimum})
        elif kind == "string_too_long":
            found = (TOO_LONG, {"max": context.get("max_length")})
        elif kind == "literal_error":
            found = (NOT_A_CHOICE, {})
        else:
            found = (INVALID, {})
        errors.setdefault(name, found)
    return errors


def refusal(exc: Conflict | Forbidden | InvalidInput | NotFound) -> Errors:
    """The service's refusal next to the field it names (the form's top otherwise)."""
    if isinstance(exc, Forbidden):
        return {"from_manager_id": (RULES["from_manager_id"], {})}
    name = getattr(exc, "field", None) or "form"
    return {name: (RULES.get(name, INVALID), {})}
