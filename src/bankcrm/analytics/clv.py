"""Customer lifetime value with the BG/NBD and Gamma-Gamma models.

BG/NBD (Fader, Hardie and Lee 2005, "Counting your customers the easy way") models how often a
customer transacts and when they silently drop out; Gamma-Gamma (Fader, Hardie and Lee 2005,
"RFM and CLV") models how much they spend per transaction. Together they give a discounted CLV
from nothing more than recency, frequency, age and mean spend, and a predictive interval for it.

Inputs follow the RFM convention: ``frequency`` is the number of *repeat* transactions,
``recency`` the time of the last transaction measured from the first (0 if ``frequency`` is 0),
``T`` the time since the first transaction, all in the same time unit.

Both models are fitted by maximum likelihood with scipy's L-BFGS-B on log-parameters and an
analytic gradient. The data are first reduced to unique (x, t_x, T) triples (Gamma-Gamma:
unique (x, m) pairs) with counts, so one likelihood evaluation costs the number of distinct
triples, not the number of customers. docs/models.md has the formulas.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

from bankcrm.analytics.clv_inputs import (
    BgNbdData,
    FloatArray,
    GammaGammaData,
    positive_params,
    validate_fm,
    validate_rft,
)
from bankcrm.analytics.clv_value import ClvInterval, clv_with_interval, discounted_clv

__all__ = [
    "BgNbdFit",
    "ClvInterval",
    "GammaGammaFit",
    "bgnbd_log_likelihood",
    "clv_with_interval",
    "discounted_clv",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_log_likelihood",
]

# Log-parameters are kept in [-B, B] (parameters within a factor e^20 of their scale): wide
# enough for any real fit, narrow enough that no intermediate overflows.
_LOG_BOUND = 20.0
# Multi-start: the optimiser is run from the best few of a small grid of starting points.
_MAX_STARTS = 3
# Accept an L-BFGS-B stop that it did not call converged when a restart from there changes
# the mean negative log-likelihood by at most this much (relative).
_F_ACCEPT = 1e-10


def _lbfgsb(
    objective: Callable[[FloatArray], tuple[float, FloatArray]], theta0: FloatArray
) -> tuple[FloatArray, float, bool, str]:
    res = optimize.minimize(
        objective,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND)] * theta0.size,
        options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-8, "maxcor": 20},
    )
    theta = np.asarray(res.x, dtype=np.float64)
    fun = objective(theta)[0]
    return theta, fun, bool(res.success) and math.isfinite(fun), str(res.message)


def _single_threaded_blas() -> AbstractContextManager[object]:
    """L-BFGS-B calls BLAS on vectors of 3 or 4 numbers; threaded OpenBLAS made each of its
    iterations take milliseconds on the busy 2-core machine (a 5,000-customer fit went from
    0.2 s to 0.01 s with one thread). threadpoolctl comes with scikit-learn."""
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - only slower without it
        return nullcontext()
    limits: AbstractContextManager[object] = threadpool_limits(limits=1, user_api="blas")
    return limits


def _maximise(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    starts: list[FloatArray],
    model: str,
) -> tuple[FloatArray, float]:
    """Minimise a mean negative log-likelihood; see _maximise_from."""
    with _single_threaded_blas():
        return _maximise_from(objective, starts, model)


def _maximise_from(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    starts: list[FloatArray],
    model: str,
) -> tuple[FloatArray, float]:
    """Minimise a mean negative log-likelihood with L-BFGS-B from the best few starts.

    A run that stops without converging (typically its line search giving up on rounding noise
    along a flat ridge, e.g. a, b -> infinity when dropout is the same for everyone) is
    restarted once from where it stopped; it is accepted when the restart converges or changes
    the objective by less than 1e-10 (relative). Returns (log-parameters, minimum); raises
    ValueError when no start converges.
    """
    values = [objective(s)[0] for s in starts]
    order = [i for i in np.argsort(values) if math.isfinite(values[i])][:_MAX_STARTS]
    problems: list[str] = []
    for i in order:
        theta, fun, ok, message = _lbfgsb(objective, starts[i])
        if ok:
            return theta, fun
        if not math.isfinite(fun):
            problems.append(f"{message} (objective not finite)")
            continue
        theta2, fun2, ok2, message2 = _lbfgsb(objective, theta)
        stalled = math.isfinite(fun2) and abs(fun2 - fun) <= _F_ACCEPT * max(1.0, abs(fun))
        if ok2 or stalled:
            return (theta2, fun2) if fun2 <= fun else (theta, fun)
        problems.append(f"{message}, then {message2} (objective {fun:.12g} -> {fun2:.12g})")
    raise ValueError(
        f"{model} maximum-likelihood fit did not converge from {len(order)} starting points: "
        + "; ".join(problems or ["likelihood not finite at any starting point"])
    )


# --------------------------------------------------------------------------- likelihoods


def bgnbd_log_likelihood(
    params: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood for params (r, alpha, a, b).

    Uses B(a+1, b+x-1) / B(a, b+x) = a / (b+x-1) so both terms share the beta factor, and
    logaddexp so large frequencies do not overflow.
    """
    r, alpha, a, b = positive_params(params, ("r", "alpha", "a", "b"))
    x, tx, t_big = validate_rft(frequency, recency, T)
    return _bgnbd_ll(r, alpha, a, b, x, tx, t_big)


