"""The value policy: every parameter of profit contribution and tiering, in one TOML file.

Finance owns these numbers, not the code: `BANKCRM_POLICY_FILE` points at a TOML file
whose tables override the defaults below (a partial file is fine). docs/models.md explains
each parameter; `bankcrm policy show` prints the policy in force.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bankcrm.ingest.spec import PRODUCT_CATEGORIES, TX_CHANNELS
from bankcrm.kit.errors import UserError

Rate = Annotated[float, Field(ge=0, le=100)]  # percent per year
Share = Annotated[float, Field(ge=0, le=1)]
Money = Annotated[float, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CategoryTerms(_Strict):
    """How one product family earns: margin against the funds-transfer price, fees, risk."""

    kind: str = Field(pattern="^(deposit|lending|fee)$")
    ftp_rate: Rate = 3.5  # the treasury's price of funds for this family, % per year
    aum_fee_rate: Rate = 0.0  # % of balance per year (wealth mandates)
    fee_share: Share = 1.0  # share of catalogue fees that is the bank's revenue
    catalogue_fees: bool = False  # charge catalogue fees here (not seen in the lake)
    lgd: Share = 0.0  # loss given default
    credit_conversion: Share = 0.0  # share of an undrawn limit drawn before default


def _default_categories() -> dict[str, CategoryTerms]:
    deposit = CategoryTerms(kind="deposit", ftp_rate=3.5)
    return {
        "current_account": deposit,
        "savings_account": deposit,
        "term_deposit": CategoryTerms(kind="deposit", ftp_rate=3.9),
        "payroll": deposit,
        "consumer_loan": CategoryTerms(kind="lending", ftp_rate=4.0, lgd=0.65),
        "mortgage": CategoryTerms(kind="lending", ftp_rate=3.6, lgd=0.20),
        "business_loan": CategoryTerms(kind="lending", ftp_rate=4.0, lgd=0.45),
        "credit_card": CategoryTerms(
            kind="lending", ftp_rate=4.0, lgd=0.80, credit_conversion=0.5, catalogue_fees=True
        ),
        # Guarantees and letters of credit are not funded: the rate is a commission.
        "trade_finance": CategoryTerms(kind="lending", ftp_rate=0.0, lgd=0.40),
        "debit_card": CategoryTerms(kind="fee", catalogue_fees=True),
        "wealth_management": CategoryTerms(kind="fee", aum_fee_rate=0.8, catalogue_fees=True),
        "insurance": CategoryTerms(kind="fee", fee_share=0.25, catalogue_fees=True),
        "cash_management": CategoryTerms(kind="fee", catalogue_fees=True),
    }


class CostToServe(_Strict):
    """What serving costs, in the bank's currency."""

    per_account_year: Money = 240.0
    per_transaction: dict[str, Money] = Field(
        default_factory=lambda: {
            "branch": 45.0,
            "atm": 9.0,
            "card": 1.0,
            "online": 1.5,
            "mobile": 0.8,
            "transfer": 0.5,
        }
    )
    per_interaction: Money = 120.0
    per_complaint: Money = 900.0


class CreditRisk(_Strict):
    """12-month probability of default by loan status, scaled by the customer's risk rating."""

    pd_good: Share = 0.015
    pd_bad: Share = 0.30
    pd_defaulted: Share = 1.0
    risk_multiplier: dict[str, float] = Field(
        default_factory=lambda: {"low": 0.7, "medium": 1.0, "high": 2.0}
    )


class Tiering(_Strict):
    """Tiers and value bands (DESIGN.md, "Tiers and service schemes")."""

    gold_share_of_profit: Share = 0.80  # Pareto: top customers producing this share
    growth_ratio: float = Field(default=1.5, gt=1)  # forward value / current value
    growth_min_forward_value: Money = 2_000.0  # and at least this much forward value a year
    band_top: Share = 0.01  # value bands by contribution rank: top 1%,
    band_important: Share = 0.10  # the next to 10%,
    band_core: Share = 0.40  # the next to 40%, the rest is mass


class Lifetime(_Strict):
    horizon_months: int = Field(default=36, ge=1, le=120)
    annual_discount_rate: Rate = 10.0
    interval_level: Share = 0.80


class Policy(_Strict):
    currency: str = "CZK"
    categories: dict[str, CategoryTerms] = Field(default_factory=_default_categories)
    cost_to_serve: CostToServe = Field(default_factory=CostToServe)
    credit_risk: CreditRisk = Field(default_factory=CreditRisk)
    tiering: Tiering = Field(default_factory=Tiering)
    lifetime: Lifetime = Field(default_factory=Lifetime)

    def terms(self, category: str) -> CategoryTerms:
        return self.categories[category]


def _merge(base: dict[str, object], override: dict[str, object]) -> dict[str, object]:
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged[key] = _merge(current, value)
        else:
            merged[key] = value
    return merged


def load_policy(path: Path | None) -> Policy:
    """The defaults, overridden by the TOML file at `path` if one is given."""
    if path is None:
        return Policy()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UserError(f"policy file {path} does not exist (BANKCRM_POLICY_FILE)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read policy file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"policy file {path} is not valid TOML: {exc}") from exc
    merged = _merge(Policy().model_dump(), data)
    try:
        policy = Policy.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise UserError(f"policy file {path}: {problems}") from exc
    unknown = sorted(set(policy.categories) - set(PRODUCT_CATEGORIES))
    missing = sorted(set(PRODUCT_CATEGORIES) - set(policy.categories))
    if unknown or missing:
        raise UserError(
            f"policy file {path}: categories must be exactly the product families "
            f"(unknown: {', '.join(unknown) or '-'}; missing: {', '.join(missing) or '-'})"
        )
    channels = sorted(set(policy.cost_to_serve.per_transaction) - set(TX_CHANNELS))
    if channels:
        raise UserError(
            f"policy file {path}: cost_to_serve.per_transaction has unknown channel(s) "
            f"{', '.join(channels)} (known: {', '.join(TX_CHANNELS)})"
        )
    return policy
