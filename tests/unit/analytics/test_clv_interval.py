"""Per-customer CLV intervals (clv_with_interval): the simulation agrees with the analytic
expectation, the intervals cover realised future value on data simulated from the models, and
the special customers (no repeat purchase, zero or negative value) are handled as documented."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from bankcrm.analytics.clv import (
    BgNbdFit,
    GammaGammaFit,
    clv_with_interval,
    discounted_clv,
    fit_bgnbd,
    fit_gamma_gamma,
)
from bankcrm.analytics.clv_value import _simulate_alive

FloatArray = npt.NDArray[np.float64]

BG = BgNbdFit(r=0.9, alpha=6.0, a=0.6, b=4.0, log_likelihood=0.0)
GG = GammaGammaFit(p=4.0, q=5.0, gamma=30.0, log_likelihood=0.0)


def simulate_with_future(
    rng: np.random.Generator,
    n: int,
    bg: tuple[float, float, float, float],
    gg: tuple[float, float, float],
    horizon: int,
    discount: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Customers from the BG/NBD and Gamma-Gamma stories, T in whole weeks (20..60).

    Returns (x, t_x, T, m) observed up to T, and the realised discounted value of the
    purchases in (T, T + horizon], each discounted by its own period: (1 + d)^-ceil(t - T).
    """
    r, alpha, a, b = bg
    p_gg, q_gg, g_gg = gg
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    drop = rng.beta(a, b, size=n)
    nu = rng.gamma(q_gg, 1.0 / g_gg, size=n)
    t_big = rng.integers(20, 61, size=n).astype(np.float64)
    end = t_big + horizon
    now, x, tx = np.zeros(n), np.zeros(n), np.zeros(n)
    spent, future = np.zeros(n), np.zeros(n)
    idx = np.arange(n)
    while idx.size:
        now[idx] += rng.exponential(1.0 / lam[idx])
        idx = idx[now[idx] <= end[idx]]
        spend = rng.gamma(p_gg, 1.0 / nu[idx])
        past = now[idx] <= t_big[idx]
        seen = idx[past]
        x[seen] += 1
        tx[seen] = now[seen]
        spent[seen] += spend[past]
        ahead = idx[~past]
        future[ahead] += spend[~past] / (1.0 + discount) ** np.ceil(now[ahead] - t_big[ahead])
        idx = idx[rng.random(idx.size) >= drop[idx]]
    m = np.divide(spent, x, out=np.zeros(n), where=x > 0)
    return x, tx, t_big, m, future


def test_interval_covers_realised_future_value() -> None:
    """Fit on the observed part, predict the held-out horizon, count how often it is covered.

    Coverage of the closed interval is a little above the level because many customers have a
    point mass at 0 (dead, or no purchase in the horizon) that the interval [0, high] covers
    whole; the upper end alone is exceeded about (1 - level) / 2 of the time.
    """
    rng = np.random.default_rng(2024)
    x, tx, t_big, m, future = simulate_with_future(
        rng, 20_000, (2.0, 10.0, 0.6, 6.0), (4.0, 5.0, 30.0), horizon=26, discount=0.002
    )
    bg = fit_bgnbd(x, tx, t_big)
    gg = fit_gamma_gamma(x, m)
    res = clv_with_interval(bg, gg, x, tx, t_big, m, 26, 0.002, level=0.8, seed=1)
    covered = (future >= res.low) & (future <= res.high)
    assert 0.70 <= covered.mean() <= 0.91
    assert 0.07 <= np.mean(future > res.high) <= 0.13
    # Where the interval does not start at 0 there is no point mass to inflate coverage.
    strict = res.low > 0
    assert strict.sum() > 2000
    assert 0.72 <= covered[strict].mean() <= 0.88
    # The analytic point predicts the realised total without bias.
    assert res.point.sum() == pytest.approx(future.sum(), rel=0.05)


def test_point_is_discounted_clv_and_mostly_inside_its_interval() -> None:
    rng = np.random.default_rng(5)
    x, tx, t_big, m, _ = simulate_with_future(
        rng, 5000, (2.0, 10.0, 0.6, 6.0), (4.0, 5.0, 30.0), horizon=1, discount=0.0
    )
    res = clv_with_interval(BG, GG, x, tx, t_big, m, 52, 0.01, margin=0.3)
    expected = discounted_clv(BG, GG, x, tx, t_big, m, 52, 0.01, margin=0.3)
    np.testing.assert_allclose(res.point, expected, rtol=1e-12)
    assert np.all(res.low <= res.high)
    assert np.all(res.low >= 0)
    inside = (res.low <= res.point) & (res.point <= res.high)
    assert inside.mean() > 0.8
    # Outside only on the skewed side: the mean above the upper quantile, never below.
    assert np.all(res.point >= res.low)


@pytest.mark.parametrize("discount", [0.0, 0.01])
def test_simulated_draws_average_to_the_analytic_expectation(discount: float) -> None:
    """Given alive, mean discounted purchases = the 2F1 formula, and mean spend factor W
    = that times p / (p x + q - 1) (posterior mean spend per (gamma + x m))."""
    x = np.array([0.0, 1.0, 4.0, 12.0])
    t_big = np.array([10.0, 30.0, 52.0, 40.0])
    count, spend = _simulate_alive(
        np.random.default_rng(3), BG, GG, x, t_big, 26, discount, draws=400_000
    )
    expected = BG._discounted_alive_purchases(x, t_big, 26, discount)
    np.testing.assert_allclose(count.mean(axis=1), expected, rtol=0.01)
    spend_factor = GG.p / (GG.p * x + GG.q - 1.0)
    np.testing.assert_allclose(spend.mean(axis=1), expected * spend_factor, rtol=0.015)


