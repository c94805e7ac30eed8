"""The segment builder's form: its fields to a `SegmentDefinition` and back.

The form writes churn risk in percent and every range as two boxes (`<range>_min`,
`<range>_max`); lists are checkboxes, regions one comma-separated box. Parsing never
raises: a value the form cannot use becomes an error for its field (a catalogue message),
and a definition is returned only when there is none. A minimum above the maximum is an
error here: the schema accepts it (it matches nobody), a person typing it means a mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import get_args

from pydantic import BaseModel, ValidationError

from bankcrm.marketing.schemas import (
    Band,
    Category,
    Kind,
    SegmentDefinition,
    Status,
    Tier,
)
from bankcrm.web import labels
from bankcrm.web.i18n import N_

Errors = dict[str, tuple[str, dict[str, object]]]  # field -> (msgid, values)

LISTS: dict[str, tuple[str, ...]] = {
    "tiers": get_args(Tier),
    "bands": get_args(Band),
    "kinds": get_args(Kind),
    "statuses": get_args(Status),
    "holds": get_args(Category),
    "does_not_hold": get_args(Category),
}
# range -> (whole numbers only, factor from the form's unit to the schema's)
RANGES: dict[str, tuple[bool, float]] = {
    "churn_probability": (False, 0.01),  # percent on the form, a probability in the schema
    "clv": (False, 1.0),
    "value_at_risk": (False, 1.0),
    "contribution": (False, 1.0),
    "age": (True, 1.0),
}
CATEGORIES: dict[str, str] = {
    "current_account": N_("Current account"),
    "savings_account": N_("Savings account"),
    "term_deposit": N_("Term deposit"),
    "consumer_loan": N_("Consumer loan"),
    "mortgage": N_("Mortgage"),
    "business_loan": N_("Business loan"),
    "credit_card": N_("Credit card"),
    "debit_card": N_("Debit card"),
    "wealth_management": N_("Wealth management"),
    "insurance": N_("Insurance"),
    "payroll": N_("Payroll"),
    "cash_management": N_("Cash management"),
    "trade_finance": N_("Trade finance"),
}
CHOICES: dict[str, dict[str, str]] = {
    "tiers": labels.TIERS,
    "bands": labels.BANDS,
    "kinds": labels.CUSTOMER_KINDS,
    "statuses": labels.CUSTOMER_STATUSES,
    "holds": CATEGORIES,
    "does_not_hold": CATEGORIES,
}
FIELDS = (
    *LISTS,
    "branch_ids",
    "regions",
    *(f"{name}_{end}" for name in RANGES for end in ("min", "max")),
)

NOT_A_NUMBER = N_("Enter a number.")
NOT_WHOLE = N_("Enter a whole number.")
MIN_ABOVE_MAX = N_("The maximum is below the minimum.")
NOT_A_CHOICE = N_("Choose one of the options.")
INVALID = N_("This value is not accepted.")
OUT_OF_BOUNDS: dict[str, str] = {
    "churn_probability": N_("Enter a percentage from 0 to 100."),
    "age": N_("Enter an age from 0 to 130."),
    "clv": N_("This amount is too large."),
    "value_at_risk": N_("This amount is too large."),
    "contribution": N_("This amount is too large."),
}


@dataclass
class SegmentForm:
    """What the form sent (to show it again), its errors, and the definition if valid."""

    values: dict[str, list[str]] = field(default_factory=dict)
    errors: Errors = field(default_factory=dict)
    segment: SegmentDefinition | None = None


def _number(raw: str, whole: bool) -> float | int | str | None:
    """The number in a box; None when empty; a msgid when it is not a number."""
    text = raw.strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return NOT_A_NUMBER
    if value != value or value in (float("inf"), float("-inf")):
        return NOT_A_NUMBER
    if whole:
        return int(value) if value.is_integer() else NOT_WHOLE
    return value


def parse(get_list: Callable[[str], list[str]]) -> SegmentForm:
    """The form's fields (`get_list(name)` gives every value sent under a name)."""
    form = SegmentForm()
    data: dict[str, object] = {}
    for name in FIELDS:
        sent = [v for v in get_list(name) if v.strip()][:500]
        if sent:
            form.values[name] = sent
    for name, allowed in LISTS.items():
        chosen = form.values.get(name, [])
        if any(v not in allowed for v in chosen):
            form.errors[name] = (NOT_A_CHOICE, {})
        elif chosen:
            data[name] = sorted(set(chosen), key=allowed.index)
    branches = form.values.get("branch_ids", [])
    if any(not v.isdigit() for v in branches):
        form.errors["branch_ids"] = (NOT_A_CHOICE, {})
    elif branches:
        data["branch_ids"] = sorted({int(v) for v in branches})
    regions = [r.strip() for v in form.values.get("regions", []) for r in v.split(",")]
    if any(regions):
        data["regions"] = sorted({r for r in regions if r})
    for name, (whole, factor) in RANGES.items():
        bounds: dict[str, float | int] = {}
        for end in ("min", "max"):
            key = f"{name}_{end}"
            found = _number((form.values.get(key) or [""])[0], whole)
            if isinstance(found, str):
                form.errors[key] = (found, {})
            elif found is not None:
                bounds[end] = found if whole else round(found * factor, 10)
        if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
            form.errors.setdefault(f"{name}_max", (MIN_ABOVE_MAX, {}))
        if bounds:
            data[name] = bounds
    try:
        segment = SegmentDefinition.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]]
            if loc and loc[0] in RANGES:
                key = f"{loc[0]}_{loc[1]}" if len(loc) > 1 else f"{loc[0]}_min"
                form.errors.setdefault(key, (OUT_OF_BOUNDS[loc[0]], {}))
            elif loc:
                form.errors.setdefault(loc[0], (INVALID, {}))
        return form
    if not form.errors:
        form.segment = segment
    return form


def _plain(value: float) -> str:
    """A bound as the form writes it: no trailing zeros, no exponent."""
    return format(value, "f").rstrip("0").rstrip(".") if value % 1 else str(int(value))


def to_query(segment: SegmentDefinition) -> list[tuple[str, str]]:
    """The form's fields for a definition: the segment builder's address for it."""
    pairs: list[tuple[str, str]] = []
    for name in LISTS:
        pairs += [(name, str(v)) for v in getattr(segment, name) or ()]
    pairs += [("branch_ids", str(v)) for v in segment.branch_ids or ()]
    if segment.regions:
        pairs.append(("regions", ", ".join(segment.regions)))
    for name, (_whole, factor) in RANGES.items():
        bounds = getattr(segment, name)
        for end in ("min", "max"):
            value = getattr(bounds, end) if bounds is not None else None
            if value is not None:
                pairs.append((f"{name}_{end}", _plain(round(value / factor, 8))))
    return pairs


class SegmentFields(BaseModel):
    """The builder's fields as htmx posts them (every field may repeat or be missing)."""

    tiers: list[str] = []
    bands: list[str] = []
    kinds: list[str] = []
    statuses: list[str] = []
    holds: list[str] = []
    does_not_hold: list[str] = []
    branch_ids: list[str] = []
    regions: list[str] = []
    churn_probability_min: list[str] = []
    churn_probability_max: list[str] = []
    clv_min: list[str] = []
    clv_max: list[str] = []
    value_at_risk_min: list[str] = []
    value_at_risk_max: list[str] = []
    contribution_min: list[str] = []
    contribution_max: list[str] = []
    age_min: list[str] = []
    age_max: list[str] = []
    csrf_token: str = ""

    def get_list(self, name: str) -> list[str]:
        values: list[str] = getattr(self, name)
        return values
