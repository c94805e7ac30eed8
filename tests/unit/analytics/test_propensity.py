"""Propensity models, offers ranked by expected value and their explanations, on a bank
with planted signals: mortgage holders take home insurance, high earners open savings."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from bankcrm.analytics.next_best import (
    OfferConfig,
    explain_offers,
    explanation,
    next_best_offers,
    rank_offers,
)
from bankcrm.analytics.offer_phrases import FEATURE_PHRASES, phrase
from bankcrm.analytics.propensity import (
    PropensityModels,
    TrainingConfig,
    model_columns,
    open_holdings,
    openings,
    score_propensity,
    train_propensity,
    training_sets,
)
from bankcrm.analytics.propensity_store import load_models, model_summary, save_models
from bankcrm.kit.errors import UserError

AS_OF = date(2026, 9, 30)
SNAPSHOT = AS_OF - timedelta(days=182)
FAST = TrainingConfig(threads=1)
PRODUCTS = pd.DataFrame(
    {
        "product_id": [1, 2, 3, 4, 5],
        "product_code": ["CA_BASIC", "IN_PROPERTY", "MG_FIX5", "SA_STANDARD", "WM_FUNDS"],
        "name": [
            "Basic Current Account",
            "Home Insurance",
            "Mortgage",
            "Savings Account",
            "Investment Funds",
        ],
        "category": [
            "current_account",
            "insurance",
            "mortgage",
            "savings_account",
            "wealth_management",
        ],
        "active": [True, True, True, True, True],
    }
)


def planted_bank(
    n: int = 3_000, seed: int = 0, snapshot: date = SNAPSHOT
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Features as of `snapshot` and every holding; openings after it follow the plants:
    home insurance (2) 40% for mortgage holders, 3% otherwise; savings (4) rising with
    income; investment funds (5) too rare to model."""
    rng = np.random.default_rng(seed)
    customer = np.arange(1, n + 1)
    mortgage = rng.random(n) < 0.3
    income = rng.lognormal(10, 1, n)
    features = pd.DataFrame(
        {
            "customer_id": customer,
            "kind": "individual",
            "branch_id": rng.integers(1, 4, n),
            "region": rng.choice(["Prague", "north Moravia"], n),
            "risk_rating": "low",
            "kyc_status": "verified",
            "age_years": rng.integers(20, 65, n),
            "tenure_days": rng.integers(100, 5000, n),
            "marketing_consent": True,
            "profiling_consent": True,
            "first_opened_day": 15_000,
            "loans_bad": 0,
            "has_mortgage": mortgage.astype(int),
            "income_3m": income,
            "noise": rng.normal(size=n),
        }
    )
    long_ago = snapshot - timedelta(days=2_000)
    rows = [(c, 1, long_ago, None) for c in customer]
    rows += [(c, 3, long_ago, None) for c in customer[mortgage]]
    p_insurance = np.where(mortgage, 0.4, 0.03)
    p_savings = 1 / (1 + np.exp(-(np.log(income) - 11.0) * 2.5)) * 0.5
    for product, p in ((2, p_insurance), (4, p_savings), (5, np.full(n, 0.004))):
        takers = customer[rng.random(n) < p]
        days = rng.integers(1, 183, takers.size)
        rows += [
            (c, product, snapshot + timedelta(days=int(d)), None)
            for c, d in zip(takers, days, strict=True)
        ]
    accounts = pd.DataFrame(rows, columns=["customer_id", "product_id", "opened_on", "closed_on"])
    accounts.insert(0, "account_no", [f"A{i:07d}" for i in range(len(accounts))])
    category = PRODUCTS.set_index("product_id")["category"]
    accounts["category"] = accounts["product_id"].map(category)
    return features, accounts


@pytest.fixture(scope="module")
def bank() -> tuple[pd.DataFrame, pd.DataFrame]:
    return planted_bank()


@pytest.fixture(scope="module")
def models(bank: tuple[pd.DataFrame, pd.DataFrame]) -> PropensityModels:
    features, accounts = bank
    return train_propensity(features, accounts, SNAPSHOT, config=FAST)


# --- labels ------------------------------------------------------------------------------


