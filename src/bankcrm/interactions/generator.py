"""`bankcrm tasks generate`: the worklists, from the latest scores.

Four rules, each giving at most one open task of its kind per customer, assigned to the
customer's manager, ranked by the customer's value at risk, with a reason in words:

- retention_call: the customers with the most value at risk (churn probability x CLV),
  above a threshold; the reason quotes the churn reasons of the score.
- offer: the first next best offer, when its expected value is above a threshold and the
  customer agreed to marketing; the reason quotes the offer's explanation.
- review: the review cadence of the customer's service scheme (gold monthly, growth
  quarterly), counted from the last personal contact or the last review done.
- kyc_refresh: the customer's KYC review falls due within 30 days, or is past.

Running it again adds nothing that is already open, and does not bring back a task of the
same kind closed in the last `cooldown_days` (a manager who called yesterday is not told
to call again because the scores have not moved yet). The job never commits.
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from bankcrm.interactions import repository
from bankcrm.interactions.models import GENERATED_KINDS
from bankcrm.kit.errors import UserError
from bankcrm.security import audit
from bankcrm.security.principal import Principal, system_principal

REASON_LENGTH = 500
CADENCE_WORDS = {30: "monthly", 91: "quarterly", 182: "half-yearly", 365: "yearly"}
EVERY_DAYS = "every {days} days"  # a cadence without a word
# The reasons of generated tasks (the pages translate them by these templates); {signs}
# are churn reasons, {explanation} an offer's explanation, {cadence} capitalised.
TASK_REASONS: dict[str, str] = {
    "retention": (
        "Call to keep this {tier} customer: {churn:.0%} risk of leaving puts "
        "{at_risk} of their {clv} lifetime value at risk."
    ),
    "retention_signs": (
        "Call to keep this {tier} customer: {churn:.0%} risk of leaving puts "
        "{at_risk} of their {clv} lifetime value at risk. Signs: {signs}."
    ),
    "offer": "Offer {product} (expected value {value}): {explanation}.",
    "review_first": "{cadence} review of a {tier} customer: no personal contact on record.",
    "review": (
        "{cadence} review of a {tier} customer: last personal contact on {last} ({days} days ago)."
    ),
    "kyc_overdue": (
        "KYC review overdue since {due} ({days} days): confirm identity documents, "
        "address and risk data."
    ),
    "kyc_due": (
        "KYC review due on {due} (in {days} days): confirm identity documents, "
        "address and risk data."
    ),
}
SIGN_SEPARATOR = "; "


class TaskPolicy(BaseModel):
    """The generator's thresholds; a TOML file (`--policy`) may override any of them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    retention_min_value_at_risk: float = Field(1000.0, ge=0)
    retention_max_tasks: int = Field(500, ge=0)  # per run, the most value at risk first
    retention_due_days: int = Field(7, ge=0, le=365)
    offer_min_expected_value: float = Field(200.0, ge=0)
    offer_due_days: int = Field(14, ge=0, le=365)
    # DESIGN.md service schemes: gold monthly, growth quarterly (days between reviews).
    review_every_days: dict[str, int] = Field(default_factory=lambda: {"gold": 30, "growth": 91})
    review_channels: tuple[str, ...] = ("visit", "phone", "branch")  # a personal contact
    review_lead_days: int = Field(7, ge=0, le=90)  # open the review task this long ahead
    kyc_within_days: int = Field(30, ge=0, le=365)
    cooldown_days: int = Field(30, ge=0, le=365)


def load_task_policy(path: Path | None, **overrides: Any) -> TaskPolicy:
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise UserError(f"task policy file {path} does not exist") from exc
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise UserError(f"cannot read task policy file {path}: {exc}") from exc
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return TaskPolicy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise UserError(f"task policy: {problems}") from exc


@dataclass
class GenerateSummary:
    as_of: date
    score_date: date
    created: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)  # already open or closed lately
    task_ids: list[int] = field(default_factory=list)


def _clip(text: str) -> str:
    return text if len(text) <= REASON_LENGTH else text[: REASON_LENGTH - 1] + "…"


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _retention_reason(tier: str, var: float, churn: float, clv: float, reasons: str) -> str:
    try:
        signs = [str(r) for r in json.loads(reasons or "[]")]
    except ValueError:
        signs = []
    words = {"tier": tier, "churn": churn, "at_risk": _money(var), "clv": _money(clv)}
    if signs:
        return _clip(
            TASK_REASONS["retention_signs"].format(signs=SIGN_SEPARATOR.join(signs), **words)
        )
    return _clip(TASK_REASONS["retention"].format(**words))


