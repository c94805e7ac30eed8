"""Which products the bank may offer to whom: rules the bank configures, not the model.

A rule per product decides the customer segment, the age band at take-up and the product's
risk level; bank-wide settings decide the KYC statuses and consents required and which
customer risk ratings may receive which product risks. Every (customer, product) pair that
fails gets exactly one reason code: the first failing check in `REASONS` order, so the
counts per reason add up to the pairs excluded.

Risk matrix (default): a customer rated low may receive products of any risk, medium up to
medium-risk products, high only low-risk products. Credit products and funds are medium,
managed portfolios and private mandates high, so high-risk customers get no credit and no
wealth products.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from bankcrm.analytics.propensity import pair_matrix

Segment = Literal["individual", "corporate", "any"]
Risk = Literal["low", "medium", "high"]
RISK_LEVEL = {"low": 0, "medium": 1, "high": 2}

REASONS = (
    "no_profiling_consent",
    "no_marketing_consent",
    "kyc_not_verified",
    "segment",  # an individual product for a company or the other way round
    "age",  # outside the product's age band at take-up, or age unknown
    "risk_rating",  # product risk above what the customer's risk rating allows
    "bad_loan",  # a loan in arrears: no new credit
)
REASON_TEXT = {
    "no_profiling_consent": "no consent to profiling",
    "no_marketing_consent": "no consent to marketing",
    "kyc_not_verified": "KYC not verified",
    "segment": "product for another customer segment",
    "age": "outside the product's age band",
    "risk_rating": "product too risky for the customer's risk rating",
    "bad_loan": "a loan in arrears",
}


@dataclass(frozen=True)
class ProductRule:
    segment: Segment = "individual"
    min_age: int | None = None  # individuals only; corporates' age is the company's
    max_age: int | None = None  # inclusive: max_age 65 allows 65, not 66
    product_risk: Risk = "low"
    credit: bool = False  # new credit: refused when the customer has a loan in arrears


CREDIT: dict[str, Any] = {"credit": True, "product_risk": "medium", "min_age": 18}
CORPORATE: dict[str, Any] = {"segment": "corporate"}
DEFAULT_RULES: dict[str, Any] = {
    "required_kyc": ["verified"],
    "require_marketing_consent": True,
    "require_profiling_consent": True,
    # customer risk rating -> the highest product risk they may be offered
    "max_product_risk": {"low": "high", "medium": "medium", "high": "low"},
    "default": {"segment": "individual"},
    "category": {
        "consumer_loan": CREDIT,
        "mortgage": {**CREDIT, "max_age": 65},
        "credit_card": CREDIT,
        "business_loan": {**CREDIT, **CORPORATE},
        "trade_finance": {**CREDIT, **CORPORATE},
        "wealth_management": {"product_risk": "medium", "min_age": 18},
        "payroll": CORPORATE,
        "cash_management": CORPORATE,
    },
    "product": {
        "CA_STUDENT": {"max_age": 25},
        "CA_BUSINESS": CORPORATE,
        "CA_CORPORATE": CORPORATE,
        "SA_BUSINESS": CORPORATE,
        "BL_*": CORPORATE,
        "CC_BUSINESS": CORPORATE,
        "DC_BUSINESS": CORPORATE,
        "PR_PAYROLL": CORPORATE,
        "CM_POOLING": CORPORATE,
        "TF_*": CORPORATE,
        "WM_MANAGED": {"product_risk": "high"},
        "WM_PRIVATE": {"product_risk": "high"},
    },
}


def _rule(*layers: Mapping[str, Any]) -> ProductRule:
    """A rule from partial settings, later layers overriding earlier ones key by key."""
    known = {f.name for f in fields(ProductRule)}
    merged: dict[str, Any] = {}
    for layer in layers:
        unknown = sorted(set(layer) - known)
        if unknown:
            raise ValueError(f"unknown product rule settings: {', '.join(unknown)}")
        merged.update(layer)
    rule = ProductRule(**merged)
    if rule.segment not in ("individual", "corporate", "any"):
        raise ValueError(f"segment must be individual, corporate or any, not {rule.segment!r}")
    if rule.product_risk not in RISK_LEVEL:
        raise ValueError(f"product_risk must be low, medium or high, not {rule.product_risk!r}")
    return rule


@dataclass(frozen=True)
class SuitabilityRules:
    """Settings by product code (exact, or a pattern such as "BL_*"), over the category's,
    over the default; each layer overrides only the keys it names."""

    default: Mapping[str, Any] = field(default_factory=dict)
    by_category: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    by_code: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    required_kyc: frozenset[str] = frozenset({"verified"})
    require_marketing_consent: bool = True
    require_profiling_consent: bool = True
    max_product_risk: Mapping[str, str] = field(
        default_factory=lambda: {"low": "high", "medium": "medium", "high": "low"}
    )

    @classmethod
    def from_dict(cls, settings: Mapping[str, Any] | None = None) -> SuitabilityRules:
        """From a TOML-like section. Absent keys keep DEFAULT_RULES; a category or product
        entry given by the bank overrides the keys it names in the default entry."""
        given = settings or {}
        unknown = sorted(set(given) - set(DEFAULT_RULES))
        if unknown:
            raise ValueError(f"unknown suitability settings: {', '.join(unknown)}")
        merged: dict[str, Any] = {**DEFAULT_RULES, **given}
        categories = _overlay_entries(DEFAULT_RULES["category"], given.get("category", {}))
        products = _overlay_entries(DEFAULT_RULES["product"], given.get("product", {}))
        risk = {str(k): str(v) for k, v in merged["max_product_risk"].items()}
        bad = sorted(v for v in risk.values() if v not in RISK_LEVEL)
        if bad:
            raise ValueError(f"max_product_risk values must be low, medium or high: {bad}")
        rules = cls(
            default=dict(merged["default"]),
            by_category=categories,
            by_code=products,
            required_kyc=frozenset(merged["required_kyc"]),
            require_marketing_consent=bool(merged["require_marketing_consent"]),
            require_profiling_consent=bool(merged["require_profiling_consent"]),
            max_product_risk=risk,
        )
        for category in categories:  # fail on bad settings now, not when scoring
            rules.rule_for("", category)
        for code in products:
            rules.rule_for(code, "")
        return rules

    def rule_for(self, code: str, category: str) -> ProductRule:
        """The product's rule: default, then its category's settings, then its code's
        (an exact code before patterns; patterns in alphabetical order, the last wins)."""
        layers = [self.default, self.by_category.get(category, {})]
        patterns = sorted(p for p in self.by_code if p != code and _is_pattern(p))
        layers += [self.by_code[p] for p in patterns if fnmatch.fnmatchcase(code, p)]
        layers.append(self.by_code.get(code, {}))
        return _rule(*layers)


def _is_pattern(name: str) -> bool:
    return any(ch in name for ch in "*?[")


def _overlay_entries(
    defaults: Mapping[str, Mapping[str, Any]], given: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    out = {name: dict(values) for name, values in defaults.items()}
    for name, values in given.items():
        out[name] = {**out.get(name, {}), **values}
    return out


@dataclass
class Suitability:
    suitable: pd.DataFrame  # customer_id, product_id
    excluded: pd.DataFrame  # reason, product_id, customers (pairs excluded for that reason)
    customers_excluded: pd.DataFrame  # reason, customers (distinct, any product)


def product_rules(products: pd.DataFrame, rules: SuitabilityRules) -> pd.DataFrame:
    """The rule of every product on sale (`active`, when given) as columns."""
    rows = []
    for p in products.itertuples(index=False):
        if not bool(getattr(p, "active", True)):
            continue  # withdrawn from sale: never a candidate
        rule = rules.rule_for(str(p.product_code), str(p.category))
        rows.append(
            {
                "product_id": int(p.product_id),
                "segment": rule.segment,
                "min_age": np.nan if rule.min_age is None else float(rule.min_age),
                "max_age": np.nan if rule.max_age is None else float(rule.max_age),
                "risk_level": RISK_LEVEL[rule.product_risk],
                "credit": rule.credit,
            }
        )
    columns = ["product_id", "segment", "min_age", "max_age", "risk_level", "credit"]
    return pd.DataFrame(rows, columns=columns)


def _flag(features: pd.DataFrame, name: str) -> npt.NDArray[np.bool_]:
    """A boolean column; a missing column counts as consent given (checked by the caller)."""
    if name not in features.columns:
        return np.ones(len(features), dtype=np.bool_)
    return np.asarray(features[name].fillna(False).astype(bool).to_numpy(), dtype=np.bool_)


def _customer_checks(features: pd.DataFrame, rules: SuitabilityRules) -> dict[str, Any]:
    """Per customer: what the product checks need, as numpy arrays."""
    risk = features["risk_rating"].astype("string")
    max_risk = risk.map(lambda r: RISK_LEVEL[rules.max_product_risk.get(str(r), "low")])
    bad_loans = features["loans_bad"] if "loans_bad" in features.columns else None
    return {
        "customer_id": features["customer_id"].to_numpy(dtype=np.int64),
        "no_profiling_consent": ~_flag(features, "profiling_consent")
        & rules.require_profiling_consent,
        "no_marketing_consent": ~_flag(features, "marketing_consent")
        & rules.require_marketing_consent,
        "kyc_not_verified": ~features["kyc_status"]
        .astype("string")
        .isin(rules.required_kyc)
        .fillna(False)
        .to_numpy(dtype=np.bool_),
        "corporate": (features["kind"].astype("string") == "corporate")
        .fillna(False)
        .to_numpy(dtype=np.bool_),
        "age": pd.to_numeric(features["age_years"], errors="coerce").to_numpy(dtype=np.float64),
        "max_risk": max_risk.fillna(0).to_numpy(dtype=np.int64),  # unknown rating: low only
        "bad_loan": np.zeros(len(features), dtype=np.bool_)
        if bad_loans is None
        else pd.to_numeric(bad_loans).fillna(0).to_numpy(dtype=np.float64) > 0,
    }


def _reasons(c: dict[str, Any], table: pd.DataFrame) -> npt.NDArray[np.int8]:
    """customers x products: the index in REASONS of the first failing check, or -1."""
    n, m = c["customer_id"].size, len(table)
    corporate = c["corporate"][:, None]
    segment = table["segment"].to_numpy()[None, :]
    lo = table["min_age"].to_numpy(dtype=np.float64)[None, :]
    hi = table["max_age"].to_numpy(dtype=np.float64)[None, :]
    age = c["age"][:, None]
    with np.errstate(invalid="ignore"):
        outside = (age < lo) | (age > hi) | (np.isnan(age) & (~np.isnan(lo) | ~np.isnan(hi)))
    checks = (
        c["no_profiling_consent"][:, None],
        c["no_marketing_consent"][:, None],
        c["kyc_not_verified"][:, None],
        ((segment == "corporate") & ~corporate) | ((segment == "individual") & corporate),
        outside & ~corporate,
        table["risk_level"].to_numpy()[None, :] > c["max_risk"][:, None],
        c["bad_loan"][:, None] & table["credit"].to_numpy(dtype=np.bool_)[None, :],
    )
    reason = np.full((n, m), -1, dtype=np.int8)
    for code in range(len(REASONS) - 1, -1, -1):  # the first failing check wins
        reason[np.broadcast_to(checks[code], (n, m))] = code
    return reason


def check_suitability(
    features: pd.DataFrame,
    holdings_now: pd.DataFrame,
    products: pd.DataFrame,
    rules: SuitabilityRules | None = None,
    chunk_rows: int = 200_000,
) -> Suitability:
    """Every (customer, product not held) pair: suitable, or excluded with one reason.

    `features`: customer_id, kind, age_years, risk_rating, kyc_status, marketing_consent,
    profiling_consent and loans_bad (the feature table). `products`: product_id,
    product_code, category and optionally active (inactive products are no candidates).
    `holdings_now`: (customer_id, product_id) open today; held pairs are no candidates.
    """
    rules = rules or SuitabilityRules.from_dict()
    table = product_rules(products, rules)
    product_ids = table["product_id"].to_numpy(dtype=np.int64)
    held_all = pair_matrix(features["customer_id"], product_ids, holdings_now)
    counts = np.zeros((len(REASONS), len(table)), dtype=np.int64)
    customers = np.zeros(len(REASONS), dtype=np.int64)
    suitable = []
    for start in range(0, len(features), chunk_rows):
        c = _customer_checks(features.iloc[start : start + chunk_rows], rules)
        reason = _reasons(c, table)
        reason[held_all[start : start + chunk_rows]] = -2
        for code in range(len(REASONS)):
            hit = reason == code
            counts[code] += hit.sum(axis=0)
            customers[code] += int(hit.any(axis=1).sum())
        rows, cols = np.nonzero(reason == -1)
        suitable.append(
            pd.DataFrame({"customer_id": c["customer_id"][rows], "product_id": product_ids[cols]})
        )
    r, p = np.nonzero(counts)
    return Suitability(
        suitable=pd.concat(suitable, ignore_index=True) if suitable else _empty_pairs(),
        excluded=pd.DataFrame(
            {
                "reason": [REASONS[i] for i in r],
                "product_id": product_ids[p],
                "customers": counts[r, p],
            }
        ),
        customers_excluded=pd.DataFrame({"reason": list(REASONS), "customers": customers}),
    )


def _empty_pairs() -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": pd.Series(dtype="int64"), "product_id": pd.Series(dtype="int64")}
    )
