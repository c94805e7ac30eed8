"""Lifetime value in the pipeline: RFM in weeks from the features, value per activity from
the contribution, BG/NBD and Gamma-Gamma (per value band) and CLV with an interval."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from bankcrm.analytics import clv, tiers
from bankcrm.analytics.policy import Policy
from bankcrm.kit.errors import UserError

WEEKS_PER_YEAR = 52
GG_FIT_CAP_QUANTILE = 0.99
MIN_GG_CUSTOMERS = 20


def _rfm(features: pd.DataFrame) -> tuple[Any, Any, Any]:
    """Repeat active weeks, recency and age in weeks over the 52-week window."""
    weeks = features["active_weeks_12m"].to_numpy(dtype=float)
    first = features["first_active_week"].to_numpy(dtype=float)
    last = features["last_active_week"].to_numpy(dtype=float)
    active = weeks > 0
    frequency = np.where(active, np.maximum(weeks - 1, 0), 0.0)
    t_big = np.where(active, first + 1, WEEKS_PER_YEAR)
    recency = np.where(active & (frequency > 0), first - last, 0.0)
    return frequency, recency, t_big


def _value_per_activity(features: pd.DataFrame, contribution: npt.NDArray[np.float64]) -> Any:
    """Contribution per active week, at today's run rate of deposit balances (0.5x to 2x)."""
    weeks = np.maximum(features["active_weeks_12m"].to_numpy(dtype=float), 1.0)
    now = features["deposit_balance"].to_numpy(dtype=float)
    average = features["avg_deposit_balance_12m"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        run_rate = np.where(average > 0, np.clip(now / average, 0.5, 2.0), 1.0)
    return contribution / weeks * np.where(contribution > 0, run_rate, 1.0)


def lifetime_values(
    features: pd.DataFrame, contribution: npt.NDArray[np.float64], policy: Policy
) -> dict[str, Any]:
    """BG/NBD on active weeks; Gamma-Gamma on value per active week, fitted per value band.

    Value per activity spans orders of magnitude from mass retail to corporates: one
    Gamma-Gamma over all of it has an infinite population mean (q < 1). Within a band the
    spread is narrow enough; a band whose fit still has q <= 1 is refitted with values
    capped at its 99th percentile.
    """
    frequency, recency, t_big = _rfm(features)
    value = _value_per_activity(features, contribution)
    bg = clv.fit_bgnbd(frequency, recency, t_big)
    life = policy.lifetime
    horizon = round(life.horizon_months * WEEKS_PER_YEAR / 12)
    weekly_rate = (1 + life.annual_discount_rate / 100) ** (1 / WEEKS_PER_YEAR) - 1
    n = len(value)
    point, low, high = np.zeros(n), np.zeros(n), np.zeros(n)
    bands = tiers.value_bands(contribution, policy.tiering)
    gg_fits: dict[str, dict[str, float]] = {}
    pooled: clv.GammaGammaFit | None = None
    for index, band in enumerate(tiers.BANDS):
        rows = np.flatnonzero(bands == band)
        if rows.size == 0:
            continue
        if _fit_rows(frequency[rows], value[rows]) >= MIN_GG_CUSTOMERS:
            gg = _fit_gamma_gamma(frequency[rows], value[rows])
        else:  # a small bank's top band: too few customers for a fit of its own
            pooled = pooled or _fit_gamma_gamma(frequency, value)
            gg = pooled
        gg_fits[band] = {k: round(getattr(gg, k), 6) for k in ("p", "q", "gamma")}
        interval = clv.clv_with_interval(
            bg,
            gg,
            frequency[rows],
            recency[rows],
            t_big[rows],
            value[rows],
            horizon,
            weekly_rate,
            level=life.interval_level,
            seed=index,
        )
        point[rows], low[rows], high[rows] = interval.point, interval.low, interval.high
    return {
        "p_alive": bg.probability_alive(frequency, recency, t_big),
        "expected_activity": bg.expected_purchases(horizon, frequency, recency, t_big),
        "clv": point,
        "clv_low": low,
        "clv_high": high,
        "forward_value": point / (life.horizon_months / 12),
        "fits": {
            "bgnbd": {k: round(getattr(bg, k), 6) for k in ("r", "alpha", "a", "b")},
            "gamma_gamma_by_band": gg_fits,
            "horizon_weeks": horizon,
        },
    }


def _fit_rows(frequency: Any, value: Any) -> int:
    return int(((frequency > 0) & (value > 0)).sum())


def _fit_gamma_gamma(frequency: Any, value: Any) -> clv.GammaGammaFit:
    rows = (frequency > 0) & (value > 0)
    if rows.sum() < MIN_GG_CUSTOMERS:
        raise UserError(
            f"too few repeat customers with positive value ({int(rows.sum())}) to fit "
            f"Gamma-Gamma (need {MIN_GG_CUSTOMERS})"
        )
    x, m = frequency[rows], value[rows]
    gg = clv.fit_gamma_gamma(x, m)
    if gg.q <= 1:
        gg = clv.fit_gamma_gamma(x, np.minimum(m, np.quantile(m, GG_FIT_CAP_QUANTILE)))
    return gg