def _bgnbd_ll(
    r: float, alpha: float, a: float, b: float, x: FloatArray, tx: FloatArray, t_big: FloatArray
) -> FloatArray:
    common = (
        special.gammaln(r + x)
        - math.lgamma(r)
        + r * math.log(alpha)
        + special.betaln(a, b + x)
        - special.betaln(a, b)
    )
    term_t = -(r + x) * np.log(alpha + t_big)
    x_safe = np.maximum(x, 1.0)  # b + x - 1 > 0 only matters where x > 0
    term_dead = math.log(a) - np.log(b + x_safe - 1.0) - (r + x) * np.log(alpha + tx)
    return np.asarray(
        common + np.where(x > 0, np.logaddexp(term_t, term_dead), term_t), dtype=np.float64
    )


def gamma_gamma_log_likelihood(
    params: npt.ArrayLike, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
) -> FloatArray:
    """Per-customer Gamma-Gamma log-likelihood for params (p, q, gamma); frequency must be > 0.

    This is the density of the mean spend m of x transactions, with the customer's spend rate
    integrated out.
    """
    p, q, g = positive_params(params, ("p", "q", "gamma"))
    x, m = validate_fm(frequency, monetary_value, allow_zero_frequency=False)
    return _gg_ll(p, q, g, x, m)


def _gg_ll(p: float, q: float, g: float, x: FloatArray, m: FloatArray) -> FloatArray:
    px = p * x
    return np.asarray(
        special.gammaln(px + q)
        - special.gammaln(px)
        - math.lgamma(q)
        + q * math.log(g)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(g + m * x),
        dtype=np.float64,
    )


# --------------------------------------------------------------------------- fitted models


