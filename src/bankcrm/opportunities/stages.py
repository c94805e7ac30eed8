"""The stages of an opportunity and the rules for moving between them (no database, no
HTTP: service.py applies them, tests check them one by one). docs/models.md explains
them for users."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# The stages in their order; won and lost close the opportunity.
STAGES = ("identified", "needs_analysis", "proposal", "credit_review", "approved", "won", "lost")
OPEN_STAGES = ("identified", "needs_analysis", "proposal", "credit_review", "approved")
CLOSED_STAGES = ("won", "lost")
LOST_REASONS = (
    "price",
    "competitor",
    "credit_declined",
    "customer_withdrew",
    "no_need",
    "no_response",
    "other",
)
DEPARTMENTS = ("credit", "legal", "operations", "compliance", "treasury", "product")
TASK_STATUSES = ("open", "done", "cancelled")
# Product families the credit department must review (ingest/spec.py LENDING_CATEGORIES).
LENDING_CATEGORIES = frozenset(
    {"consumer_loan", "mortgage", "business_loan", "credit_card", "trade_finance"}
)
# Families whose sale opens an account at the bank (a holding in the next extract).
ACCOUNT_OPENING_CATEGORIES = frozenset(
    {"current_account", "savings_account", "term_deposit", "payroll", "cash_management"}
)
LINKED_CATEGORIES = LENDING_CATEGORIES | ACCOUNT_OPENING_CATEGORIES
# The probability of each stage unless the settings say otherwise (config.py).
DEFAULT_PROBABILITIES: dict[str, float] = {
    "identified": 0.1,
    "needs_analysis": 0.2,
    "proposal": 0.4,
    "credit_review": 0.6,
    "approved": 0.8,
    "won": 1.0,
    "lost": 0.0,
}


def check_probabilities(given: Mapping[str, float]) -> dict[str, float]:
    """The defaults with `given` on top; ValueError names an unknown stage, a value outside
    0..1, or won not 1 / lost not 0 (a closed opportunity's value is certain)."""
    unknown = sorted(set(given) - set(STAGES))
    if unknown:
        raise ValueError(
            f"unknown stage(s) {', '.join(unknown)}: the stages are {', '.join(STAGES)}"
        )
    merged = {**DEFAULT_PROBABILITIES, **{k: float(v) for k, v in given.items()}}
    for stage, value in merged.items():
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"the probability of {stage} must be from 0 to 1, not {value}")
    if merged["won"] != 1.0 or merged["lost"] != 0.0:
        raise ValueError("won must have probability 1 and lost probability 0")
    return merged


def is_lending(category: str) -> bool:
    return category in LENDING_CATEGORIES


def path(category: str) -> tuple[str, ...]:
    """The open stages a product goes through: credit review for lending products only."""
    if is_lending(category):
        return OPEN_STAGES
    return tuple(s for s in OPEN_STAGES if s != "credit_review")


@dataclass(frozen=True)
class Refusal:
    """Why a move is refused: the field it concerns and the reason in words."""

    field: str
    reason: str


def refuse_move(
    current: str, target: str, category: str, note: str | None, lost_reason: str | None
) -> Refusal | None:
    """None when `current` -> `target` is allowed for a product of `category`.

    Forward by one or more steps; back to an earlier open stage only with a note; lost from
    any open stage with a reason; won only after approved for a lending product, which also
    reaches approved only through credit review. Won and lost are final here (reopening is
    the branch manager's, see `refuse_reopen`)."""
    stages = path(category)
    if target not in STAGES:
        return Refusal("stage", f"unknown stage {target}")
    if current in CLOSED_STAGES:
        return Refusal("stage", f"the opportunity is {current}: only its branch manager reopens it")
    if target == current:
        return Refusal("stage", f"the opportunity is already at {target}")
    if target == "lost":
        return None if lost_reason else Refusal("lost_reason", "a lost opportunity needs a reason")
    if target == "won":
        if is_lending(category) and current != "approved":
            return Refusal("stage", "a lending opportunity is won only once approved")
        return None
    if target not in stages:
        return Refusal("stage", f"{target} is only for lending products")
    if stages.index(target) < stages.index(current):
        return None if note else Refusal("note", "moving back to an earlier stage needs a note")
    if target == "approved" and is_lending(category) and current != "credit_review":
        return Refusal("stage", "a lending opportunity is approved after its credit review")
    return None


def refuse_reopen(current: str, target: str, category: str, note: str | None) -> Refusal | None:
    """None when a won or lost opportunity may be reopened at `target` (an open stage of
    its product, with a note)."""
    if current not in CLOSED_STAGES:
        return Refusal("stage", "only a won or lost opportunity is reopened")
    if target not in path(category):
        return Refusal("stage", f"reopen at an open stage of this product, not {target}")
    if not note:
        return Refusal("note", "reopening needs a note")
    return None