def test_label_window_is_half_open_and_holders_are_left_out() -> None:
    d = SNAPSHOT
    accounts = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5, 5],
            "product_id": [7, 7, 7, 7, 7, 7],
            "opened_on": [
                d - timedelta(days=10),  # 1 holds it on the snapshot: not a row
                d + timedelta(days=1),  # 2 opens the day after: positive
                d + timedelta(days=182),  # 3 on the last day of the window: positive
                d + timedelta(days=183),  # 4 one day late: negative
                d - timedelta(days=400),  # 5 held it, closed it, took it again: positive
                d + timedelta(days=30),
            ],
            "closed_on": [None, None, None, None, d - timedelta(days=100), None],
        }
    )
    features = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5, 6]})
    [(product, rows, label)] = list(training_sets(features, accounts, d, [7]))
    assert product == 7
    by_customer = dict(zip(features["customer_id"].to_numpy()[rows], label, strict=True))
    assert by_customer == {2: True, 3: True, 4: False, 5: True, 6: False}


def test_open_holdings_and_openings_by_date() -> None:
    accounts = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "product_id": [1, 2, 1],
            "opened_on": [date(2020, 1, 1), date(2026, 3, 1), date(2020, 1, 1)],
            "closed_on": [None, None, date(2026, 1, 1)],
        }
    )
    held = open_holdings(accounts, date(2026, 2, 1))
    assert set(zip(held["customer_id"], held["product_id"], strict=True)) == {(1, 1)}
    new = openings(accounts, date(2026, 2, 28), date(2026, 3, 1))
    assert list(zip(new["customer_id"], new["product_id"], strict=True)) == [(1, 2)]


