"""Tests for the BG/NBD and Gamma-Gamma CLV models.

Likelihoods are checked against a direct per-customer evaluation with math.lgamma, and the
fitters against parameter recovery on data simulated from the models' own generative story.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from bankcrm.analytics.clv import (
    BgNbdFit,
    GammaGammaFit,
    bgnbd_log_likelihood,
    discounted_clv,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)

FloatArray = npt.NDArray[np.float64]

# (frequency, recency, T): zero, small and large frequencies, recency at 0 and at T.
CUSTOMERS: list[tuple[float, float, float]] = [
    (0, 0, 10),
    (0, 0, 52),
    (0, 0, 0.5),
    (1, 3.5, 10),
    (1, 10, 10),
    (2, 20.1, 52),
    (3, 50, 52),
    (4, 1.0, 40),
    (5, 30.7, 31),
    (7, 12, 52),
    (10, 45.2, 52),
    (15, 51.9, 52),
    (25, 26, 60),
    (40, 78.5, 80),
    (1, 0.01, 100),
    (2, 99.9, 100),
    (6, 6, 6),
    (12, 3.3, 70),
    (60, 100, 104),
    (0, 0, 104),
]
BGNBD_PARAMS = [(0.25, 4.0, 0.8, 2.5), (1.3, 0.5, 2.2, 0.7), (0.05, 30.0, 0.1, 9.0)]
GG_PARAMS = [(6.0, 4.0, 15.0), (0.7, 1.2, 0.3), (20.0, 2.5, 400.0)]
MONETARY = [5.0, 12.3, 0.4, 100.0, 33.3, 7.7, 1500.0, 2.2, 64.0, 19.9]


def direct_bgnbd(
    r: float, alpha: float, a: float, b: float, x: float, tx: float, t: float
) -> float:
    """BG/NBD likelihood exactly as printed in the paper, one customer at a time."""

    def lbeta(u: float, v: float) -> float:
        return math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)

    nbd = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
    first = math.exp(lbeta(a, b + x) - lbeta(a, b) + nbd - (r + x) * math.log(alpha + t))
    second = 0.0
    if x > 0:
        second = math.exp(
            lbeta(a + 1, b + x - 1) - lbeta(a, b) + nbd - (r + x) * math.log(alpha + tx)
        )
    return math.log(first + second)


def direct_gg(p: float, q: float, g: float, x: float, m: float) -> float:
    return (
        math.lgamma(p * x + q)
        - math.lgamma(p * x)
        - math.lgamma(q)
        + q * math.log(g)
        + (p * x - 1) * math.log(m)
        + p * x * math.log(x)
        - (p * x + q) * math.log(g + m * x)
    )


def rft() -> tuple[FloatArray, FloatArray, FloatArray]:
    arr = np.array(CUSTOMERS, dtype=np.float64)
    return arr[:, 0], arr[:, 1], arr[:, 2]


@pytest.mark.parametrize("params", BGNBD_PARAMS)
def test_bgnbd_log_likelihood_matches_direct_evaluation(
    params: tuple[float, float, float, float],
) -> None:
    x, tx, t = rft()
    expected = [direct_bgnbd(*params, *c) for c in CUSTOMERS]
    np.testing.assert_allclose(
        bgnbd_log_likelihood(params, x, tx, t), expected, rtol=1e-9, atol=1e-9
    )


@pytest.mark.parametrize("params", GG_PARAMS)
def test_gamma_gamma_log_likelihood_matches_direct_evaluation(
    params: tuple[float, float, float],
) -> None:
    x = np.array([c[0] for c in CUSTOMERS if c[0] > 0])
    m = np.array([MONETARY[i % len(MONETARY)] for i in range(x.size)])
    expected = [direct_gg(*params, xi, mi) for xi, mi in zip(x, m, strict=True)]
    np.testing.assert_allclose(
        gamma_gamma_log_likelihood(params, x, m), expected, rtol=1e-9, atol=1e-9
    )


def simulate_bgnbd(
    rng: np.random.Generator, n: int, r: float, alpha: float, a: float, b: float, horizon: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Simulate the BG/NBD story, vectorised over customers and looped over purchases."""
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    now = np.zeros(n)
    frequency = np.zeros(n)
    recency = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while np.any(active):
        idx = np.flatnonzero(active)
        now[idx] += rng.exponential(1.0 / lam[idx])
        bought = now[idx] <= horizon
        buyers = idx[bought]
        frequency[buyers] += 1
        recency[buyers] = now[buyers]
        active[idx[~bought]] = False
        active[buyers[rng.random(buyers.size) < p[buyers]]] = False
    return frequency, recency, np.full(n, horizon)


