"""Behavioural segments: planted groups are found, named by their profile, deterministically."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from bankcrm.analytics.segments import (
    SegmentConfig,
    fit_segments,
    segment_customers,
    segment_names,
)

GROUPS = ("young_digital_savers", "senior_branch", "borrowers", "companies")


def _bank(per_group: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Four planted behaviours with noise; returns the features and the planted group."""
    rng = np.random.default_rng(seed)
    frames = []
    for g, name in enumerate(GROUPS):
        n = per_group
        noise = rng.lognormal(0, 0.3, n)
        frame = pd.DataFrame(
            {
                "kind": "corporate" if name == "companies" else "individual",
                "avg_deposit_balance_12m": {
                    "young_digital_savers": 400_000.0,
                    "senior_branch": 40_000.0,
                    "borrowers": 30_000.0,
                    "companies": 5_000_000.0,
                }[name]
                * noise,
                "income_12m": 0.0 if name == "companies" else 300_000.0 * noise,
                "own_tx_12m": rng.poisson(60 if name != "senior_branch" else 8, n),
                "digital_share_12m": np.clip(
                    rng.normal(0.95 if name != "senior_branch" else 0.1, 0.05, n), 0, 1
                ),
                "categories_open": rng.integers(2, 5, n),
                "lending_exposure": (2_000_000.0 * noise) if name == "borrowers" else 0.0,
                "wealth_balance": 0.0,
                "card_spend_12m": 50_000.0 * noise,
                "age_years": {
                    "young_digital_savers": rng.integers(20, 28, n),
                    "senior_branch": rng.integers(68, 85, n),
                    "borrowers": rng.integers(35, 45, n),
                    "companies": rng.integers(5, 30, n),
                }[name],
                "tenure_days": rng.integers(300, 6000, n),
            }
        )
        frame["group"] = g
        frames.append(frame)
    bank = pd.concat(frames, ignore_index=True)
    bank.insert(0, "customer_id", np.arange(1, len(bank) + 1))
    return bank.drop(columns="group"), bank["group"].to_numpy()


def test_planted_groups_are_found_and_named() -> None:
    bank, planted = _bank()
    result = segment_customers(bank, SegmentConfig(k=4, seed=1))
    assert adjusted_rand_score(planted, result.assignments["segment_id"]) > 0.95
    name_of = {
        GROUPS[g]: result.assignments.loc[planted == g, "segment"].mode()[0] for g in range(4)
    }
    assert "Young" in name_of["young_digital_savers"]
    assert "business accounts" in name_of["companies"].lower()
    assert "borrowers" in name_of["borrowers"]
    lowered = name_of["senior_branch"].lower()
    assert "senior" in lowered or "branch-based" in lowered or "dormant" in lowered


def test_deterministic_with_a_seed_and_names_unique() -> None:
    bank, _ = _bank()
    first = segment_customers(bank, SegmentConfig(seed=3))
    second = segment_customers(bank.sample(frac=1.0, random_state=9), SegmentConfig(seed=3))
    assert first.model.names == second.model.names  # the row order does not matter
    merged = first.assignments.merge(second.assignments, on="customer_id")
    assert (merged["segment_id_x"] == merged["segment_id_y"]).all()
    again = segment_customers(bank, SegmentConfig(seed=3))
    pd.testing.assert_frame_equal(first.assignments, again.assignments)
    assert len(set(first.model.names)) == len(first.model.names)


def test_k_chosen_by_silhouette_within_the_range() -> None:
    bank, _ = _bank(per_group=200)
    model = fit_segments(bank, SegmentConfig(k_range=(3, 6), seed=0))
    assert set(model.silhouette) == {3, 4, 5, 6}
    assert len(model.names) == max(model.silhouette, key=lambda k: model.silhouette[k])


def test_profiles_add_up_and_describe_three_traits() -> None:
    bank, _ = _bank(per_group=200)
    contribution = pd.Series(np.arange(len(bank), dtype=float), index=bank.index)
    result = segment_customers(bank, SegmentConfig(k=4), contribution=contribution)
    profiles = result.profiles
    assert profiles["customers"].sum() == len(bank)
    assert profiles["share"].sum() == pytest.approx(1.0)
    assert list(profiles["segment_id"]) == [1, 2, 3, 4]
    assert profiles["customers"].is_monotonic_decreasing  # ids by size, largest first
    assert profiles["description"].str.count(";").eq(2).all()
    assert profiles["description"].str.contains("bank").all()
    expected = contribution.groupby(result.assignments["segment_id"].to_numpy()).mean()
    assert profiles["mean_contribution"].to_numpy() == pytest.approx(expected.to_numpy())


def test_names_of_identical_centroids_are_made_unique() -> None:
    columns = ("age_years", "digital_share_12m", "avg_deposit_balance_12m")
    centers = np.array([[-1.0, 1.0, 1.0], [-1.0, 1.0, 1.0], [-1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    names = segment_names(centers, columns)
    assert names[0] == "Young digital savers"
    assert len(set(names)) == 4
    assert names[3] == "Mainstream customers"


def test_missing_values_and_unseen_rows_are_assigned() -> None:
    bank, _ = _bank(per_group=100)
    model = fit_segments(bank, SegmentConfig(k=4))
    odd = bank.head(3).copy()
    odd["digital_share_12m"] = np.nan
    odd["age_years"] = np.nan
    assert set(model.predict(odd)) <= {1, 2, 3, 4}


def test_sampled_fit_does_not_depend_on_row_order() -> None:
    bank, _ = _bank(per_group=300)
    config = SegmentConfig(sample_rows=500, seed=2)
    first = fit_segments(bank, config)
    second = fit_segments(bank.iloc[::-1], config)
    assert first.names == second.names
    assert (first.predict(bank) == second.predict(bank)).all()


def test_a_large_bank_is_assigned_in_seconds() -> None:
    bank, _ = _bank(per_group=250)
    model = fit_segments(bank, SegmentConfig(k=5, sample_rows=1_000))
    big = pd.concat([bank] * 250, ignore_index=True)  # 250,000 rows
    started = time.perf_counter()
    result = segment_customers(big, model=model)
    assert time.perf_counter() - started < 20
    assert len(result.assignments) == len(big)
