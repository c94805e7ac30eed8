"""What the CLV fits read: checked RFM inputs, and the data reduced to distinct values with
their counts, so one likelihood evaluation costs the distinct values, not the customers."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


# --------------------------------------------------------------------------- input checks


def as_1d(name: str, values: npt.ArrayLike, *, allow_negative: bool = False) -> FloatArray:
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


def check_lengths(**arrays: FloatArray) -> None:
    lengths = {name: arr.shape[0] for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"input lengths differ: {lengths}")


def validate_rft(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate RFM inputs once, so model code can assume a consistent convention."""
    x = as_1d("frequency", frequency)
    tx = as_1d("recency", recency)
    t_big = as_1d("T", T)
    check_lengths(frequency=x, recency=tx, T=t_big)
    if np.any(tx > t_big):
        bad = int(np.argmax(tx > t_big))
        raise ValueError(f"recency > T for customer index {bad} ({tx[bad]} > {t_big[bad]})")
    zero_bad = (x == 0) & (tx != 0)
    if np.any(zero_bad):
        bad = int(np.argmax(zero_bad))
        raise ValueError(f"recency must be 0 when frequency is 0 (customer index {bad})")
    return x, tx, t_big


def validate_fm(
    frequency: npt.ArrayLike, monetary_value: npt.ArrayLike, *, allow_zero_frequency: bool
) -> tuple[FloatArray, FloatArray]:
    x = as_1d("frequency", frequency)
    m = as_1d("monetary_value", monetary_value)
    check_lengths(frequency=x, monetary_value=m)
    if not allow_zero_frequency and np.any(x == 0):
        raise ValueError("frequency must be > 0 for the Gamma-Gamma likelihood")
    if np.any((x > 0) & (m == 0)):
        raise ValueError("monetary_value must be > 0 for customers with frequency > 0")
    return x, m


def positive_params(params: npt.ArrayLike, names: tuple[str, ...]) -> tuple[float, ...]:
    vals = tuple(float(v) for v in np.asarray(params, dtype=np.float64).ravel())
    if len(vals) != len(names):
        raise ValueError(f"expected {len(names)} parameters {names}, got {len(vals)}")
    for name, v in zip(names, vals, strict=True):
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"parameter {name} must be positive and finite, got {v}")
    return vals


def check_horizon(horizon_periods: int, discount_rate_per_period: float, margin: float) -> None:
    if isinstance(horizon_periods, bool) or int(horizon_periods) != horizon_periods:
        raise ValueError(f"horizon_periods must be an integer, got {horizon_periods!r}")
    if horizon_periods < 1:
        raise ValueError(f"horizon_periods must be >= 1, got {horizon_periods}")
    if not (math.isfinite(discount_rate_per_period) and discount_rate_per_period > -1.0):
        raise ValueError(f"discount_rate_per_period must be > -1, got {discount_rate_per_period}")
    if not math.isfinite(margin):
        raise ValueError(f"margin must be finite, got {margin}")


# --------------------------------------------------------------------------- compression


def weighted_sum(weights: FloatArray, values: FloatArray) -> float:
    """Weighted sum. einsum, not ``@``: a BLAS dot spawns threads, which on a busy 2-core
    machine made each call about 80 times slower than this single-threaded loop."""
    return float(np.einsum("i,i->", weights, values))


def unique_rows(*columns: FloatArray) -> tuple[list[FloatArray], IntArray, IntArray]:
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
class BgNbdData:
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
    def build(cls, x: FloatArray, tx: FloatArray, t_big: FloatArray) -> BgNbdData:
        ux, wx = np.unique(x, return_counts=True)
        zero = x == 0
        t0, w0 = np.unique(t_big[zero], return_counts=True)
        if np.all(zero):
            rx = rtx = rt = np.empty(0)
            w = np.empty(0, dtype=np.intp)
        else:
            (rx, rtx, rt), w, _ = unique_rows(x[~zero], tx[~zero], t_big[~zero])
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
        ll = weighted_sum(wx, special.gammaln(r + ux) + special.betaln(a, b + ux))
        ll += n * (r * log_alpha - math.lgamma(r) - float(special.betaln(a, b)))
        d_r = weighted_sum(wx, special.digamma(r + ux)) + n * (
            log_alpha - float(special.digamma(r))
        )
        d_alpha = n * r / alpha
        psi_ab = float(special.digamma(ab))
        d_a = n * psi_ab - weighted_sum(wx, dg_abx)
        d_b = weighted_sum(wx, (special.digamma(b + ux) - dg_abx)) + n * (
            psi_ab - float(special.digamma(b))
        )
        # x = 0: the second likelihood term is absent, leaving -r log(alpha + T).
        log_t0 = np.log(alpha + self.t0)
        ll -= r * weighted_sum(self.w0, log_t0)
        d_r -= weighted_sum(self.w0, log_t0)
        d_alpha -= r * weighted_sum(self.w0, (1.0 / (alpha + self.t0)))
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
        ll += weighted_sum(w, total)
        d_r -= weighted_sum(w, (w_alive * log_t + w_dead * log_tx))
        d_alpha -= weighted_sum(w, (rx * (w_alive / (alpha + self.t) + w_dead / (alpha + self.tx))))
        d_a += weighted_sum(w, w_dead) / a
        d_b -= weighted_sum(w, (w_dead / bx1))
        grad = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
        return -ll / n, -grad / n

    def starts(self) -> list[FloatArray]:
        """A small grid of starting points, alpha set so r / alpha matches the mean rate."""
        mean_x = weighted_sum(self.wx, self.ux) / self.n
        rate = max(mean_x, 0.05) / self.scale
        out = []
        for r in (0.25, 1.0):
            for a in (0.5, 2.0):
                for b in (1.0, 5.0):
                    alpha = r / rate
                    out.append(np.log([r, alpha / self.scale, a, b]))
        return out


@dataclass(frozen=True)
class GammaGammaData:
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
    def build(cls, x: FloatArray, m: FloatArray) -> GammaGammaData:
        (ux_pairs, um), w_int, _ = unique_rows(x, m)
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
            sum_x_log_m=weighted_sum(w, (ux_pairs * log_m)),
            sum_log_m=weighted_sum(w, log_m),
            sum_x_log_x=weighted_sum(wx, (ux * np.log(ux))),
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
        xw_log, w_log = weighted_sum(self.wx_pairs, log_gs), weighted_sum(self.w, log_gs)
        xw_inv, w_inv = weighted_sum(self.wx_pairs, inv_gs), weighted_sum(self.w, inv_gs)
        ll = weighted_sum(wx, (special.gammaln(pux + q) - special.gammaln(pux)))
        ll += n * (q * math.log(g) - math.lgamma(q))
        ll += p * (self.sum_x_log_m + self.sum_x_log_x) - self.sum_log_m
        ll -= p * xw_log + q * w_log
        d_p = weighted_sum(wx, (ux * (dg_pq - special.digamma(pux))))
        d_p += self.sum_x_log_m + self.sum_x_log_x - xw_log
        d_q = weighted_sum(wx, dg_pq) + n * (math.log(g) - float(special.digamma(q))) - w_log
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