def _offer_reason(product: str, expected_value: float, explanation: str) -> str:
    return _clip(
        TASK_REASONS["offer"].format(
            product=product, value=_money(expected_value), explanation=explanation.rstrip(".")
        )
    )


def _review_reason(tier: str, every: int, last: date | None, as_of: date) -> str:
    cadence = CADENCE_WORDS.get(every) or EVERY_DAYS.format(days=every)
    if last is None:
        return _clip(TASK_REASONS["review_first"].format(cadence=cadence.capitalize(), tier=tier))
    return _clip(
        TASK_REASONS["review"].format(
            cadence=cadence.capitalize(),
            tier=tier,
            last=last.isoformat(),
            days=(as_of - last).days,
        )
    )


def _kyc_reason(due: date, as_of: date) -> str:
    days = (due - as_of).days
    if days < 0:
        return _clip(TASK_REASONS["kyc_overdue"].format(due=due.isoformat(), days=-days))
    return _clip(TASK_REASONS["kyc_due"].format(due=due.isoformat(), days=days))


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()  # SQLite aggregates come back as text


def generate_tasks(
    session: Session,
    as_of: date,
    policy: TaskPolicy,
    principal: Principal | None = None,
) -> GenerateSummary:
    """Open the tasks the scores of the latest date up to `as_of` call for; never commits."""
    score_date = repository.score_date_up_to(session, as_of)
    if score_date is None:
        raise UserError(f"no scores on or before {as_of}: run `bankcrm score` first")
    actor = principal or system_principal("tasks generate")
    summary = GenerateSummary(as_of=as_of, score_date=score_date)
    since = datetime.combine(as_of - timedelta(days=policy.cooldown_days), datetime.min.time())
    blocked = repository.task_keys(session, GENERATED_KINDS, since)
    rows: list[dict[str, Any]] = []

    def add(
        customer_id: int,
        manager_id: int | None,
        kind: str,
        reason: str,
        value_at_risk: float | None,
        due_on: date,
    ) -> None:
        if (customer_id, kind) in blocked:
            summary.kept[kind] += 1
            return
        blocked.add((customer_id, kind))
        summary.created[kind] += 1
        rows.append(
            {
                "customer_id": customer_id,
                "assignee_id": manager_id,
                "kind": kind,
                "reason": reason,
                "value_at_risk": value_at_risk,
                "due_on": due_on,
                "status": "open",
                "created_by": actor.actor,
                "source_as_of": score_date,
            }
        )

    retention = repository.retention_candidates(
        session, score_date, policy.retention_min_value_at_risk, policy.retention_max_tasks
    )
    for cid, manager, tier, var, churn, clv, reasons in retention:
        reason = _retention_reason(tier, var, churn, clv, reasons)
        add(
            cid,
            manager,
            "retention_call",
            reason,
            var,
            as_of + timedelta(policy.retention_due_days),
        )

    offers = repository.offer_candidates(session, score_date, policy.offer_min_expected_value)
    for cid, manager, at_risk, product, value, explanation in offers:
        reason = _offer_reason(product, value, explanation)
        add(cid, manager, "offer", reason, at_risk, as_of + timedelta(policy.offer_due_days))

    cadence = policy.review_every_days
    if cadence:
        reviews = repository.review_candidates(
            session, score_date, sorted(cadence), policy.review_channels
        )
        for cid, manager, tier, var, contact_at, reviewed_at in reviews:
            seen = [d for d in (_day(contact_at), _day(reviewed_at)) if d is not None]
            last = max(seen) if seen else None
            every = cadence[tier]
            due = last + timedelta(every) if last is not None else as_of
            if due - timedelta(policy.review_lead_days) > as_of:
                continue
            add(cid, manager, "review", _review_reason(tier, every, last, as_of), var, due)

    kyc = repository.kyc_candidates(session, score_date, as_of + timedelta(policy.kyc_within_days))
    for cid, manager, exposed, kyc_due in kyc:
        if kyc_due is not None:  # always: the query selects due dates only
            add(cid, manager, "kyc_refresh", _kyc_reason(kyc_due, as_of), exposed, kyc_due)

    summary.task_ids = repository.insert_tasks(session, rows)
    if summary.task_ids:
        audit.record(
            session,
            actor,
            "create",
            "task",
            record_ids=summary.task_ids,
            fields=sorted(summary.created),
            reason=f"generated from the scores of {score_date.isoformat()}",
        )
    return summary
