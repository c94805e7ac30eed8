"""Next best product, segments, association rules and the demand forecast on a generated
bank: imported into SQLite, features built on DuckDB, models trained and checked on a
time-based holdout (train: features at as_of-364, label up to as_of-182; test: features at
as_of-182, label up to as_of). Floors are the figures measured on this bank minus a margin.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from bankcrm.analytics.associations import association_rules
from bankcrm.analytics.features import FeatureSources, build_features
from bankcrm.analytics.forecast import backtest_forecast, demand_forecast
from bankcrm.analytics.ledger import build_ledger
from bankcrm.analytics.metrics import roc_auc, top_decile_lift
from bankcrm.analytics.next_best import next_best_offers
from bankcrm.analytics.offer_phrases import FEATURE_PHRASES
from bankcrm.analytics.propensity import (
    PropensityModels,
    TrainingConfig,
    open_holdings,
    openings,
    pair_key,
    score_propensity,
    train_propensity,
)
from bankcrm.analytics.segments import SegmentConfig, segment_customers
from bankcrm.lake.engines import connect_duckdb, read_transactions, table_from_arrow, to_arrow
from tests.generated import generated_bank

pytestmark = pytest.mark.slow  # about 40 s on an idle machine, minutes on a busy one

CUSTOMERS = 3_000
CONFIG = TrainingConfig(min_positives=20, threads=1)  # a small bank: fewer openings


@dataclass
class Bank:
    as_of: date
    accounts: pd.DataFrame
    products: pd.DataFrame
    features: dict[int, pd.DataFrame]  # days before as_of -> feature table

    def day(self, back: int) -> date:
        return self.as_of - timedelta(days=back)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bank]:
    generated = generated_bank(tmp_path_factory.mktemp("nbp_bank"), CUSTOMERS, seed=5)
    con = connect_duckdb(memory_limit="1GB", threads=1)
    sources = FeatureSources(
        transactions=read_transactions(con, generated.lake),
        **{name: table_from_arrow(con, name, t) for name, t in generated.tables.items()},
    )
    as_of = generated.as_of
    ledger = build_ledger(sources.transactions, sources.accounts, as_of, snapshots=5)
    features = {
        back: to_arrow(
            con, build_features(sources, ledger, as_of - timedelta(days=back))
        ).to_pandas()
        for back in (0, 182, 364)
    }
    ledger.release()
    accounts = generated.tables["accounts"].to_pandas()
    yield Bank(as_of, accounts, generated.products.to_pandas(), features)
    con.disconnect()


@pytest.fixture(scope="module")
def models_then(bank: Bank) -> PropensityModels:
    """Trained on features at as_of-364 and openings up to as_of-182."""
    return train_propensity(bank.features[364], bank.accounts, bank.day(364), config=CONFIG)


@pytest.fixture(scope="module")
def models_now(bank: Bank) -> PropensityModels:
    """Trained on features at as_of-182 and openings up to as_of: the production model."""
    return train_propensity(bank.features[182], bank.accounts, bank.day(182), config=CONFIG)


def test_every_feature_column_has_words(bank: Bank) -> None:
    assert set(bank.features[0].columns) - {"customer_id"} <= set(FEATURE_PHRASES)


def test_holdout_auc_and_lift_per_product(bank: Bank, models_then: PropensityModels) -> None:
    models = models_then
    assert len(models.models) >= 5
    test_day = bank.day(182)
    scores = score_propensity(models, bank.features[182], open_holdings(bank.accounts, test_day))
    opened = openings(bank.accounts, test_day, bank.as_of)
    took = np.isin(
        pair_key(scores["customer_id"], scores["product_id"]),
        pair_key(opened["customer_id"], opened["product_id"]),
    )
    aucs, lifts = [], []
    for product in models.models:
        part = (scores["product_id"] == product).to_numpy()
        if 10 <= took[part].sum() < part.sum():
            aucs.append(roc_auc(took[part], scores["propensity"][part]))
            lifts.append(top_decile_lift(took[part], scores["propensity"][part]))
    assert len(aucs) >= 4
    assert np.median(aucs) > 0.75, aucs
    assert min(aucs) > 0.6, aucs
    assert np.median(lifts) > 2.5, lifts


def test_offers_are_suitable_ranked_and_explained(bank: Bank, models_now: PropensityModels) -> None:
    models = models_now
    now = bank.features[0]
    margin = {int(p): 2_000.0 for p in bank.products["product_id"]}
    result = next_best_offers(
        models, now, open_holdings(bank.accounts, bank.as_of), bank.products, margin
    )
    offers = result.offers.merge(bank.products, on="product_id").merge(now, on="customer_id")
    assert len(offers) > 0.2 * len(now)
    assert offers.groupby("customer_id")["rank"].max().le(3).all()
    assert offers["marketing_consent"].all() and offers["profiling_consent"].all()
    assert (offers["kyc_status"] == "verified").all()
    business = offers["product_code"].str.match(
        r"(CA_BUSINESS|CA_CORPORATE|SA_BUSINESS|BL_|CC_BUSINESS|DC_BUSINESS|PR_|CM_|TF_)"
    )
    assert (offers.loc[business, "kind"] == "corporate").all()
    assert (offers.loc[~business, "kind"] == "individual").all()
    risky = offers["category"].isin(
        ["consumer_loan", "mortgage", "credit_card", "wealth_management"]
    )
    assert not (risky & (offers["risk_rating"] == "high")).any()
    assert (
        offers["explanation"]
        .str.contains(r"likely in 6 months.*; worth about CZK 2,000 a year")
        .all()
    )
    assert offers["explanation"].str.contains(r"\(").mean() > 0.8  # most name their reasons
    excluded = result.suitability.excluded
    assert {"no_profiling_consent", "segment", "risk_rating"} <= set(excluded["reason"])
    assert set(result.no_model) >= {1}  # current accounts open at onboarding only


def test_segments_rules_and_forecast(
    bank: Bank, models_then: PropensityModels, models_now: PropensityModels
) -> None:
    now = bank.features[0]
    segments = segment_customers(now, SegmentConfig(seed=0))
    names = segments.model.names
    assert 4 <= len(names) <= 8 and len(set(names)) == len(names)
    assert any("business" in n.lower() for n in names)
    assert segments.profiles["customers"].sum() == len(now)

    held = open_holdings(bank.accounts, bank.as_of).merge(bank.products, on="product_id")
    rules = association_rules(held)
    assert len(rules) > 10 and (rules["lift"] > 1).all()
    assert rules["sentence"].str.startswith("Customers who hold ").all()

    # a forecast made at as_of-182 (with the model that knew openings up to that day) for
    # the quarter after it, against what the customers then opened
    made_on = bank.day(182)
    then = bank.features[182]
    groups = then[["customer_id", "branch_id"]].assign(segment_id=segments.model.predict(then))
    scores = score_propensity(models_then, then, open_holdings(bank.accounts, made_on))
    backtest = backtest_forecast(scores, groups, bank.accounts, made_on)
    assert backtest.cells["actual"].sum() > 50
    assert -0.6 < backtest.bias < 0.3  # the generator's take-up rises towards the as-of date
    assert backtest.wape < 1.0
    assert backtest.coverage > 0.7
    groups_now = now[["customer_id", "branch_id"]].assign(
        segment_id=segments.assignments["segment_id"]
    )
    current = score_propensity(models_now, now, open_holdings(bank.accounts, bank.as_of))
    table = demand_forecast(current, groups_now, bank.accounts, bank.as_of)
    assert (table["lower"] <= table["expected"]).all() and (
        table["expected"] <= table["upper"]
    ).all()
    assert table["opened_last_quarter"].sum() > 0 and table["opened_year_ago"].sum() > 0
