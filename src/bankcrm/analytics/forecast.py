"""Demand forecast: expected take-up per product, segment and branch in the next quarter.

A propensity p is the probability of taking the product within 182 days. Assuming a
constant hazard over those days, the probability within one quarter (91 days) is

    q = 1 - (1 - p) ** (91 / 182)          (= 1 - sqrt(1 - p))

Expected take-up of a cell (product x segment x branch) is the sum of q over the customers
scored for the product (those not holding it). Take-up is a sum of independent Bernoulli
trials (a Poisson-binomial count) with mean m = sum q, variance v = sum q(1-q) and third
central moment t = sum q(1-q)(1-2q). The interval uses the Cornish-Fisher quantile
m + sd * (z + g (z^2 - 1) / 6), g = t / sd^3 (the normal quantile corrected for the skew
that small counts have), clipped at 0.

Trend (optional): the models learn the average take-up over their six-month label window.
When take-up is growing, the next quarter runs above that average. `uptake_trend` fits the
quarter-on-quarter growth g of openings by established customers over the last quarters
and returns f = 2 g^2 / (1 + g), the factor that carries the window's average level
(Q1 + Q2) / 2 to the next quarter's level Q2 g; `ForecastConfig.level` multiplies every q
by it (1.0: no trend, the default).

For comparison the table carries the openings observed in the last quarter and in the same
quarter a year before (by the customer's current segment and branch). The backtest scores
customers as of a past date, forecasts the quarter after it and compares with what they
actually opened, next to the naive forecast "same as the quarter before".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import norm

from bankcrm.analytics.propensity import HORIZON_DAYS, open_holdings, openings, pair_key

QUARTER_DAYS = 91
YEAR_DAYS = 364  # 52 weeks: the same quarter a year ago starts on the same weekday
CELL = ["product_id", "segment_id", "branch_id"]
UNKNOWN = -1  # segment or branch of a customer missing from `groups`


@dataclass(frozen=True)
class ForecastConfig:
    interval: float = 0.9  # central probability of the interval
    quarter_days: int = QUARTER_DAYS
    horizon_days: int = HORIZON_DAYS  # the horizon of the propensities
    level: float = 1.0  # trend factor on every quarter probability (see uptake_trend)


def quarter_probability(
    p: npt.ArrayLike, horizon_days: int = HORIZON_DAYS, quarter_days: int = QUARTER_DAYS
) -> npt.NDArray[np.float64]:
    """Probability within `quarter_days` from one within `horizon_days` (constant hazard)."""
    clipped = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    return np.asarray(1.0 - (1.0 - clipped) ** (quarter_days / horizon_days), dtype=np.float64)


def uptake_trend(
    accounts: pd.DataFrame,
    made_on: date,
    product_ids: Sequence[int] | None = None,
    quarters: int = 4,
    quarter_days: int = QUARTER_DAYS,
) -> float:
    """The trend factor f = 2 g^2 / (1 + g) for a forecast made on `made_on`.

    g is the quarter-on-quarter growth of openings (of `product_ids`) by established
    customers, from a log-linear fit over the last `quarters` quarters; a customer is
    established in a quarter when they held something at its start (new customers' first
    products are growth of the customer base, not of take-up). 1.0 when a quarter has none.
    """
    quarter = timedelta(days=quarter_days)
    counts = []
    for k in range(quarters, 0, -1):
        begin = made_on - k * quarter
        established = open_holdings(accounts, begin)["customer_id"].unique()
        opened = openings(accounts, begin, begin + quarter)
        keep = opened["customer_id"].isin(established)
        if product_ids is not None:
            keep &= opened["product_id"].isin(product_ids)
        counts.append(int(keep.sum()))
    if min(counts) == 0 or quarters < 2:
        return 1.0
    slope = np.polyfit(np.arange(quarters), np.log(counts), 1)[0]
    g = float(np.exp(slope))
    return 2 * g * g / (1 + g)


def _with_cells(frame: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    cells = groups[["customer_id", "segment_id", "branch_id"]].drop_duplicates("customer_id")
    out = frame.merge(cells, on="customer_id", how="left")
    return out.fillna({"segment_id": UNKNOWN, "branch_id": UNKNOWN}).astype(
        {"segment_id": "int64", "branch_id": "int64"}
    )


def forecast_uptake(
    scores: pd.DataFrame, groups: pd.DataFrame, config: ForecastConfig | None = None
) -> pd.DataFrame:
    """Expected take-up next quarter with an interval, per product, segment and branch.

    `scores`: customer_id, product_id, propensity (the six-month probability, customers
    not holding the product). `groups`: customer_id, segment_id, branch_id.
    Returns product_id, segment_id, branch_id, customers, expected, lower, upper.
    """
    config = config or ForecastConfig()
    q = quarter_probability(scores["propensity"], config.horizon_days, config.quarter_days)
    q = np.clip(q * config.level, 0.0, 1.0)
    frame = _with_cells(scores[["customer_id", "product_id"]], groups)
    frame = frame.assign(q=q, v=q * (1 - q), t=q * (1 - q) * (1 - 2 * q))
    cells = frame.groupby(CELL, as_index=False).agg(
        customers=("q", "size"), expected=("q", "sum"), v=("v", "sum"), t=("t", "sum")
    )
    lower, upper = interval(cells["expected"], cells["v"], cells["t"], config.interval)
    return cells.assign(lower=lower, upper=upper).drop(columns=["v", "t"])


def interval(
    mean: pd.Series, variance: pd.Series, third: pd.Series, level: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Cornish-Fisher bounds of a Poisson-binomial count, clipped at 0 and around the mean."""
    m = mean.to_numpy(dtype=np.float64)
    sd = np.sqrt(variance.to_numpy(dtype=np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        skew = np.where(sd > 0, third.to_numpy(dtype=np.float64) / sd**3, 0.0)
    z = float(norm.ppf(0.5 + level / 2))

    def quantile(zz: float) -> npt.NDArray[np.float64]:
        return np.asarray(m + sd * (zz + skew * (zz * zz - 1) / 6), dtype=np.float64)

    lower = np.clip(np.minimum(quantile(-z), m), 0.0, None)
    upper = np.maximum(quantile(z), m)
    return lower, upper


def observed_uptake(
    accounts: pd.DataFrame, groups: pd.DataFrame, start: date, end: date, name: str = "opened"
) -> pd.DataFrame:
    """Holdings opened in (start, end] per product, segment and branch: column `name`."""
    opened = _with_cells(openings(accounts, start, end), groups)
    return opened.groupby(CELL, as_index=False).size().rename(columns={"size": name})


def demand_forecast(
    scores: pd.DataFrame,
    groups: pd.DataFrame,
    accounts: pd.DataFrame,
    as_of: date,
    config: ForecastConfig | None = None,
) -> pd.DataFrame:
    """The forecast for the quarter after `as_of` next to the observed openings of the last
    quarter and of the same quarter a year before; cells missing on one side get 0."""
    config = config or ForecastConfig()
    quarter = timedelta(days=config.quarter_days)
    year = timedelta(days=YEAR_DAYS)
    table = forecast_uptake(scores, groups, config)
    for name, end in (("opened_last_quarter", as_of), ("opened_year_ago", as_of - year + quarter)):
        observed = observed_uptake(accounts, groups, end - quarter, end, name)
        table = table.merge(observed, on=CELL, how="outer")
    counts = ["customers", "opened_last_quarter", "opened_year_ago"]
    table = table.fillna({c: 0 for c in [*counts, "expected", "lower", "upper"]})
    return table.astype({c: "int64" for c in counts}).sort_values(CELL, ignore_index=True)


@dataclass
class Backtest:
    cells: pd.DataFrame  # CELL, customers, expected, lower, upper, actual, naive
    products: pd.DataFrame  # product_id, expected, actual, naive, error (expected / actual - 1)
    wape: float  # sum |expected - actual| / sum actual over cells
    naive_wape: float  # the same for "same as the quarter before"
    bias: float  # sum expected / sum actual - 1
    coverage: float  # share of cells whose actual count lies within [lower, upper]


def backtest_forecast(
    scores_then: pd.DataFrame,
    groups: pd.DataFrame,
    accounts: pd.DataFrame,
    made_on: date,
    config: ForecastConfig | None = None,
) -> Backtest:
    """Score as of `made_on` (with models trained on data up to that day), forecast the
    quarter after it and compare with what the scored (customer, product) pairs opened.
    The naive forecast of a cell is the openings of the quarter before `made_on` by the
    same customers (whoever held the product by then is no longer a candidate, so it is
    the take-up a "same as last quarter" planner would assume)."""
    config = config or ForecastConfig()
    quarter = timedelta(days=config.quarter_days)
    cells = forecast_uptake(scores_then, groups, config)
    pairs = _with_cells(scores_then[["customer_id", "product_id"]], groups)
    opened = openings(accounts, made_on, made_on + quarter)
    hit = np.isin(
        pair_key(pairs["customer_id"], pairs["product_id"]),
        pair_key(opened["customer_id"], opened["product_id"]),
    )
    before = openings(accounts, made_on - quarter, made_on)
    before = before.loc[
        before["customer_id"].isin(scores_then["customer_id"])
        & before["product_id"].isin(scores_then["product_id"])
    ]
    for name, rows in (("actual", pairs.loc[hit]), ("naive", _with_cells(before, groups))):
        counted = rows.groupby(CELL, as_index=False).size().rename(columns={"size": name})
        cells = cells.merge(counted, on=CELL, how="outer")
    cells = cells.fillna(
        {c: 0 for c in ("customers", "expected", "lower", "upper", "actual", "naive")}
    )
    cells = cells.astype({"customers": "int64", "actual": "int64", "naive": "int64"})
    actual = float(cells["actual"].sum())
    products = cells.groupby("product_id", as_index=False)[["expected", "actual", "naive"]].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        products["error"] = products["expected"] / products["actual"] - 1
    inside = (cells["actual"] >= np.floor(cells["lower"])) & (
        cells["actual"] <= np.ceil(cells["upper"])
    )
    return Backtest(
        cells=cells,
        products=products,
        wape=float((cells["expected"] - cells["actual"]).abs().sum() / actual)
        if actual
        else np.nan,
        naive_wape=float((cells["naive"] - cells["actual"]).abs().sum() / actual)
        if actual
        else np.nan,
        bias=float(cells["expected"].sum() / actual - 1) if actual else np.nan,
        coverage=float(inside.mean()) if len(cells) else np.nan,
    )
