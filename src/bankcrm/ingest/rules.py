"""Rules that span cells of a row, checked a column at a time on the typed values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from bankcrm.ingest.columnar import Mask, as_mask
from bankcrm.ingest.spec import LOAN_CATEGORIES
from bankcrm.kit.numbering import (
    CASE_NO_PREFIX,
    EVENT_INTERACTION_PREFIX,
    MANUAL_INTERACTION_PREFIX,
)

RuleCheck = tuple[str, Mask, str]  # (column blamed, rows failing, reason)
Typed = dict[str, pa.Array]


def _customers(typed: Typed, today: date, _categories: dict[str, str]) -> list[RuleCheck]:
    future = as_mask(pc.greater(typed["birth_date"], pa.scalar(today, pa.date32())))
    corporate = as_mask(pc.equal(typed["kind"], "corporate"))
    unnamed = as_mask(pc.is_null(typed["company_name"]))
    return [
        ("birth_date", future, "lies in the future"),
        ("company_name", corporate & unnamed, "required for corporate customers"),
    ]


def _relationships(typed: Typed, _today: date, _categories: dict[str, str]) -> list[RuleCheck]:
    itself = as_mask(pc.equal(typed["from_customer_no"], typed["to_customer_no"]))
    return [("to_customer_no", itself, "a customer cannot be related to itself")]


def _holdings(typed: Typed, _today: date, categories: dict[str, str]) -> list[RuleCheck]:
    found = [
        (
            "closed_on",
            as_mask(pc.less(typed["closed_on"], typed["opened_on"])),
            "precedes opened_on",
        )
    ]
    no_status = as_mask(pc.is_null(typed["loan_status"]))
    for category in LOAN_CATEGORIES:
        codes = [code for code, c in categories.items() if c == category]
        if codes:
            is_loan = as_mask(pc.is_in(typed["product_code"], value_set=pa.array(codes)))
            reason = f"required for {category} holdings (good or bad)"
            found.append(("loan_status", is_loan & no_status, reason))
    return found


def _reserved(ids: pa.Array, prefixes: tuple[str, ...]) -> Mask:
    """Ids that start like the numbers bankcrm gives its own records: an imported one could
    later collide with a contact logged or a case opened in bankcrm."""
    hits = [as_mask(pc.starts_with(ids, prefix)) for prefix in prefixes]
    found = hits[0]
    for more in hits[1:]:
        found = found | more
    return found


def _interactions(typed: Typed, _today: date, _categories: dict[str, str]) -> list[RuleCheck]:
    prefixes = (MANUAL_INTERACTION_PREFIX, EVENT_INTERACTION_PREFIX)
    reserved = _reserved(typed["interaction_id"], prefixes)
    reason = f"starts with {' or '.join(prefixes)}, which bankcrm reserves for its own contacts"
    return [("interaction_id", reserved, reason)]


def _cases(typed: Typed, _today: date, _categories: dict[str, str]) -> list[RuleCheck]:
    score = typed["satisfaction"]
    out_of_range = as_mask(pc.or_(pc.less(score, 1), pc.greater(score, 5)))
    early = as_mask(pc.less(typed["resolved_at"], typed["opened_at"]))
    reserved = _reserved(typed["case_id"], (CASE_NO_PREFIX,))
    return [
        ("resolved_at", early, "precedes opened_at"),
        ("satisfaction", out_of_range, "must be between 1 and 5"),
        (
            "case_id",
            reserved,
            f"starts with {CASE_NO_PREFIX}, which bankcrm reserves for its own cases",
        ),
    ]


RULES: dict[str, Callable[[Typed, date, dict[str, str]], list[RuleCheck]]] = {
    "customers": _customers,
    "relationships": _relationships,
    "holdings": _holdings,
    "interactions": _interactions,
    "cases": _cases,
}


def rule_checks(
    entity: str, typed: Typed, today: date, categories: dict[str, str]
) -> list[RuleCheck]:
    rules = RULES.get(entity)
    return rules(typed, today, categories) if rules is not None else []