def test_model_columns_drop_ids_consents_and_absolute_days(
    bank: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    features, _ = bank
    wide = features.assign(comment=[f"text {i}" for i in range(len(features))])
    columns = model_columns(wide)
    for dropped in (
        "customer_id",
        "first_opened_day",
        "marketing_consent",
        "profiling_consent",
        "comment",
    ):
        assert dropped not in columns
    assert {"branch_id", "region", "has_mortgage", "income_3m"} <= set(columns)


# --- training and scoring ----------------------------------------------------------------


def test_products_with_too_few_openings_get_no_model(models: PropensityModels) -> None:
    assert set(models.models) == {2, 4}
    assert set(models.skipped) == {1, 3, 5}
    assert models.skipped[1] == 0 and 0 < models.skipped[5] < 40
    summary = model_summary(
        models, dict(zip(PRODUCTS["product_id"], PRODUCTS["product_code"], strict=True))
    )
    assert list(summary.loc[summary["modelled"], "product"]) == ["IN_PROPERTY", "SA_STANDARD"]


def test_models_saved_and_loaded_score_the_same(
    models: PropensityModels, bank: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    features, accounts = bank
    save_models(models, tmp_path / "propensity")
    loaded = load_models(tmp_path / "propensity")
    assert loaded.columns == models.columns and loaded.skipped == models.skipped
    assert loaded.models[2].medians == models.models[2].medians
    holdings = open_holdings(accounts, SNAPSHOT)
    pd.testing.assert_frame_equal(
        score_propensity(loaded, features, holdings), score_propensity(models, features, holdings)
    )
    with pytest.raises(UserError, match="no propensity models"):
        load_models(tmp_path / "elsewhere")


def test_planted_signals_rank_well_on_fresh_customers(models: PropensityModels) -> None:
    features, accounts = planted_bank(seed=1)
    scores = score_propensity(models, features, open_holdings(accounts, SNAPSHOT))
    opened = openings(accounts, SNAPSHOT, SNAPSHOT + timedelta(days=182))
    took = set(zip(opened["customer_id"], opened["product_id"], strict=True))
    scores["took"] = [
        (c, p) in took for c, p in zip(scores["customer_id"], scores["product_id"], strict=True)
    ]
    for product, floor in ((2, 0.8), (4, 0.7)):
        part = scores[scores["product_id"] == product]
        assert roc_auc_score(part["took"], part["propensity"]) > floor
        # calibrated: the expected number of openings is close to the actual number
        assert part["propensity"].sum() == pytest.approx(part["took"].sum(), rel=0.25)


def test_capped_negatives_are_reweighted_so_probabilities_stay_calibrated(
    bank: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    features, accounts = bank
    capped = train_propensity(
        features, accounts, SNAPSHOT, [2], TrainingConfig(max_negatives=600, threads=1)
    )
    model = capped.models[2]
    assert model.negatives_kept == 600 and model.negatives > 2_000
    scores = score_propensity(capped, features, open_holdings(accounts, SNAPSHOT))
    base_rate = model.positives / (model.positives + model.negatives)
    assert scores["propensity"].mean() == pytest.approx(base_rate, rel=0.2)


def test_capped_positives_are_reweighted_too(bank: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    features, accounts = bank
    full = train_propensity(features, accounts, SNAPSHOT, [2], TrainingConfig(threads=1))
    cap = full.models[2].positives // 2
    capped = train_propensity(
        features, accounts, SNAPSHOT, [2], TrainingConfig(max_positives=cap, threads=1)
    )
    model = capped.models[2]
    assert model.positives_kept == cap < model.positives
    scores = score_propensity(capped, features, open_holdings(accounts, SNAPSHOT))
    base_rate = model.positives / (model.positives + model.negatives)
    assert scores["propensity"].mean() == pytest.approx(base_rate, rel=0.2)


def test_training_does_not_depend_on_row_order(bank: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    features, accounts = bank
    config = TrainingConfig(max_negatives=1_000, threads=1)
    shuffled = features.sample(frac=1.0, random_state=3)
    first = train_propensity(features, accounts, SNAPSHOT, [2], config)
    second = train_propensity(shuffled, accounts, SNAPSHOT, [2], config)
    one = score_propensity(first, features, open_holdings(accounts, SNAPSHOT))
    two = score_propensity(second, features, open_holdings(accounts, SNAPSHOT))
    pd.testing.assert_frame_equal(one, two)


def test_scoring_skips_held_products_unconsented_customers_and_unlisted_pairs(
    models: PropensityModels, bank: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    features, _ = bank
    features = features.head(50).copy()
    features.loc[features.index[:5], "profiling_consent"] = False
    holdings = pd.DataFrame({"customer_id": [6, 7], "product_id": [2, 4]})
    scores = score_propensity(models, features, holdings)
    pairs = set(zip(scores["customer_id"], scores["product_id"], strict=True))
    assert (6, 2) not in pairs and (7, 4) not in pairs and (6, 4) in pairs
    assert not set(features["customer_id"][:5]) & set(scores["customer_id"])
    assert scores["propensity"].between(0, 1).all()
    everyone = score_propensity(models, features, holdings, profiling_consent_only=False)
    assert set(features["customer_id"][:5]) <= set(everyone["customer_id"])
    only = pd.DataFrame({"customer_id": [8, 9], "product_id": [2, 4]})
    listed = score_propensity(models, features, holdings, pairs=only)
    assert set(zip(listed["customer_id"], listed["product_id"], strict=True)) == {(8, 2), (9, 4)}


# --- ranking and explanations ------------------------------------------------------------


def test_ranking_by_expected_value_one_per_category_top_n() -> None:
    products = pd.DataFrame(
        {
            "product_id": [1, 2, 3, 4, 5],
            "category": [
                "savings_account",
                "savings_account",
                "insurance",
                "mortgage",
                "credit_card",
            ],
        }
    )
    scores = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 1, 2, 2],
            "product_id": [1, 2, 3, 4, 5, 1, 3],
            "propensity": [0.10, 0.20, 0.05, 0.01, 0.50, 0.10, 0.10],
        }
    )
    margin = {1: 1_000.0, 2: 400.0, 3: 3_000.0, 4: 20_000.0, 5: -50.0}
    offers = rank_offers(scores, margin, products, OfferConfig(top_n=3))
    first = offers[offers["customer_id"] == 1]
    # EV: 1 -> 100, 2 -> 80 (same category as 1, dropped), 3 -> 150, 4 -> 200, 5 -> negative
    assert list(first["product_id"]) == [4, 3, 1]
    assert list(first["rank"]) == [1, 2, 3]
    assert first["expected_value"].tolist() == pytest.approx([200.0, 150.0, 100.0])
    second = offers[offers["customer_id"] == 2]
    assert list(second["product_id"]) == [3, 1]
    assert len(rank_offers(scores, margin, products, OfferConfig(top_n=1))) == 2
    everything = rank_offers(scores, margin, products, OfferConfig(top_n=9, one_per_category=False))
    assert 2 in set(everything["product_id"]) and 5 not in set(everything["product_id"])
    unpriced = rank_offers(scores, {3: 100.0}, products)
    assert set(unpriced["product_id"]) == {3}
    likely = rank_offers(scores, margin, products, OfferConfig(top_n=9, min_propensity=0.1))
    assert set(likely["product_id"]) == {1, 3}  # 4 (1%) and 3 for customer 1 (5%) dropped
    assert len(likely[likely["customer_id"] == 1]) == 1


def test_explanation_line_names_product_chance_reasons_and_value() -> None:
    line = explanation(
        "Savings Account", 0.184, ["salary paid in", "high deposit balance"], 1_234.0, 182, "CZK"
    )
    assert line == (
        "Savings Account: 18% likely in 6 months (salary paid in, high deposit balance); "
        "worth about CZK 1,200 a year"
    )
    assert explanation("Card", 0.004, [], 95.0, 182, "EUR") == (
        "Card: under 1% likely in 6 months; worth about EUR 100 a year"
    )


def test_phrases_follow_the_customers_value() -> None:
    assert phrase("has_mortgage", 1, 0.0) == "holds a mortgage"
    assert phrase("has_mortgage", 0, 0.0) == "no mortgage yet"
    assert phrase("deposit_balance", 90_000.0, 50_000.0) == "high deposit balance"
    assert phrase("deposit_balance", 10_000.0, 50_000.0) == "low deposit balance"
    assert phrase("age_years", 34.0, 45.0) == "age 34"
    assert phrase("region", "Prague") == "lives or trades in Prague"
    assert phrase("some_new_column", 3.0, 1.0) == "high some new column"
    assert all(high and low for high, low in FEATURE_PHRASES.values())


def test_offers_end_to_end_with_explanations(
    models: PropensityModels, bank: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    features, accounts = bank
    now = features.copy()
    holdings = open_holdings(accounts, AS_OF)
    margin = {2: 2_500.0, 4: 1_200.0}
    result = next_best_offers(models, now, holdings, PRODUCTS, margin, config=OfferConfig(top_n=2))
    offers = result.offers
    assert list(offers.columns) == [
        "customer_id",
        "rank",
        "product_id",
        "propensity",
        "margin",
        "expected_value",
        "explanation",
    ]
    assert not offers.empty
    assert offers.groupby("customer_id")["rank"].max().le(2).all()
    held = set(zip(holdings["customer_id"], holdings["product_id"], strict=True))
    assert not held & set(zip(offers["customer_id"], offers["product_id"], strict=True))
    assert offers["explanation"].str.contains("likely in 6 months").all()
    assert offers["explanation"].str.contains("worth about CZK").all()
    insurance = offers[offers["product_id"] == 2]
    assert insurance["explanation"].str.startswith("Home Insurance: ").all()
    mortgage_holders = set(features.loc[features["has_mortgage"] == 1, "customer_id"])
    theirs = insurance[insurance["customer_id"].isin(mortgage_holders)]
    assert theirs["explanation"].str.contains("holds a mortgage").mean() > 0.9
    assert result.no_model == [1, 3, 5]
    assert result.no_margin == []


def test_explain_offers_keeps_rows_in_place(
    models: PropensityModels, bank: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    features, _ = bank
    offers = pd.DataFrame(
        {
            "customer_id": [3, 1, 2],
            "rank": [1, 1, 1],
            "product_id": [4, 2, 4],
            "propensity": [0.3, 0.2, 0.1],
            "margin": [100.0, 200.0, 300.0],
            "expected_value": [30.0, 40.0, 30.0],
        }
    )
    explained = explain_offers(offers, models, features, PRODUCTS)
    starts = [line.split(":")[0] for line in explained["explanation"]]
    assert starts == ["Savings Account", "Home Insurance", "Savings Account"]
    assert explained["explanation"][0].endswith("worth about CZK 100 a year")