def test_interval_narrows_with_level_and_is_reproducible() -> None:
    x = np.array([0.0, 3.0, 10.0, 10.0])
    tx = np.array([0.0, 20.0, 50.0, 51.0])
    t_big = np.array([30.0, 40.0, 52.0, 52.0])
    m = np.array([0.0, 25.0, 40.0, 40.0])
    wide = clv_with_interval(BG, GG, x, tx, t_big, m, 26, 0.005, level=0.95, seed=7)
    narrow = clv_with_interval(BG, GG, x, tx, t_big, m, 26, 0.005, level=0.5, seed=7)
    again = clv_with_interval(BG, GG, x, tx, t_big, m, 26, 0.005, level=0.95, seed=7)
    assert np.all(wide.low <= narrow.low)
    assert np.all(wide.high >= narrow.high)
    assert np.all(wide.high > wide.low)
    for a, b in zip(wide, again, strict=True):
        np.testing.assert_array_equal(a, b)


def test_zero_frequency_uses_population_spend_whatever_m_says() -> None:
    """x = 0: spend comes from the Gamma-Gamma prior; m (0 or anything else) is not used."""
    args = ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [20.0, 20.0, 20.0])
    res = clv_with_interval(BG, GG, *args, [0.0, 55.0, -3.0], 26, 0.0)
    for arr in res:
        assert arr[0] == arr[1] == arr[2]
    assert 0 <= res.low[0] < res.point[0] < res.high[0]
    population = GG.p * GG.gamma / (GG.q - 1)
    expected = BG.expected_purchases(26.0, *([v[:1] for v in args]))[0] * population
    assert res.point[0] == pytest.approx(expected, rel=1e-10)


def test_negative_or_zero_value_uses_activity_scaled_by_own_mean() -> None:
    """x > 0 with m <= 0 is outside Gamma-Gamma: point and interval are m times the
    discounted purchase count; negative m turns the interval over."""
    x = np.array([5.0, 5.0, 5.0, 5.0])
    tx = np.array([40.0, 40.0, 40.0, 40.0])
    t_big = np.array([45.0, 45.0, 45.0, 45.0])
    m = np.array([-10.0, -20.0, 0.0, 15.0])
    res = clv_with_interval(BG, GG, x, tx, t_big, m, 26, 0.0, margin=2.0)
    purchases = BG.expected_purchases(26.0, x, tx, t_big)
    np.testing.assert_allclose(res.point[:3], m[:3] * 2.0 * purchases[:3], rtol=1e-12)
    assert res.low[0] < res.high[0] <= 0.0
    assert res.low[1] == pytest.approx(2 * res.low[0])
    assert res.high[1] == pytest.approx(2 * res.high[0])
    assert res.low[2] == res.high[2] == res.point[2] == 0.0
    assert res.point[3] > 0 and res.high[3] > 0


def test_customer_almost_surely_gone_has_a_zero_interval() -> None:
    """P(alive) far below (1 - level) / 2: both ends are 0 while the mean is still positive."""
    res = clv_with_interval(BG, GG, [30.0], [5.0], [100.0], [20.0], 26, 0.0)
    alive = BG.probability_alive([30.0], [5.0], [100.0])[0]
    assert alive < 1e-6
    assert res.low[0] == res.high[0] == 0.0
    assert 0.0 < res.point[0] < 1.0


def test_negative_margin_keeps_low_below_high() -> None:
    res = clv_with_interval(BG, GG, [3.0, 0.0], [20.0, 0.0], [30.0, 30.0], [40.0, 0.0], 26, 0.0)
    neg = clv_with_interval(
        BG, GG, [3.0, 0.0], [20.0, 0.0], [30.0, 30.0], [40.0, 0.0], 26, 0.0, margin=-1.0
    )
    np.testing.assert_allclose(neg.point, -res.point)
    np.testing.assert_allclose(neg.low, -res.high)
    np.testing.assert_allclose(neg.high, -res.low)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": 1.0}, "level must be in"),
        ({"level": 0.0}, "level must be in"),
        ({"draws": 1}, "draws must be an integer >= 2"),
        ({"draws": 10.5}, "draws must be an integer"),
        ({"horizon_periods": 0}, "horizon_periods must be >= 1"),
        ({"discount_rate_per_period": -1.0}, "discount_rate_per_period must be > -1"),
        ({"margin": float("nan")}, "margin must be finite"),
        ({"monetary_value": [1.0, float("inf")]}, "monetary_value contains NaN"),
        ({"monetary_value": [1.0]}, "lengths differ"),
        ({"recency": [1.0, 9.0]}, "recency > T"),
    ],
)
def test_clv_with_interval_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "frequency": [1.0, 2.0],
        "recency": [1.0, 2.0],
        "T": [5.0, 5.0],
        "monetary_value": [1.0, 2.0],
        "horizon_periods": 10,
        "discount_rate_per_period": 0.01,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        clv_with_interval(BG, GG, **args)  # type: ignore[arg-type]


def test_q_at_most_one_has_no_expected_value() -> None:
    heavy = GammaGammaFit(p=2.0, q=0.9, gamma=5.0, log_likelihood=0.0)
    with pytest.raises(ValueError, match="needs q > 1"):
        clv_with_interval(BG, heavy, [1.0], [1.0], [5.0], [3.0], 10, 0.0)
