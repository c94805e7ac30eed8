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
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

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
# clv_with_interval simulates this many (group, draw) cells at a time (about 8 MB an array).
_CHUNK_DRAWS = 1_000_000


# --------------------------------------------------------------------------- input checks


def _as_1d(name: str, values: npt.ArrayLike, *, allow_negative: bool = False) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: need at least one customer")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if not allow_negative and np.any(arr < 0):
        raise ValueError(f"{name} contains negative values")
    return arr


def _check_lengths(**arrays: FloatArray) -> None:
    lengths = {name: arr.shape[0] for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"input lengths differ: {lengths}")


def _validate_rft(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate RFM inputs once, so model code can assume a consistent convention."""
    x = _as_1d("frequency", frequency)
    tx = _as_1d("recency", recency)
    t_big = _as_1d("T", T)
    _check_lengths(frequency=x, recency=tx, T=t_big)
    if np.any(tx > t_big):
        bad = int(np.argmax(tx > t_big))
        raise ValueError(f"recency > T for customer index {bad} ({tx[bad]} > {t_big[bad]})")
    zero_bad = (x == 0) & (tx != 0)
    if np.any(zero_bad):
        bad = int(np.argmax(zero_bad))
        raise ValueError(f"recency must be 0 when frequency is 0 (customer index {bad})")
    return x, tx, t_big


def _validate_fm(
    frequency: npt.ArrayLike, monetary_value: npt.ArrayLike, *, allow_zero_frequency: bool
) -> tuple[FloatArray, FloatArray]:
    x = _as_1d("frequency", frequency)
    m = _as_1d("monetary_value", monetary_value)
    _check_lengths(frequency=x, monetary_value=m)
    if not allow_zero_frequency and np.any(x == 0):
        raise ValueError("frequency must be > 0 for the Gamma-Gamma likelihood")
    if np.any((x > 0) & (m == 0)):
        raise ValueError("monetary_value must be > 0 for customers with frequency > 0")
    return x, m


def _positive_params(params: npt.ArrayLike, names: tuple[str, ...]) -> tuple[float, ...]:
    vals = tuple(float(v) for v in np.asarray(params, dtype=np.float64).ravel())
    if len(vals) != len(names):
        raise ValueError(f"expected {len(names)} parameters {names}, got {len(vals)}")
    for name, v in zip(names, vals, strict=True):
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"parameter {name} must be positive and finite, got {v}")
    return vals


def _check_horizon(horizon_periods: int, discount_rate_per_period: float, margin: float) -> None:
    if isinstance(horizon_periods, bool) or int(horizon_periods) != horizon_periods:
        raise ValueError(f"horizon_periods must be an integer, got {horizon_periods!r}")
    if horizon_periods < 1:
        raise ValueError(f"horizon_periods must be >= 1, got {horizon_periods}")
    if not (math.isfinite(discount_rate_per_period) and discount_rate_per_period > -1.0):
        raise ValueError(f"discount_rate_per_period must be > -1, got {discount_rate_per_period}")
    if not math.isfinite(margin):
        raise ValueError(f"margin must be finite, got {margin}")


# --------------------------------------------------------------------------- compression


def _dot(weights: FloatArray, values: FloatArray) -> float:
    """Weighted sum. einsum, not ``@``: a BLAS dot spawns threads, which on a busy 2-core
    machine made each call about 80 times slower than this single-threaded loop."""
    return float(np.einsum("i,i->", weights, values))


def _unique_rows(*columns: FloatArray) -> tuple[list[FloatArray], IntArray, IntArray]:
    """Distinct rows of equal-length columns: (their columns, counts, inverse index).

    Each column is factorised on its own and the codes combined into one int64 key, which
    sorts much faster than ``np.unique(..., axis=0)`` on a 2-D float array.
    """
    key = np.zeros(columns[0].shape[0], dtype=np.int64)
    radix = 1
    for col in columns:
        values, codes = np.unique(col, return_inverse=True)
        if radix * values.size >= 2**62:  # re-factorise the key before it can overflow
            _, key = np.unique(key, return_inverse=True)
            radix = int(key.max()) + 1
        key = key * values.size + codes
        radix *= values.size
    _, first, inverse, counts = np.unique(
        key, return_index=True, return_inverse=True, return_counts=True
    )
    return [col[first] for col in columns], counts, inverse.reshape(-1)


@dataclass(frozen=True)
class _BgNbdData:
    """BG/NBD data reduced to what the likelihood needs, each part with its customer counts."""

    n: float  # customers
    ux: FloatArray  # distinct frequencies (including 0) ...
    wx: FloatArray  # ... and how many customers have each
    t0: FloatArray  # distinct T of customers with x = 0 ...
    w0: FloatArray  # ... and their counts
    x: FloatArray  # distinct (x, t_x, T) triples with x > 0 ...
    tx: FloatArray
    t: FloatArray
    w: FloatArray  # ... and their counts
    scale: float  # time scale: alpha is optimised as scale * exp(theta)

    @classmethod
    def build(cls, x: FloatArray, tx: FloatArray, t_big: FloatArray) -> _BgNbdData:
        ux, wx = np.unique(x, return_counts=True)
        zero = x == 0
        t0, w0 = np.unique(t_big[zero], return_counts=True)
        if np.all(zero):
            rx = rtx = rt = np.empty(0)
            w = np.empty(0, dtype=np.intp)
        else:
            (rx, rtx, rt), w, _ = _unique_rows(x[~zero], tx[~zero], t_big[~zero])
        mean_t = float(np.mean(t_big))
        return cls(
            n=float(x.size),
            ux=ux,
            wx=wx.astype(np.float64),
            t0=t0,
            w0=w0.astype(np.float64),
            x=rx,
            tx=rtx,
            t=rt,
            w=w.astype(np.float64),
            scale=mean_t if mean_t > 0 else 1.0,
        )

    def params(self, theta: FloatArray) -> tuple[float, float, float, float]:
        r, alpha, a, b = (float(v) for v in np.exp(theta))
        return r, alpha * self.scale, a, b

    def objective(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Mean negative log-likelihood at log-parameters theta, and its gradient in theta."""
        r, alpha, a, b = self.params(theta)
        n, ux, wx = self.n, self.ux, self.wx
        log_alpha = math.log(alpha)
        # Terms that depend on x only, summed over distinct x with counts.
        ab = a + b
        dg_abx = special.digamma(ab + ux)
        ll = _dot(wx, special.gammaln(r + ux) + special.betaln(a, b + ux))
        ll += n * (r * log_alpha - math.lgamma(r) - float(special.betaln(a, b)))
        d_r = _dot(wx, special.digamma(r + ux)) + n * (log_alpha - float(special.digamma(r)))
        d_alpha = n * r / alpha
        psi_ab = float(special.digamma(ab))
        d_a = n * psi_ab - _dot(wx, dg_abx)
        d_b = _dot(wx, (special.digamma(b + ux) - dg_abx)) + n * (
            psi_ab - float(special.digamma(b))
        )
        # x = 0: the second likelihood term is absent, leaving -r log(alpha + T).
        log_t0 = np.log(alpha + self.t0)
        ll -= r * _dot(self.w0, log_t0)
        d_r -= _dot(self.w0, log_t0)
        d_alpha -= r * _dot(self.w0, (1.0 / (alpha + self.t0)))
        # x > 0: log of a sum of two terms, with weights w1 + w2 = 1 for the derivatives.
        x, w = self.x, self.w
        rx = r + x
        log_t = np.log(alpha + self.t)
        log_tx = np.log(alpha + self.tx)
        bx1 = b + np.maximum(x, 1.0) - 1.0  # as _bgnbd_ll: only fractional 0 < x < 1 differ
        term_alive = -rx * log_t
        term_dead = math.log(a) - np.log(bx1) - rx * log_tx
        total = np.logaddexp(term_alive, term_dead)
        w_alive = np.exp(term_alive - total)
        w_dead = np.exp(term_dead - total)
        ll += _dot(w, total)
        d_r -= _dot(w, (w_alive * log_t + w_dead * log_tx))
        d_alpha -= _dot(w, (rx * (w_alive / (alpha + self.t) + w_dead / (alpha + self.tx))))
        d_a += _dot(w, w_dead) / a
        d_b -= _dot(w, (w_dead / bx1))
        grad = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
        return -ll / n, -grad / n

    def starts(self) -> list[FloatArray]:
        """A small grid of starting points, alpha set so r / alpha matches the mean rate."""
        mean_x = _dot(self.wx, self.ux) / self.n
        rate = max(mean_x, 0.05) / self.scale
        out = []
        for r in (0.25, 1.0):
            for a in (0.5, 2.0):
                for b in (1.0, 5.0):
                    alpha = r / rate
                    out.append(np.log([r, alpha / self.scale, a, b]))
        return out


@dataclass(frozen=True)
class _GammaGammaData:
    """Gamma-Gamma data reduced to distinct x, distinct (x, m) pairs and three fixed sums."""

    n: float
    ux: FloatArray  # distinct frequencies (> 0) ...
    wx: FloatArray  # ... and their counts
    s: FloatArray  # distinct (x, m) pairs as total spend s = m x ...
    w: FloatArray  # ... their counts
    wx_pairs: FloatArray  # ... and counts times x
    sum_x_log_m: float  # sum of x log m
    sum_log_m: float  # sum of log m
    sum_x_log_x: float  # sum of x log x
    scale: float  # spend scale: gamma is optimised as scale * exp(theta)

    @classmethod
    def build(cls, x: FloatArray, m: FloatArray) -> _GammaGammaData:
        (ux_pairs, um), w_int, _ = _unique_rows(x, m)
        w = w_int.astype(np.float64)
        ux, wx_int = np.unique(x, return_counts=True)
        wx = wx_int.astype(np.float64)
        log_m = np.log(um)
        return cls(
            n=float(x.size),
            ux=ux,
            wx=wx,
            s=ux_pairs * um,
            w=w,
            wx_pairs=w * ux_pairs,
            sum_x_log_m=_dot(w, (ux_pairs * log_m)),
            sum_log_m=_dot(w, log_m),
            sum_x_log_x=_dot(wx, (ux * np.log(ux))),
            scale=float(np.mean(m)),
        )

    def params(self, theta: FloatArray) -> tuple[float, float, float]:
        p, q, g = (float(v) for v in np.exp(theta))
        return p, q, g * self.scale

    def objective(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Mean negative log-likelihood at log-parameters theta, and its gradient in theta."""
        p, q, g = self.params(theta)
        n, ux, wx = self.n, self.ux, self.wx
        pux = p * ux
        dg_pq = special.digamma(pux + q)
        # Per-pair work is one log and one reciprocal: sum w (p x + q) f(s) is split into
        # p * sum (w x) f(s) + q * sum w f(s).
        g_s = g + self.s
        log_gs = np.log(g_s)
        inv_gs = 1.0 / g_s
        xw_log, w_log = _dot(self.wx_pairs, log_gs), _dot(self.w, log_gs)
        xw_inv, w_inv = _dot(self.wx_pairs, inv_gs), _dot(self.w, inv_gs)
        ll = _dot(wx, (special.gammaln(pux + q) - special.gammaln(pux)))
        ll += n * (q * math.log(g) - math.lgamma(q))
        ll += p * (self.sum_x_log_m + self.sum_x_log_x) - self.sum_log_m
        ll -= p * xw_log + q * w_log
        d_p = _dot(wx, (ux * (dg_pq - special.digamma(pux))))
        d_p += self.sum_x_log_m + self.sum_x_log_x - xw_log
        d_q = _dot(wx, dg_pq) + n * (math.log(g) - float(special.digamma(q))) - w_log
        d_g = n * q / g - p * xw_inv - q * w_inv
        grad = np.array([d_p * p, d_q * q, d_g * g])
        return -ll / n, -grad / n

    def starts(self) -> list[FloatArray]:
        """Grid over p and q, gamma set so the population mean p gamma / (q - 1) = mean m."""
        out = []
        for p in (0.5, 2.0, 8.0):
            for q in (1.5, 3.0, 10.0):
                out.append(np.log([p, q, (q - 1.0) / p]))
        return out


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
    r, alpha, a, b = _positive_params(params, ("r", "alpha", "a", "b"))
    x, tx, t_big = _validate_rft(frequency, recency, T)
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
    p, q, g = _positive_params(params, ("p", "q", "gamma"))
    x, m = _validate_fm(frequency, monetary_value, allow_zero_frequency=False)
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
        x, tx, t_big = _validate_rft(frequency, recency, T)
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
        x, tx, t_big = _validate_rft(frequency, recency, T)
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
        x, m = _validate_fm(frequency, monetary_value, allow_zero_frequency=True)
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
    x, tx, t_big = _validate_rft(frequency, recency, T)
    data = _BgNbdData.build(x, tx, t_big)
    theta, fun = _maximise(data.objective, data.starts(), "BG/NBD")
    r, alpha, a, b = data.params(theta)
    return BgNbdFit(r=r, alpha=alpha, a=a, b=b, log_likelihood=-fun * data.n)


def fit_gamma_gamma(frequency: npt.ArrayLike, monetary_value: npt.ArrayLike) -> GammaGammaFit:
    """Fit Gamma-Gamma by maximum likelihood on customers with at least one repeat transaction.

    Same method as fit_bgnbd, on distinct (x, m) pairs.
    """
    x_all, m_all = _validate_fm(frequency, monetary_value, allow_zero_frequency=True)
    keep = x_all > 0
    if not np.any(keep):
        raise ValueError("no customers with frequency > 0: Gamma-Gamma needs repeat transactions")
    data = _GammaGammaData.build(x_all[keep], m_all[keep])
    theta, fun = _maximise(data.objective, data.starts(), "Gamma-Gamma")
    p, q, g = data.params(theta)
    return GammaGammaFit(p=p, q=q, gamma=g, log_likelihood=-fun * data.n)


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
    (gx, gt), _, inverse = _unique_rows(x, t_big)
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
    x, tx, t_big = _validate_rft(frequency, recency, T)
    m = _as_1d("monetary_value", monetary_value)
    _check_lengths(frequency=x, monetary_value=m)
    _check_horizon(horizon_periods, discount_rate_per_period, margin)
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
    x, tx, t_big = _validate_rft(frequency, recency, T)
    m = _as_1d("monetary_value", monetary_value, allow_negative=True)
    _check_lengths(frequency=x, monetary_value=m)
    _check_horizon(horizon_periods, discount_rate_per_period, margin)
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
