"""The scipy fitting machinery of the CLV models: the likelihood summed over distinct rows with
counts equals the per-customer sum, the analytic gradients match finite differences, the
optimiser's failures surface as ValueError, and a fit on a million customers works."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from scipy import optimize

from bankcrm.analytics import clv
from bankcrm.analytics.clv import (
    bgnbd_log_likelihood,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)
from bankcrm.analytics.clv_inputs import BgNbdData, GammaGammaData, unique_rows

FloatArray = npt.NDArray[np.float64]


def simulate_weekly(
    rng: np.random.Generator, n: int, params: tuple[float, float, float, float]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """BG/NBD customers with T in whole weeks (1..104) and purchase times in continuous time."""
    r, alpha, a, b = params
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    t_big = rng.integers(1, 105, size=n).astype(np.float64)
    now = np.zeros(n)
    x = np.zeros(n)
    tx = np.zeros(n)
    idx = np.arange(n)
    while idx.size:
        now[idx] += rng.exponential(1.0 / lam[idx])
        idx = idx[now[idx] <= t_big[idx]]
        x[idx] += 1
        tx[idx] = now[idx]
        idx = idx[rng.random(idx.size) >= p[idx]]
    return x, tx, t_big


def weekly_customers(seed: int, n: int) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Model customers as a CRM reports them: whole weeks and whole currency units, so many
    share an (x, t_x, T) triple. Includes x = 0, t_x = 0 with x > 0 and t_x = T rows."""
    rng = np.random.default_rng(seed)
    x, tx, t_big = simulate_weekly(rng, n, (0.5, 6.0, 0.7, 3.0))
    nu = rng.gamma(4.0, 1.0 / 60.0, size=n)
    spend = rng.gamma(3.0 * np.maximum(x, 1.0), 1.0 / nu) / np.maximum(x, 1.0)
    m = np.where(x > 0, np.round(spend) + 1.0, 0.0)
    return x, np.floor(tx), t_big, m


BG_THETAS = [
    np.log([0.25, 4.0, 0.8, 2.5]),
    np.log([3.0, 0.2, 0.05, 40.0]),
    np.log([0.02, 90.0, 7.0, 0.3]),
]
GG_THETAS = [np.log([6.0, 4.0, 15.0]), np.log([0.4, 1.3, 0.2]), np.log([40.0, 12.0, 900.0])]


def test_unique_rows_reconstructs_every_row() -> None:
    x, tx, t_big, _ = weekly_customers(1, 20_000)
    (ux, utx, ut), counts, inverse = unique_rows(x, tx, t_big)
    assert ux.size < x.size / 2  # weekly data really is compressible
    assert int(counts.sum()) == x.size
    np.testing.assert_array_equal(ux[inverse], x)
    np.testing.assert_array_equal(utx[inverse], tx)
    np.testing.assert_array_equal(ut[inverse], t_big)
    np.testing.assert_array_equal(np.bincount(inverse), counts)
    rows = set(zip(ux.tolist(), utx.tolist(), ut.tolist(), strict=True))
    assert len(rows) == ux.size


def test_unique_rows_survives_a_key_space_beyond_int64() -> None:
    """Four columns of 100,000 distinct values: 1e20 combinations, so the combined key is
    re-factorised on the way instead of overflowing."""
    rng = np.random.default_rng(2)
    cols = [rng.random(100_000) for _ in range(4)]
    cols[1][::2] = 0.5  # some structure, so not every row is trivially distinct
    uniq, counts, inverse = unique_rows(*cols)
    assert int(counts.sum()) == 100_000
    for u, col in zip(uniq, cols, strict=True):
        np.testing.assert_array_equal(u[inverse], col)
    assert uniq[0].size == len(set(zip(*(c.tolist() for c in cols), strict=True)))


@pytest.mark.parametrize("theta", BG_THETAS)
def test_bgnbd_weighted_unique_likelihood_equals_per_customer_sum(theta: FloatArray) -> None:
    x, tx, t_big, _ = weekly_customers(2, 20_000)
    data = BgNbdData.build(x, tx, t_big)
    assert data.x.size + data.t0.size < x.size / 2
    params = data.params(theta)
    full = math.fsum(bgnbd_log_likelihood(params, x, tx, t_big))
    assert -data.objective(theta)[0] * x.size == pytest.approx(full, rel=1e-12)


@pytest.mark.parametrize("theta", GG_THETAS)
def test_gamma_gamma_weighted_unique_likelihood_equals_per_customer_sum(
    theta: FloatArray,
) -> None:
    x, _, _, m = weekly_customers(3, 20_000)
    keep = x > 0
    data = GammaGammaData.build(x[keep], m[keep])
    assert data.s.size < keep.sum() / 2
    full = math.fsum(gamma_gamma_log_likelihood(data.params(theta), x[keep], m[keep]))
    assert -data.objective(theta)[0] * data.n == pytest.approx(full, rel=1e-12)


def central_difference(f: Any, theta: FloatArray, h: float = 1e-6) -> FloatArray:
    grad = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        grad[i] = (f(theta + step)[0] - f(theta - step)[0]) / (2 * h)
    return grad


