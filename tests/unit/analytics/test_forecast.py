"""Demand forecast: quarter conversion, cell sums, intervals that cover, and the backtest."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from bankcrm.analytics.forecast import (
    ForecastConfig,
    backtest_forecast,
    demand_forecast,
    forecast_uptake,
    observed_uptake,
    quarter_probability,
    uptake_trend,
)

AS_OF = date(2026, 9, 30)
QUARTER = timedelta(days=91)


def test_six_month_probability_to_a_quarter_at_constant_hazard() -> None:
    q = quarter_probability([0.0, 0.75, 1.0, 0.19])
    assert q == pytest.approx([0.0, 0.5, 1.0, 0.1])
    # two independent quarters give back the six-month probability
    p = np.array([0.02, 0.3, 0.9])
    assert 1 - (1 - quarter_probability(p)) ** 2 == pytest.approx(p)


def test_cells_sum_quarter_probabilities() -> None:
    scores = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 1, 9],
            "product_id": [10, 10, 10, 11, 10],
            "propensity": [0.75, 0.75, 0.19, 0.75, 0.75],
        }
    )
    groups = pd.DataFrame(
        {"customer_id": [1, 2, 3], "segment_id": [1, 1, 2], "branch_id": [5, 5, 5]}
    )
    table = forecast_uptake(scores, groups).set_index(["product_id", "segment_id", "branch_id"])
    assert table.loc[(10, 1, 5), "expected"] == pytest.approx(1.0)
    assert table.loc[(10, 1, 5), "customers"] == 2
    assert table.loc[(10, 2, 5), "expected"] == pytest.approx(0.1)
    assert table.loc[(11, 1, 5), "expected"] == pytest.approx(0.5)
    assert table.loc[(10, -1, -1), "customers"] == 1  # customer 9 has no segment or branch
    assert (table["lower"] <= table["expected"]).all()
    assert (table["expected"] <= table["upper"]).all()
    assert (table["lower"] >= 0).all()


@pytest.mark.parametrize(("customers", "p"), [(5_000, 0.02), (300, 0.01), (40, 0.3)])
def test_interval_covers_simulated_take_up(customers: int, p: float) -> None:
    rng = np.random.default_rng(customers)
    propensity = np.clip(rng.normal(p, p / 3, customers), 0.0, 1.0)
    scores = pd.DataFrame(
        {"customer_id": np.arange(customers), "product_id": 1, "propensity": propensity}
    )
    groups = pd.DataFrame({"customer_id": np.arange(customers), "segment_id": 1, "branch_id": 1})
    cell = forecast_uptake(scores, groups, ForecastConfig(interval=0.9)).iloc[0]
    q = quarter_probability(propensity)
    draws = (rng.random((4_000, customers)) < q).sum(axis=1)
    assert draws.mean() == pytest.approx(cell["expected"], rel=0.05)
    inside = (draws >= np.floor(cell["lower"])) & (draws <= np.ceil(cell["upper"]))
    assert inside.mean() >= 0.88
    assert inside.mean() <= 0.99 or cell["expected"] < 5  # not absurdly wide


def _accounts(rows: list[tuple[int, int, date]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(c, p, d, None) for c, p, d in rows],
        columns=["customer_id", "product_id", "opened_on", "closed_on"],
    )


def test_observed_uptake_counts_openings_in_the_half_open_window() -> None:
    accounts = _accounts(
        [
            (1, 10, AS_OF - QUARTER),  # on the start day: outside
            (2, 10, AS_OF - QUARTER + timedelta(days=1)),
            (3, 10, AS_OF),
            (4, 10, AS_OF + timedelta(days=1)),  # after: outside
            (5, 11, AS_OF - timedelta(days=5)),  # no segment or branch known
        ]
    )
    groups = pd.DataFrame({"customer_id": [1, 2, 3, 4], "segment_id": 1, "branch_id": 7})
    observed = observed_uptake(accounts, groups, AS_OF - QUARTER, AS_OF)
    assert observed.to_dict("records") == [
        {"product_id": 10, "segment_id": 1, "branch_id": 7, "opened": 2},
        {"product_id": 11, "segment_id": -1, "branch_id": -1, "opened": 1},
    ]


def test_demand_table_sets_forecast_beside_last_quarter_and_a_year_ago() -> None:
    year = timedelta(days=364)
    accounts = _accounts(
        [
            (1, 10, AS_OF - timedelta(days=10)),
            (2, 10, AS_OF - timedelta(days=20)),
            (3, 10, AS_OF - year + timedelta(days=30)),  # the quarter after as-of, a year ago
            (3, 12, AS_OF - timedelta(days=200)),  # in neither window
        ]
    )
    groups = pd.DataFrame({"customer_id": [1, 2, 3, 4], "segment_id": 1, "branch_id": 1})
    scores = pd.DataFrame(
        {"customer_id": [3, 4], "product_id": [10, 11], "propensity": [0.75, 0.75]}
    )
    table = demand_forecast(scores, groups, accounts, AS_OF).set_index("product_id")
    assert list(table.columns) == [
        "segment_id",
        "branch_id",
        "customers",
        "expected",
        "lower",
        "upper",
        "opened_last_quarter",
        "opened_year_ago",
    ]
    assert table.loc[10, "opened_last_quarter"] == 2
    assert table.loc[10, "opened_year_ago"] == 1
    assert table.loc[10, "expected"] == pytest.approx(0.5)
    assert table.loc[11, "opened_last_quarter"] == 0
    assert 12 not in table.index


def test_backtest_of_a_well_calibrated_forecast() -> None:
    rng = np.random.default_rng(11)
    made_on = AS_OF - QUARTER
    n = 20_000
    customers = np.arange(1, n + 1)
    propensity = rng.beta(1, 30, n)
    product = rng.integers(1, 4, n)
    groups = pd.DataFrame(
        {
            "customer_id": customers,
            "segment_id": rng.integers(1, 4, n),
            "branch_id": rng.integers(1, 6, n),
        }
    )
    took = rng.random(n) < quarter_probability(propensity)
    day = rng.integers(1, 92, n)
    rows = [
        (c, p, made_on + timedelta(days=int(d)))
        for c, p, d in zip(customers[took], product[took], day[took], strict=True)
    ]
    before = rng.random(n) < 0.01  # the quarter before: other customers of the same population
    rows += [
        (c, p, made_on - timedelta(days=5))
        for c, p in zip(customers[before], product[before], strict=True)
    ]
    scores = pd.DataFrame(
        {"customer_id": customers, "product_id": product, "propensity": propensity}
    )
    result = backtest_forecast(scores, groups, _accounts(rows), made_on)
    assert result.cells["actual"].sum() == took.sum()
    assert result.cells["naive"].sum() == before.sum()
    assert abs(result.bias) < 0.08
    assert result.coverage > 0.8
    assert 0 < result.wape < 0.5
    assert result.naive_wape > 0
    assert set(result.products["product_id"]) == {1, 2, 3}
    assert result.products["error"].abs().max() < 0.15


def test_trend_factor_from_growing_take_up_by_established_customers() -> None:
    made_on = AS_OF
    rows = [(c, 1, made_on - timedelta(days=800)) for c in range(1, 2_001)]  # established
    growth = 1.2
    for k in range(4, 0, -1):  # quarters before made_on: 100, 120, 144, 172.8 openings
        start = made_on - k * QUARTER
        count = round(100 * growth ** (4 - k))
        rows += [(c, 2, start + timedelta(days=10)) for c in range(1, count + 1)]
    rows += [(5_000 + c, 2, made_on - timedelta(days=5)) for c in range(500)]  # new customers
    f = uptake_trend(_accounts(rows), made_on, [2])
    assert f == pytest.approx(2 * growth**2 / (1 + growth), rel=0.01)
    assert uptake_trend(_accounts(rows), made_on, [3]) == 1.0  # nothing to compare
    scores = pd.DataFrame({"customer_id": [1], "product_id": [2], "propensity": [0.75]})
    groups = pd.DataFrame({"customer_id": [1], "segment_id": [1], "branch_id": [1]})
    table = forecast_uptake(scores, groups, ForecastConfig(level=1.5))
    assert table["expected"].iloc[0] == pytest.approx(0.75)