TRUE_BGNBD = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
TRUE_GG = {"p": 6.0, "q": 4.0, "gamma": 15.0}
REL_TOL = 0.15


def test_fit_bgnbd_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(20240601)
    x, tx, t = simulate_bgnbd(rng, 20_000, 0.25, 4.0, 0.8, 2.5, horizon=52.0)
    fit = fit_bgnbd(x, tx, t)
    for name, true in TRUE_BGNBD.items():
        assert getattr(fit, name) == pytest.approx(true, rel=REL_TOL), name
    true_ll = float(np.sum(bgnbd_log_likelihood(list(TRUE_BGNBD.values()), x, tx, t)))
    assert fit.log_likelihood >= true_ll - 1e-6
    refit = [fit.r, fit.alpha, fit.a, fit.b]
    assert float(np.sum(bgnbd_log_likelihood(refit, x, tx, t))) == pytest.approx(
        fit.log_likelihood, rel=1e-12
    )


def test_fit_gamma_gamma_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(7)
    n = 20_000
    nu = rng.gamma(TRUE_GG["q"], 1.0 / TRUE_GG["gamma"], size=n)
    x = 1 + rng.poisson(3.0, size=n)
    values = rng.gamma(TRUE_GG["p"], 1.0 / np.repeat(nu, x))
    m = np.add.reduceat(values, np.concatenate(([0], np.cumsum(x)[:-1]))) / x
    # Zero-frequency customers must be ignored by the fit.
    x_all = np.concatenate((x, np.zeros(50))).astype(np.float64)
    m_all = np.concatenate((m, np.zeros(50)))
    fit = fit_gamma_gamma(x_all, m_all)
    for name, true in TRUE_GG.items():
        assert getattr(fit, name) == pytest.approx(true, rel=REL_TOL), name
    true_ll = float(np.sum(gamma_gamma_log_likelihood(list(TRUE_GG.values()), x, m)))
    assert fit.log_likelihood >= true_ll - 1e-6


BG = BgNbdFit(r=0.25, alpha=4.0, a=0.8, b=2.5, log_likelihood=0.0)
GG = GammaGammaFit(p=6.0, q=4.0, gamma=15.0, log_likelihood=0.0)


def test_probability_alive_is_one_without_repeat_purchases() -> None:
    alive = BG.probability_alive([0, 0, 0], [0, 0, 0], [1.0, 52.0, 500.0])
    np.testing.assert_array_equal(alive, [1.0, 1.0, 1.0])


def test_probability_alive_decreases_with_time_since_last_purchase() -> None:
    t = np.array([10.0, 20.0, 40.0, 80.0, 160.0])
    alive = BG.probability_alive(np.full(5, 3.0), np.full(5, 10.0), t)
    assert np.all(np.diff(alive) < 0)
    assert np.all((alive > 0) & (alive <= 1))


def test_expected_purchases_increases_with_horizon() -> None:
    x, tx, t = rft()
    horizons = [0.0, 1.0, 5.0, 26.0, 52.0, 104.0]
    values = np.array([BG.expected_purchases(h, x, tx, t) for h in horizons])
    np.testing.assert_array_equal(values[0], 0.0)
    assert np.all(np.diff(values, axis=0) > 0)


