"""Discounted customer lifetime value from fitted BG/NBD and Gamma-Gamma models: the
analytic expectation and a predictive interval by simulation (docs/models.md)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt

from bankcrm.analytics.clv_inputs import (
    FloatArray,
    IntArray,
    as_1d,
    check_horizon,
    check_lengths,
    unique_rows,
    validate_rft,
)

if TYPE_CHECKING:
    from bankcrm.analytics.clv import BgNbdFit, GammaGammaFit

# clv_with_interval simulates this many (group, draw) cells at a time (about 8 MB an array).
_CHUNK_DRAWS = 1_000_000


# --------------------------------------------------------------------------- CLV


def _discounted_purchases(
    bgnbd: BgNbdFit,
    x: FloatArray,
    tx: FloatArray,
    t_big: FloatArray,
    horizon_periods: int,
    discount: float,
) -> tuple[FloatArray, FloatArray, list[FloatArray], IntArray]:
    """Discounted expected purchases per customer, P(alive), and the (x, T) groups.

    Given alive, the expectation depends on (x, T) only, so the 2F1 series are evaluated once
    per distinct (x, T) pair; t_x enters through P(alive). Returns (discounted expected
    purchases, P(alive), [group x, group T], group index of each customer).
    """
    (gx, gt), _, inverse = unique_rows(x, t_big)
    per_group = bgnbd._discounted_alive_purchases(gx, gt, horizon_periods, discount)
    alive = bgnbd._p_alive(x, tx, t_big)
    return per_group[inverse] * alive, alive, [gx, gt], inverse


def discounted_clv(
    bgnbd: BgNbdFit,
    gg: GammaGammaFit,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary_value: npt.ArrayLike,
    horizon_periods: int,
    discount_rate_per_period: float,
    margin: float = 1.0,
) -> FloatArray:
    """Discounted CLV per customer over ``horizon_periods`` periods.

    Sum over k = 1..H of (E[Y(k)] - E[Y(k-1)]) * E[spend] * margin / (1 + d)^k: transactions are
    bucketed by period so each period's value can be discounted.
    """
    x, tx, t_big = validate_rft(frequency, recency, T)
    m = as_1d("monetary_value", monetary_value)
    check_lengths(frequency=x, monetary_value=m)
    check_horizon(horizon_periods, discount_rate_per_period, margin)
    value = gg.expected_average_value(x, m) * margin
    purchases, _, _, _ = _discounted_purchases(
        bgnbd, x, tx, t_big, horizon_periods, discount_rate_per_period
    )
    return np.asarray(purchases * value, dtype=np.float64)


class ClvInterval(NamedTuple):
    """Per-customer discounted CLV: analytic mean and an equal-tailed predictive interval."""

    point: FloatArray
    low: FloatArray
    high: FloatArray


def _mean_discount(u: FloatArray, v: float) -> FloatArray:
    """(1/u) * integral over (0, u] of v^ceil(s) ds: mean period discount of a uniform time."""
    k = np.floor(u)
    frac = u - k
    if v == 1.0:
        return np.ones_like(u)
    integral = v * (1.0 - v**k) / (1.0 - v) + frac * v ** (k + 1.0)
    return np.asarray(integral / np.maximum(u, 1e-300), dtype=np.float64)


def _simulate_alive(
    rng: np.random.Generator,
    bgnbd: BgNbdFit,
    gg: GammaGammaFit,
    x: FloatArray,
    t_big: FloatArray,
    horizon_periods: int,
    discount: float,
    draws: int,
) -> tuple[FloatArray, FloatArray]:
    """Posterior predictive draws for customers alive at T, one row per (x, T) group.

    Returns (C, W), each of shape (groups, draws): C is the discounted number of future
    purchases; W is the discounted future spend divided by (gamma + x m), which makes its
    distribution depend on (x, T) only.
    """
    shape = (x.size, draws)
    xc = x[:, None]
    horizon = float(horizon_periods)
    v = 1.0 / (1.0 + discount)
    # Posterior given alive at T: lambda ~ Gamma(r + x, alpha + T), p ~ Beta(a, b + x).
    rate = (bgnbd.alpha + t_big)[:, None]
    lam = rng.standard_gamma(np.broadcast_to(bgnbd.r + xc, shape)) / rate
    p = rng.beta(bgnbd.a, np.broadcast_to(bgnbd.b + xc, shape))
    # The purchase after which the customer drops out comes at rate lambda p; before it,
    # purchases that keep the customer come at rate lambda (1 - p).
    death_rate = lam * p
    expo = rng.standard_exponential(shape)
    tau = np.full(shape, np.inf)
    with np.errstate(over="ignore"):  # a tiny dropout rate: the customer outlives the horizon
        np.divide(expo, death_rate, out=tau, where=death_rate > 0)
    died = tau <= horizon
    u = np.minimum(tau, horizon)
    kept = rng.poisson(lam * (1.0 - p) * u)
    # Purchases that keep the customer fall uniformly in (0, u]: each is given the mean
    # discount over (0, u]; the last purchase, at tau, is discounted by its own period.
    mean_disc = _mean_discount(u, v)
    death_disc = np.where(died, v ** np.ceil(np.minimum(tau, horizon)), 0.0)
    count = kept * mean_disc + death_disc
    # Spend: e ~ Gamma(p_gg, 1) per purchase, divided by nu; the posterior nu ~
    # Gamma(p_gg x + q, gamma + x m) is G / (gamma + x m) with G ~ Gamma(p_gg x + q, 1).
    spend_kept = rng.standard_gamma(kept * gg.p)
    spend_last = rng.standard_gamma(gg.p, size=shape) * died
    nu_shape = rng.standard_gamma(np.broadcast_to(gg.p * xc + gg.q, shape))
    spend = (spend_kept * mean_disc + spend_last * death_disc) / nu_shape
    return count, np.asarray(spend, dtype=np.float64)


def _mixture_quantile(sorted_draws: FloatArray, rows: IntArray, level: FloatArray) -> FloatArray:
    """Quantile at ``level`` of (1 - P) * point mass at 0 + P * (empirical draws of a row).

    ``level`` is already mapped to the alive part, q' = (q - (1 - P)) / P; q' <= 0 gives 0.
    Linear interpolation between order statistics (numpy's default quantile method).
    """
    draws = sorted_draws.shape[1]
    pos = np.clip(level, 0.0, 1.0) * (draws - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, draws - 1)
    frac = pos - lo
    below = sorted_draws[rows, lo]
    value = below + frac * (sorted_draws[rows, hi] - below)
    return np.asarray(np.where(level > 0, value, 0.0), dtype=np.float64)


def clv_with_interval(
    bgnbd: BgNbdFit,
    gg: GammaGammaFit,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary_value: npt.ArrayLike,
    horizon_periods: int,
    discount_rate_per_period: float,
    *,
    margin: float = 1.0,
    level: float = 0.8,
    draws: int = 200,
    seed: int = 0,
) -> ClvInterval:
    """Discounted CLV per customer with an equal-tailed predictive interval at ``level``.

    ``point`` is the analytic expectation (``discounted_clv``). The interval is the
    (1-level)/2 and (1+level)/2 quantiles of the customer's posterior predictive distribution
    of discounted future value: alive or not (P(alive)), then given alive the purchase rate
    lambda ~ Gamma(r+x, alpha+T), dropout p ~ Beta(a, b+x), the future purchases over the
    horizon with dropout after each, and each purchase's spend ~ Gamma(p_gg, nu) with
    nu ~ Gamma(p_gg x + q, gamma + x m). Given alive this distribution depends on the
    customer only through (x, T) and the scale (gamma + x m), so ``draws`` draws are simulated
    once per distinct (x, T) pair and shared by the customers with that pair; the point mass
    at 0 of dead customers is added exactly.

    Customers with x = 0 get the Gamma-Gamma population prior for spend (their m is not
    used). Customers with x > 0 and m <= 0 (refunds, fees) are outside the Gamma-Gamma model:
    their point and interval are m * margin times the discounted number of future purchases
    (BG/NBD activity only). Parameter uncertainty is not included: it is negligible next to a
    single customer's uncertainty when the models are fitted on many customers.
    """
    x, tx, t_big = validate_rft(frequency, recency, T)
    m = as_1d("monetary_value", monetary_value, allow_negative=True)
    check_lengths(frequency=x, monetary_value=m)
    check_horizon(horizon_periods, discount_rate_per_period, margin)
    if not (math.isfinite(level) and 0.0 < level < 1.0):
        raise ValueError(f"level must be in (0, 1), got {level}")
    if isinstance(draws, bool) or int(draws) != draws or draws < 2:
        raise ValueError(f"draws must be an integer >= 2, got {draws!r}")
    activity_only = (x > 0) & (m <= 0)
    purchases, alive, (gx, gt), group = _discounted_purchases(
        bgnbd, x, tx, t_big, horizon_periods, discount_rate_per_period
    )
    m_gg = np.where(activity_only, 1.0, m)
    value = np.where(activity_only, m, gg._expected_value(x, m_gg)) * margin
    point = purchases * value
    # Scale of each customer's alive-conditional draws, and which draws (C or W) apply.
    scale = np.where(activity_only, m, gg.gamma + x * m_gg) * margin
    tail = (1.0 - level) / 2.0
    alive_safe = np.maximum(alive, 1e-300)  # P(alive) may underflow to 0: q' is then < 0
    levels = [(q - (1.0 - alive)) / alive_safe for q in (tail, 1.0 - tail)]
    low = np.zeros_like(x)
    high = np.zeros_like(x)
    rng = np.random.default_rng(seed)
    order = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[order], np.arange(gx.size + 1))
    chunk = max(1, _CHUNK_DRAWS // int(draws))
    for g0 in range(0, gx.size, chunk):
        g1 = min(g0 + chunk, gx.size)
        count, spend = _simulate_alive(
            rng, bgnbd, gg, gx[g0:g1], gt[g0:g1], horizon_periods, discount_rate_per_period, draws
        )
        count.sort(axis=1)
        spend.sort(axis=1)
        idx = order[starts[g0] : starts[g1]]
        rows = group[idx] - g0
        ends = []
        for lv in levels:
            q_count = _mixture_quantile(count, rows, lv[idx])
            q_spend = _mixture_quantile(spend, rows, lv[idx])
            ends.append(np.where(activity_only[idx], q_count, q_spend) * scale[idx])
        low[idx] = np.minimum(ends[0], ends[1])
        high[idx] = np.maximum(ends[0], ends[1])
    return ClvInterval(point=np.asarray(point, dtype=np.float64), low=low, high=high)