@dataclass(frozen=True)
class BgNbdFit:
    """Fitted BG/NBD parameters: transaction rate ~ Gamma(r, alpha), dropout ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float

    def probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """P(customer still active | x, t_x, T); always 1 with no repeat purchase (x = 0)."""
        x, tx, t_big = validate_rft(frequency, recency, T)
        return self._p_alive(x, tx, t_big)

    def _p_alive(self, x: FloatArray, tx: FloatArray, t_big: FloatArray) -> FloatArray:
        x_safe = np.maximum(x, 1.0)
        log_odds = (
            math.log(self.a)
            - np.log(self.b + x_safe - 1.0)
            + (self.r + x) * (np.log(self.alpha + t_big) - np.log(self.alpha + tx))
        )
        # 1 / (1 + exp(log_odds)) computed without overflow.
        p = np.exp(-np.logaddexp(0.0, log_odds))
        return np.asarray(np.where(x > 0, p, 1.0), dtype=np.float64)

    def expected_purchases(
        self,
        t: float | npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
    ) -> FloatArray:
        """Conditional expected number of transactions in (T, T + t] (paper, equation 10).

        The 2F1 term is evaluated after Euler's transformation,
        2F1(r+x, b+x; c; z) = (1-z)^(c-r-2x-b) 2F1(a+b-1-r, a-1; c; z) with c = a+b+x-1, whose
        upper parameters do not grow with x, so it stays well scaled for heavy buyers.
        """
        x, tx, t_big = validate_rft(frequency, recency, T)
        t_arr = np.asarray(t, dtype=np.float64)
        if not np.all(np.isfinite(t_arr)) or np.any(t_arr < 0):
            raise ValueError("t must be finite and non-negative")
        return np.asarray(self._alive_expected(t_arr, x, t_big) * self._p_alive(x, tx, t_big))

    def _alive_expected(self, t: FloatArray, x: FloatArray, t_big: FloatArray) -> FloatArray:
        """E[Y(t) | alive at T, x, T]: equation 10 without its P(alive) factor."""
        return np.asarray(self._bracket_scale(x) * (1.0 - self._survival_term(t, x, t_big)))

    def _bracket_scale(self, x: FloatArray) -> FloatArray:
        if self.a == 1.0:
            raise ValueError("expected_purchases is undefined at a == 1 exactly")
        return np.asarray((self.a + self.b + x - 1.0) / (self.a - 1.0), dtype=np.float64)

    def _survival_term(self, t: FloatArray, x: FloatArray, t_big: FloatArray) -> FloatArray:
        """(1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z) with z = t / (alpha + T + t)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + t_big + t)
        f = special.hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
        return np.asarray(np.exp((a - 1.0) * np.log1p(-z)) * f, dtype=np.float64)

    def _discounted_alive_purchases(
        self, x: FloatArray, t_big: FloatArray, horizon_periods: int, discount: float
    ) -> FloatArray:
        """sum_k (E[Y(k)] - E[Y(k-1)]) / (1+d)^k given alive at T, per (x, T) row."""
        v = 1.0 / (1.0 + discount)
        total = np.zeros_like(x)
        previous = np.ones_like(x)
        for k in range(1, int(horizon_periods) + 1):
            current = self._survival_term(np.asarray(float(k)), x, t_big)
            total += (previous - current) * v**k
            previous = current
        return np.asarray(self._bracket_scale(x) * total, dtype=np.float64)


@dataclass(frozen=True)
class GammaGammaFit:
    """Fitted Gamma-Gamma spend model: spend ~ Gamma(p, nu), nu ~ Gamma(q, gamma)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float

    def expected_average_value(
        self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
    ) -> FloatArray:
        """Posterior mean spend per transaction: shrinks observed means toward the population.

        Customers with frequency 0 get the population mean p * gamma / (q - 1).
        """
        x, m = validate_fm(frequency, monetary_value, allow_zero_frequency=True)
        return self._expected_value(x, m)

    def _expected_value(self, x: FloatArray, m: FloatArray) -> FloatArray:
        if self.q <= 1.0:
            raise ValueError(f"expected average value needs q > 1, fitted q = {self.q}")
        return np.asarray(
            (self.gamma + m * x) * self.p / (self.p * x + self.q - 1.0), dtype=np.float64
        )


# --------------------------------------------------------------------------- fitting


def fit_bgnbd(frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike) -> BgNbdFit:
    """Fit BG/NBD by maximum likelihood.

    The likelihood is summed over distinct (x, t_x, T) triples weighted by their counts and
    maximised by L-BFGS-B on log-parameters with its analytic gradient, from the best few of
    a small grid of starting points. Raises ValueError if the optimiser does not converge.
    """
    x, tx, t_big = validate_rft(frequency, recency, T)
    data = BgNbdData.build(x, tx, t_big)
    theta, fun = _maximise(data.objective, data.starts(), "BG/NBD")
    r, alpha, a, b = data.params(theta)
    return BgNbdFit(r=r, alpha=alpha, a=a, b=b, log_likelihood=-fun * data.n)


def fit_gamma_gamma(frequency: npt.ArrayLike, monetary_value: npt.ArrayLike) -> GammaGammaFit:
    """Fit Gamma-Gamma by maximum likelihood on customers with at least one repeat transaction.

    Same method as fit_bgnbd, on distinct (x, m) pairs.
    """
    x_all, m_all = validate_fm(frequency, monetary_value, allow_zero_frequency=True)
    keep = x_all > 0
    if not np.any(keep):
        raise ValueError("no customers with frequency > 0: Gamma-Gamma needs repeat transactions")
    data = GammaGammaData.build(x_all[keep], m_all[keep])
    theta, fun = _maximise(data.objective, data.starts(), "Gamma-Gamma")
    p, q, g = data.params(theta)
    return GammaGammaFit(p=p, q=q, gamma=g, log_likelihood=-fun * data.n)
