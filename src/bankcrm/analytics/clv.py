"""Customer lifetime value with the BG/NBD and Gamma-Gamma models.

BG/NBD (Fader, Hardie and Lee 2005, "Counting your customers the easy way") models how often a
customer transacts and when they silently drop out; Gamma-Gamma (Fader, Hardie and Lee 2005,
"RFM and CLV") models how much they spend per transaction. Together they give a discounted CLV
from nothing more than recency, frequency, age and mean spend.

Inputs follow the RFM convention: ``frequency`` is the number of *repeat* transactions,
``recency`` the time of the last transaction measured from the first (0 if ``frequency`` is 0),
``T`` the time since the first transaction, all in the same time unit.

Only numpy is used (scipy is not a dependency), so log-gamma, the Gauss hypergeometric series
and the optimiser (Nelder-Mead on log-parameters) are implemented here, all vectorised over
customers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bankcrm.analytics.optimize import minimise, safe_objective
from bankcrm.analytics.special import betaln, gammaln, hyp2f1

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "BgNbdFit",
    "GammaGammaFit",
    "bgnbd_log_likelihood",
    "discounted_clv",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_log_likelihood",
]


def _as_1d(name: str, values: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: need at least one customer")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if np.any(arr < 0):
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
    common = gammaln(r + x) - gammaln(r) + r * math.log(alpha) + betaln(a, b + x) - betaln(a, b)
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
        gammaln(px + q)
        - gammaln(px)
        - math.lgamma(q)
        + q * math.log(g)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(g + m * x),
        dtype=np.float64,
    )


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
        upper parameters do not grow with x, so the series stays well scaled for heavy buyers.
        """
        x, tx, t_big = _validate_rft(frequency, recency, T)
        t_arr = np.asarray(t, dtype=np.float64)
        if not np.all(np.isfinite(t_arr)) or np.any(t_arr < 0):
            raise ValueError("t must be finite and non-negative")
        return self._expected(t_arr, x, tx, t_big)

    def _expected(
        self, t: FloatArray, x: FloatArray, tx: FloatArray, t_big: FloatArray
    ) -> FloatArray:
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        if a == 1.0:
            raise ValueError("expected_purchases is undefined at a == 1 exactly")
        c = a + b + x - 1.0
        z = t / (alpha + t_big + t)
        f = hyp2f1(np.asarray(a + b - 1.0 - r), np.asarray(a - 1.0), c, z)
        bracket = 1.0 - np.exp((a - 1.0) * np.log1p(-z)) * f
        return np.asarray(c / (a - 1.0) * bracket * self._p_alive(x, tx, t_big), dtype=np.float64)


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
        if self.q <= 1.0:
            raise ValueError(f"expected average value needs q > 1, fitted q = {self.q}")
        x, m = _validate_fm(frequency, monetary_value, allow_zero_frequency=True)
        return np.asarray(
            (self.gamma + m * x) * self.p / (self.p * x + self.q - 1.0), dtype=np.float64
        )


def fit_bgnbd(frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike) -> BgNbdFit:
    """Fit BG/NBD by maximum likelihood (Nelder-Mead on log-parameters keeps them positive)."""
    x, tx, t_big = _validate_rft(frequency, recency, T)
    n = x.size

    def ll(p: FloatArray) -> FloatArray:
        return _bgnbd_ll(float(p[0]), float(p[1]), float(p[2]), float(p[3]), x, tx, t_big)

    # Start at r = a = b = 1 with alpha on the scale of the observation window.
    x0 = np.array([0.0, math.log(max(float(np.mean(t_big)), 1e-6)), 0.0, 0.0])
    best, fbest = minimise(safe_objective(ll, n), x0)
    if not math.isfinite(fbest):
        raise ValueError("BG/NBD likelihood is not finite anywhere searched; check the inputs")
    r, alpha, a, b = (float(v) for v in np.exp(best))
    return BgNbdFit(r=r, alpha=alpha, a=a, b=b, log_likelihood=-fbest * n)


def fit_gamma_gamma(frequency: npt.ArrayLike, monetary_value: npt.ArrayLike) -> GammaGammaFit:
    """Fit Gamma-Gamma by maximum likelihood on customers with at least one repeat transaction."""
    x_all, m_all = _validate_fm(frequency, monetary_value, allow_zero_frequency=True)
    keep = x_all > 0
    if not np.any(keep):
        raise ValueError("no customers with frequency > 0: Gamma-Gamma needs repeat transactions")
    x, m = x_all[keep], m_all[keep]
    n = x.size

    def ll(p: FloatArray) -> FloatArray:
        return _gg_ll(float(p[0]), float(p[1]), float(p[2]), x, m)

    # Start at p = 1, q = 2 and gamma matching the mean spend (p * gamma / (q - 1) = mean m).
    x0 = np.array([0.0, math.log(2.0), math.log(float(np.mean(m)))])
    best, fbest = minimise(safe_objective(ll, n), x0)
    if not math.isfinite(fbest):
        raise ValueError("Gamma-Gamma likelihood is not finite anywhere searched; check inputs")
    p, q, g = (float(v) for v in np.exp(best))
    return GammaGammaFit(p=p, q=q, gamma=g, log_likelihood=-fbest * n)


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
    if isinstance(horizon_periods, bool) or int(horizon_periods) != horizon_periods:
        raise ValueError(f"horizon_periods must be an integer, got {horizon_periods!r}")
    if horizon_periods < 1:
        raise ValueError(f"horizon_periods must be >= 1, got {horizon_periods}")
    if not (math.isfinite(discount_rate_per_period) and discount_rate_per_period > -1.0):
        raise ValueError(f"discount_rate_per_period must be > -1, got {discount_rate_per_period}")
    if not math.isfinite(margin):
        raise ValueError(f"margin must be finite, got {margin}")
    value = gg.expected_average_value(x, m) * margin
    clv = np.zeros_like(x)
    previous = np.zeros_like(x)
    for k in range(1, int(horizon_periods) + 1):
        current = bgnbd._expected(np.asarray(float(k)), x, tx, t_big)
        clv += (current - previous) * value / (1.0 + discount_rate_per_period) ** k
        previous = current
    return clv