def test_expected_purchases_matches_direct_series_for_new_customer() -> None:
    """At x = t_x = T = 0 the conditional formula is the unconditional E[X(t)] (paper eq. 9)."""
    r, alpha, a, b = 0.25, 4.0, 0.8, 2.5
    t = 3.0
    z = t / (alpha + t)
    series, term = 1.0, 1.0
    for k in range(2000):
        term *= (r + k) * (b + k) / ((a + b - 1 + k) * (k + 1)) * z
        series += term
    expected = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * series)
    got = BG.expected_purchases(t, [0], [0], [0])
    assert got[0] == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(
    ("x", "tx", "big_t", "t"), [(3, 30.0, 52.0, 10.0), (12, 50.0, 52.0, 20.0), (1, 5.0, 10.0, 3.0)]
)
def test_expected_purchases_matches_paper_formula_with_direct_series(
    x: int, tx: float, big_t: float, t: float
) -> None:
    """Paper eq. 10 with the untransformed 2F1(r+x, b+x; a+b+x-1; z) series, for repeat buyers."""
    r, alpha, a, b = 0.25, 4.0, 0.8, 2.5
    z = t / (alpha + big_t + t)
    series, term = 1.0, 1.0
    for k in range(5000):
        term *= (r + x + k) * (b + x + k) / ((a + b + x - 1 + k) * (k + 1)) * z
        series += term
    alive = 1 / (1 + a / (b + x - 1) * ((alpha + big_t) / (alpha + tx)) ** (r + x))
    bracket = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * series
    expected = (a + b + x - 1) / (a - 1) * bracket * alive
    assert BG.expected_purchases(t, [x], [tx], [big_t])[0] == pytest.approx(expected, rel=1e-10)


def test_expected_average_value_shrinks_toward_population_mean() -> None:
    population = GG.p * GG.gamma / (GG.q - 1)
    values = GG.expected_average_value([0, 1, 50], [0.0, 100.0, 100.0])
    assert values[0] == pytest.approx(population)
    assert population < values[1] < values[2] < 100.0


def test_discounted_clv_is_positive_and_falls_with_discount_rate() -> None:
    x, tx, t = rft()
    m = np.where(x > 0, 20.0, 0.0)
    low = discounted_clv(BG, GG, x, tx, t, m, horizon_periods=52, discount_rate_per_period=0.001)
    high = discounted_clv(BG, GG, x, tx, t, m, horizon_periods=52, discount_rate_per_period=0.01)
    assert np.all(low > 0)
    assert np.all(high < low)
    undiscounted = discounted_clv(BG, GG, x, tx, t, m, 52, 0.0, margin=0.5)
    expected = BG.expected_purchases(52.0, x, tx, t) * GG.expected_average_value(x, m) * 0.5
    np.testing.assert_allclose(undiscounted, expected, rtol=1e-10)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([], [], []), "empty"),
        (([1, 2], [1.0], [5.0, 5.0]), "lengths differ"),
        (([1, -1], [1.0, 0.0], [5.0, 5.0]), "frequency contains negative"),
        (([1], [-1.0], [5.0]), "recency contains negative"),
        (([1], [6.0], [5.0]), "recency > T"),
        (([0], [2.0], [5.0]), "recency must be 0 when frequency is 0"),
        (([1], [float("nan")], [5.0]), "NaN"),
    ],
)
def test_bgnbd_rejects_bad_input(args: tuple[list[float], ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_bgnbd(*args)
    with pytest.raises(ValueError, match=message):
        BG.probability_alive(*args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([], []), "empty"),
        (([1, 2], [3.0]), "lengths differ"),
        (([1], [-3.0]), "monetary_value contains negative"),
        (([0, 0], [0.0, 0.0]), "no customers with frequency > 0"),
        (([2], [0.0]), "monetary_value must be > 0"),
    ],
)
def test_gamma_gamma_rejects_bad_input(args: tuple[list[float], ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_gamma_gamma(*args)


def test_log_likelihood_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="parameter alpha must be positive"):
        bgnbd_log_likelihood([1.0, -1.0, 1.0, 1.0], [1], [1.0], [2.0])
    with pytest.raises(ValueError, match="expected 3 parameters"):
        gamma_gamma_log_likelihood([1.0, 1.0], [1], [1.0])
    with pytest.raises(ValueError, match="frequency must be > 0"):
        gamma_gamma_log_likelihood([1.0, 1.0, 1.0], [0], [1.0])


def test_discounted_clv_rejects_bad_horizon() -> None:
    with pytest.raises(ValueError, match="horizon_periods must be >= 1"):
        discounted_clv(BG, GG, [1], [1.0], [2.0], [5.0], 0, 0.01)