@pytest.mark.parametrize("theta", BG_THETAS)
def test_bgnbd_gradient_matches_finite_differences(theta: FloatArray) -> None:
    x, tx, t_big, _ = weekly_customers(4, 3000)
    data = BgNbdData.build(x, tx, t_big)
    analytic = data.objective(theta)[1]
    numeric = central_difference(data.objective, theta)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("theta", GG_THETAS)
def test_gamma_gamma_gradient_matches_finite_differences(theta: FloatArray) -> None:
    x, _, _, m = weekly_customers(5, 3000)
    keep = x > 0
    data = GammaGammaData.build(x[keep], m[keep])
    analytic = data.objective(theta)[1]
    numeric = central_difference(data.objective, theta)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_fit_is_the_same_on_compressed_and_expanded_data() -> None:
    """Duplicating every customer k times doubles nothing but the log-likelihood."""
    x, tx, t_big, m = weekly_customers(6, 3000)
    once = fit_bgnbd(x, tx, t_big)
    thrice = fit_bgnbd(np.tile(x, 3), np.tile(tx, 3), np.tile(t_big, 3))
    for name in ("r", "alpha", "a", "b"):
        assert getattr(thrice, name) == pytest.approx(getattr(once, name), rel=1e-5), name
    assert thrice.log_likelihood == pytest.approx(3 * once.log_likelihood, rel=1e-10)
    gg_once = fit_gamma_gamma(x, m)
    gg_thrice = fit_gamma_gamma(np.tile(x, 3), np.tile(m, 3))
    for name in ("p", "q", "gamma"):
        assert getattr(gg_thrice, name) == pytest.approx(getattr(gg_once, name), rel=1e-5)


def test_fit_reaches_a_stationary_point() -> None:
    x, tx, t_big, m = weekly_customers(7, 5000)
    fit = fit_bgnbd(x, tx, t_big)
    data = BgNbdData.build(x, tx, t_big)
    theta = np.log([fit.r, fit.alpha / data.scale, fit.a, fit.b])
    assert np.max(np.abs(data.objective(theta)[1])) < 1e-6
    gg = fit_gamma_gamma(x, m)
    keep = x > 0
    gdata = GammaGammaData.build(x[keep], m[keep])
    gtheta = np.log([gg.p, gg.q, gg.gamma / gdata.scale])
    assert np.max(np.abs(gdata.objective(gtheta)[1])) < 1e-6


def test_optimiser_failure_raises_value_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def give_up(fun: Any, x0: FloatArray, **_: Any) -> optimize.OptimizeResult:
        x0 = x0 + 0.01  # moves, so the restart does not look stalled
        return optimize.OptimizeResult(x=x0, success=False, message="gave up")

    monkeypatch.setattr(clv.optimize, "minimize", give_up)
    x, tx, t_big, m = weekly_customers(8, 500)
    with pytest.raises(ValueError, match=r"BG/NBD maximum-likelihood fit did not converge.*gave"):
        fit_bgnbd(x, tx, t_big)
    with pytest.raises(ValueError, match="Gamma-Gamma maximum-likelihood fit did not converge"):
        fit_gamma_gamma(x, m)


def test_fit_on_a_flat_ridge_is_accepted() -> None:
    """Counts with no dropout heterogeneity: the likelihood rises toward a, b -> infinity
    (a / (a + b) fixed) and is flat there; the fit stops on the ridge instead of failing."""
    rng = np.random.default_rng(9)
    t_big = rng.integers(1, 30, size=3000).astype(np.float64)
    x = rng.poisson(rng.gamma(0.5, 0.1, size=3000) * t_big).astype(np.float64)
    tx = np.where(x > 0, np.floor(rng.random(3000) * (t_big + 1)), 0.0)
    fit = fit_bgnbd(x, tx, t_big)
    assert fit.a > 1e4
    assert fit.b > 1e4
    near = [fit.r, fit.alpha, fit.a / 10, fit.b / 10]
    assert fit.log_likelihood >= math.fsum(bgnbd_log_likelihood(near, x, tx, t_big)) - 1e-6


def test_fit_without_repeat_buyers_does_not_crash() -> None:
    """All x = 0: r / alpha -> 0 is the maximum; the fit ends at a bound, finite."""
    fit = fit_bgnbd(np.zeros(50), np.zeros(50), np.linspace(1.0, 30.0, 50))
    assert math.isfinite(fit.log_likelihood)
    assert fit.log_likelihood <= 0.0


@pytest.mark.slow
def test_fit_on_a_million_customers() -> None:
    """The size the benchmark times (benchmarks/bench_clv.py); here only that it works."""
    truth = (0.25, 4.0, 0.8, 2.5)
    x, tx, t_big = simulate_weekly(np.random.default_rng(11), 1_000_000, truth)
    fit = fit_bgnbd(x, tx, t_big)
    for got, true in zip((fit.r, fit.alpha, fit.a, fit.b), truth, strict=True):
        assert got == pytest.approx(true, rel=0.05)
    assert fit.log_likelihood >= float(np.sum(bgnbd_log_likelihood(truth, x, tx, t_big)))
