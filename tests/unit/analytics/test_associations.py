"""Association rules: metrics against hand-computed values and a brute-force count."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pandas as pd
import pytest

from bankcrm.analytics.associations import (
    AssociationConfig,
    association_rules,
    itemset_counts,
    sentence,
)


def _holdings(baskets: dict[int, list[str]]) -> pd.DataFrame:
    rows = [(c, item) for c, items in baskets.items() for item in items]
    return pd.DataFrame(rows, columns=["customer_id", "category"])


# Ten customers, hand-counted: current account 4, mortgage 4, insurance 3, savings 4;
# current+mortgage 3, current+insurance 1, mortgage+insurance 2, all three 1.
BANK = {
    1: ["current_account", "mortgage", "insurance"],
    2: ["current_account", "mortgage"],
    3: ["current_account", "mortgage"],
    4: ["current_account"],
    5: ["mortgage", "insurance"],
    6: ["insurance"],
    7: ["savings_account"],
    8: ["savings_account"],
    9: ["savings_account"],
    10: ["savings_account"],
}
CONFIG = AssociationConfig(min_support=0.1, min_confidence=0.1)


def _rule(rules: pd.DataFrame, antecedent: tuple[str, ...], consequent: str) -> pd.Series:
    hit = rules[(rules["antecedent"] == antecedent) & (rules["consequent"] == consequent)]
    assert len(hit) == 1, f"{antecedent} -> {consequent} not found once"
    return hit.iloc[0]


def test_metrics_match_hand_computed_values() -> None:
    rules = association_rules(_holdings(BANK), CONFIG)
    rule = _rule(rules, ("current_account",), "mortgage")
    assert rule["count"] == 3
    assert rule["support"] == pytest.approx(0.3)
    assert rule["confidence"] == pytest.approx(0.75)
    assert rule["lift"] == pytest.approx(0.75 / 0.4)
    rule = _rule(rules, ("insurance",), "mortgage")
    assert rule["confidence"] == pytest.approx(2 / 3)
    assert rule["lift"] == pytest.approx((2 / 3) / 0.4)
    pair = _rule(rules, ("current_account", "insurance"), "mortgage")
    assert pair["count"] == 1
    assert pair["antecedent_size"] == 2
    assert pair["confidence"] == pytest.approx(1.0)
    assert pair["lift"] == pytest.approx(1.0 / 0.4)


def test_pair_rules_must_improve_on_their_single_items() -> None:
    # current account & mortgage -> insurance: 1/3, below mortgage -> insurance (1/2)
    pruned = association_rules(_holdings(BANK), CONFIG)
    pairs = set(zip(pruned["antecedent"], pruned["consequent"], strict=True))
    assert (("current_account", "mortgage"), "insurance") not in pairs
    kept = association_rules(
        _holdings(BANK),
        AssociationConfig(min_support=0.1, min_confidence=0.1, min_improvement=None),
    )
    rule = _rule(kept, ("current_account", "mortgage"), "insurance")
    assert rule["confidence"] == pytest.approx(1 / 3)
    assert rule["lift"] == pytest.approx((1 / 3) / 0.3)


def test_filters_and_order() -> None:
    rules = association_rules(_holdings(BANK), CONFIG)
    # current account -> insurance has lift 0.25 / 0.3 < 1: not a rule
    pairs = set(zip(rules["antecedent"], rules["consequent"], strict=True))
    assert (("current_account",), "insurance") not in pairs
    assert (rules["lift"] > 1).all()
    assert rules["lift"].is_monotonic_decreasing
    strict = association_rules(_holdings(BANK), AssociationConfig(min_support=0.25))
    assert (strict["support"] >= 0.25).all()
    assert set(strict["count"]) == {3}
    confident = association_rules(
        _holdings(BANK), AssociationConfig(min_support=0.1, min_confidence=0.7)
    )
    assert (confident["confidence"] >= 0.7).all()
    singles = association_rules(
        _holdings(BANK), AssociationConfig(min_support=0.1, min_confidence=0.1, max_antecedent=1)
    )
    assert set(singles["antecedent_size"]) == {1}


def test_sentence_reads_naturally() -> None:
    rules = association_rules(_holdings(BANK), CONFIG)
    pair = _rule(rules, ("current_account", "insurance"), "mortgage")
    assert pair["sentence"] == (
        "Customers who hold a current account and insurance take a mortgage 2.5 times as often "
        "as average (100% of them hold it)"
    )
    assert sentence(["a mortgage"], "a credit card", 3.14, 0.421).endswith(
        "3.1 times as often as average (42% of them hold it)"
    )


def test_product_codes_with_names() -> None:
    holdings = pd.DataFrame(
        {"customer_id": [1, 1, 2, 2, 3], "product_code": ["MG", "IN", "MG", "IN", "CA"]}
    )
    rules = association_rules(
        holdings,
        AssociationConfig(item_column="product_code", min_support=0.1, min_confidence=0.1),
        item_names={"MG": "a Mortgage", "IN": "Home Insurance"},
    )
    rule = _rule(rules, ("MG",), "IN")
    assert rule["lift"] == pytest.approx(1.5)
    assert rule["sentence"].startswith("Customers who hold a Mortgage take Home Insurance 1.5")


def test_counts_agree_with_brute_force() -> None:
    rng = np.random.default_rng(4)
    matrix = rng.random((500, 6)) < np.array([0.6, 0.4, 0.3, 0.2, 0.1, 0.05])
    matrix[:, 3] |= matrix[:, 0] & (rng.random(500) < 0.5)  # a planted association
    counts, n = itemset_counts(matrix, max_size=3)
    assert n == 500
    for size in (1, 2, 3):
        for itemset in itertools.combinations(range(6), size):
            expected = int(matrix[:, list(itemset)].all(axis=1).sum())
            assert counts.get(itemset, 0) == expected, itemset


def test_planted_rule_comes_first() -> None:
    rng = np.random.default_rng(7)
    n = 5_000
    has_a = rng.random(n) < 0.3
    has_b = np.where(has_a, rng.random(n) < 0.8, rng.random(n) < 0.1)
    has_c = rng.random(n) < 0.5
    rows = [(i, "mortgage") for i in np.flatnonzero(has_a)]
    rows += [(i, "insurance") for i in np.flatnonzero(has_b)]
    rows += [(i, "savings_account") for i in np.flatnonzero(has_c)]
    rows += [(i, "current_account") for i in range(n)]  # everyone: lift 1, never a rule
    rules = association_rules(pd.DataFrame(rows, columns=["customer_id", "category"]))
    best = rules.iloc[0]
    assert {best["consequent"], *best["antecedent"]} == {"mortgage", "insurance"}
    assert best["lift"] == pytest.approx(0.8 / (0.3 * 0.8 + 0.7 * 0.1), rel=0.1)
    assert "current_account" not in set(rules["consequent"])


def test_a_million_customers_in_seconds() -> None:
    rng = np.random.default_rng(0)
    n = 1_000_000
    held = rng.random((n, 13)) < np.linspace(0.05, 0.7, 13)
    customers, items = np.nonzero(held)
    holdings = pd.DataFrame({"customer_id": customers, "category": [f"c{i:02d}" for i in items]})
    started = time.perf_counter()
    rules = association_rules(holdings)
    assert time.perf_counter() - started < 30
    assert len(rules) >= 0


def test_no_rules_gives_an_empty_table_with_the_columns() -> None:
    rules = association_rules(_holdings({1: ["mortgage"], 2: ["insurance"]}))
    assert rules.empty
    assert "sentence" in rules.columns
