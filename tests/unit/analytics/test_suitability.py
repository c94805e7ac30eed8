"""Suitability rules: each rule excludes exactly what it should, with its reason code."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from bankcrm.analytics.suitability import (
    REASONS,
    SuitabilityRules,
    check_suitability,
)

CATALOGUE = [
    ("CA_BASIC", "current_account"),
    ("CA_STUDENT", "current_account"),
    ("CA_BUSINESS", "current_account"),
    ("SA_STANDARD", "savings_account"),
    ("SA_BUSINESS", "savings_account"),
    ("CL_STANDARD", "consumer_loan"),
    ("MG_FIX5", "mortgage"),
    ("BL_OPERATING", "business_loan"),
    ("CC_CLASSIC", "credit_card"),
    ("CC_BUSINESS", "credit_card"),
    ("DC_BUSINESS", "debit_card"),
    ("WM_FUNDS", "wealth_management"),
    ("WM_PRIVATE", "wealth_management"),
    ("IN_LIFE", "insurance"),
    ("PR_PAYROLL", "payroll"),
    ("CM_POOLING", "cash_management"),
    ("TF_LC", "trade_finance"),
    ("SA_CLASSIC", "savings_account"),
]
PRODUCTS = pd.DataFrame(
    {
        "product_id": range(1, len(CATALOGUE) + 1),
        "product_code": [code for code, _ in CATALOGUE],
        "category": [category for _, category in CATALOGUE],
        "active": [code != "SA_CLASSIC" for code, _ in CATALOGUE],
    }
)
ID = dict(zip(PRODUCTS["product_code"], PRODUCTS["product_id"], strict=True))
NO_HOLDINGS = pd.DataFrame(
    {"customer_id": pd.Series(dtype="int64"), "product_id": pd.Series(dtype="int64")}
)


def customer(customer_id: int = 1, **overrides: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "kind": "individual",
        "age_years": 40.0,
        "risk_rating": "low",
        "kyc_status": "verified",
        "marketing_consent": True,
        "profiling_consent": True,
        "loans_bad": 0,
        **overrides,
    }


def reason_for(code: str, rules: SuitabilityRules | None = None, **overrides: Any) -> str | None:
    """The reason one customer may not be offered `code`, or None when suitable."""
    result = check_suitability(pd.DataFrame([customer(**overrides)]), NO_HOLDINGS, PRODUCTS, rules)
    product = ID[code]
    if product in set(result.suitable["product_id"]):
        return None
    hit = result.excluded[result.excluded["product_id"] == product]
    assert len(hit) == 1, f"{code}: neither suitable nor excluded once"
    return str(hit["reason"].iloc[0])


@pytest.mark.parametrize(
    ("code", "overrides", "expected"),
    [
        ("CA_BASIC", {}, None),
        ("CA_BUSINESS", {}, "segment"),
        ("SA_BUSINESS", {}, "segment"),
        ("BL_OPERATING", {}, "segment"),
        ("CC_BUSINESS", {}, "segment"),
        ("DC_BUSINESS", {}, "segment"),
        ("PR_PAYROLL", {}, "segment"),
        ("CM_POOLING", {}, "segment"),
        ("TF_LC", {}, "segment"),
        ("CA_BASIC", {"kind": "corporate", "age_years": 12.0}, "segment"),
        ("CC_CLASSIC", {"kind": "corporate", "age_years": 12.0}, "segment"),
        ("BL_OPERATING", {"kind": "corporate", "age_years": 3.0}, None),
        ("TF_LC", {"kind": "corporate", "age_years": 3.0}, None),
        ("CC_BUSINESS", {"kind": "corporate", "age_years": 3.0}, None),
        ("CA_STUDENT", {"age_years": 25.0}, None),
        ("CA_STUDENT", {"age_years": 26.0}, "age"),
        ("CC_CLASSIC", {"age_years": 17.0}, "age"),
        ("CL_STANDARD", {"age_years": 18.0}, None),
        ("SA_STANDARD", {"age_years": 17.0}, None),
        ("MG_FIX5", {"age_years": 65.0}, None),
        ("MG_FIX5", {"age_years": 66.0}, "age"),
        ("MG_FIX5", {"age_years": np.nan}, "age"),
        ("SA_STANDARD", {"age_years": np.nan}, None),
        ("WM_FUNDS", {"age_years": 17.0}, "age"),
        ("CL_STANDARD", {"risk_rating": "high"}, "risk_rating"),
        ("MG_FIX5", {"risk_rating": "high"}, "risk_rating"),
        ("CC_CLASSIC", {"risk_rating": "high"}, "risk_rating"),
        ("WM_FUNDS", {"risk_rating": "high"}, "risk_rating"),
        ("SA_STANDARD", {"risk_rating": "high"}, None),
        ("IN_LIFE", {"risk_rating": "high"}, None),
        ("WM_FUNDS", {"risk_rating": "medium"}, None),
        ("CL_STANDARD", {"risk_rating": "medium"}, None),
        ("WM_PRIVATE", {"risk_rating": "medium"}, "risk_rating"),
        ("WM_PRIVATE", {"risk_rating": "low"}, None),
        ("BL_OPERATING", {"kind": "corporate", "risk_rating": "high"}, "risk_rating"),
        ("CA_BASIC", {"kyc_status": "pending"}, "kyc_not_verified"),
        ("CA_BASIC", {"kyc_status": "expired"}, "kyc_not_verified"),
        ("CA_BASIC", {"kyc_status": "rejected"}, "kyc_not_verified"),
        ("CA_BASIC", {"kyc_status": "review_due"}, "kyc_not_verified"),
        ("CA_BASIC", {"marketing_consent": False}, "no_marketing_consent"),
        ("CA_BASIC", {"profiling_consent": False}, "no_profiling_consent"),
        ("CC_CLASSIC", {"loans_bad": 1}, "bad_loan"),
        ("MG_FIX5", {"loans_bad": 2}, "bad_loan"),
        ("SA_STANDARD", {"loans_bad": 1}, None),
        ("IN_LIFE", {"loans_bad": 1}, None),
    ],
)
def test_each_rule_excludes_what_it_should(
    code: str, overrides: dict[str, Any], expected: str | None
) -> None:
    assert reason_for(code, **overrides) == expected


def test_the_first_failing_check_is_the_reason() -> None:
    everything_wrong = {
        "profiling_consent": False,
        "marketing_consent": False,
        "kyc_status": "expired",
        "risk_rating": "high",
        "loans_bad": 1,
        "age_years": 80.0,
    }
    assert reason_for("MG_FIX5", **everything_wrong) == "no_profiling_consent"
    assert reason_for("MG_FIX5", **{**everything_wrong, "profiling_consent": True}) == (
        "no_marketing_consent"
    )
    assert reason_for("MG_FIX5", risk_rating="high", loans_bad=1, age_years=80.0) == "age"
    assert reason_for("MG_FIX5", risk_rating="high", loans_bad=1) == "risk_rating"


def test_withdrawn_and_held_products_are_no_candidates() -> None:
    held = pd.DataFrame({"customer_id": [1], "product_id": [ID["CA_BASIC"]]})
    result = check_suitability(pd.DataFrame([customer()]), held, PRODUCTS)
    candidates = set(result.suitable["product_id"]) | set(result.excluded["product_id"])
    assert ID["SA_CLASSIC"] not in candidates
    assert ID["CA_BASIC"] not in candidates
    assert len(candidates) == len(PRODUCTS) - 2


def test_counts_add_up_over_many_customers_and_chunks() -> None:
    rng = np.random.default_rng(5)
    n = 400
    features = pd.DataFrame(
        [
            customer(
                i + 1,
                kind=rng.choice(["individual", "corporate"], p=[0.8, 0.2]),
                age_years=float(rng.integers(16, 90)),
                risk_rating=rng.choice(["low", "medium", "high"]),
                kyc_status=rng.choice(["verified", "pending", "review_due"], p=[0.8, 0.1, 0.1]),
                marketing_consent=bool(rng.random() < 0.7),
                profiling_consent=bool(rng.random() < 0.8),
                loans_bad=int(rng.random() < 0.05),
            )
            for i in range(n)
        ]
    )
    held = pd.DataFrame({"customer_id": np.arange(1, n + 1), "product_id": ID["CA_BASIC"]})
    whole = check_suitability(features, held, PRODUCTS)
    chunked = check_suitability(features, held, PRODUCTS, chunk_rows=37)
    pd.testing.assert_frame_equal(whole.suitable, chunked.suitable)
    pd.testing.assert_frame_equal(whole.excluded, chunked.excluded)
    pd.testing.assert_frame_equal(whole.customers_excluded, chunked.customers_excluded)
    candidates = n * (len(PRODUCTS) - 1) - n  # all active products minus the one held
    assert len(whole.suitable) + whole.excluded["customers"].sum() == candidates
    assert set(whole.excluded["reason"]) <= set(REASONS)
    unconsented = int((~features["profiling_consent"]).sum())
    per_reason = whole.customers_excluded.set_index("reason")["customers"]
    assert per_reason["no_profiling_consent"] == unconsented


def test_bank_settings_override_the_defaults_key_by_key() -> None:
    rules = SuitabilityRules.from_dict(
        {
            "category": {"mortgage": {"max_age": 70}},
            "product": {"CA_STUDENT": {"max_age": 29}, "WM_*": {"product_risk": "high"}},
            "max_product_risk": {"low": "high", "medium": "high", "high": "low"},
            "required_kyc": ["verified", "review_due"],
            "require_marketing_consent": False,
        }
    )
    assert reason_for("MG_FIX5", rules, age_years=68.0) is None
    assert reason_for("MG_FIX5", rules, age_years=68.0, loans_bad=1) == "bad_loan"  # kept
    assert reason_for("CA_STUDENT", rules, age_years=28.0) is None
    assert reason_for("WM_PRIVATE", rules, risk_rating="medium") is None
    assert reason_for("WM_FUNDS", rules, risk_rating="high") == "risk_rating"
    assert reason_for("CA_BASIC", rules, kyc_status="review_due") is None
    assert reason_for("CA_BASIC", rules, marketing_consent=False) is None
    assert rules.rule_for("WM_FUNDS", "wealth_management").product_risk == "high"
    assert rules.rule_for("MG_FIX5", "mortgage").credit


def test_rule_layers_code_over_pattern_over_category_over_default() -> None:
    rules = SuitabilityRules.from_dict(
        {"product": {"XX_*": {"segment": "any", "min_age": 30}, "XX_ONE": {"min_age": 40}}}
    )
    one = rules.rule_for("XX_ONE", "mortgage")
    assert (one.segment, one.min_age, one.max_age, one.credit) == ("any", 40, 65, True)
    two = rules.rule_for("XX_TWO", "insurance")
    assert (two.segment, two.min_age, two.credit) == ("any", 30, False)
    assert rules.rule_for("ZZ", "unknown_category").segment == "individual"


@pytest.mark.parametrize(
    "settings",
    [
        {"colour": "red"},
        {"category": {"mortgage": {"max_agee": 70}}},
        {"product": {"CA_BASIC": {"segment": "students"}}},
        {"product": {"CA_BASIC": {"product_risk": "extreme"}}},
        {"max_product_risk": {"low": "very high"}},
    ],
)
def test_bad_settings_fail_when_loaded(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SuitabilityRules.from_dict(settings)
