"""A small derivative-free minimiser for maximum-likelihood fits (scipy is not a
dependency): Nelder-Mead, restarted with smaller steps until it stops improving."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def nelder_mead(
    f: Callable[[FloatArray], float],
    x0: FloatArray,
    *,
    step: float = 0.5,
    max_iter: int = 4000,
    xatol: float = 1e-9,
    fatol: float = 1e-12,
) -> tuple[FloatArray, float]:
    """Plain Nelder-Mead minimiser (scipy is not available)."""
    n = x0.size
    simplex = np.vstack([x0] + [x0 + step * np.eye(n)[i] for i in range(n)])
    values = np.array([f(v) for v in simplex])
    for _ in range(max_iter):
        order = np.argsort(values)
        simplex, values = simplex[order], values[order]
        if (
            np.max(np.abs(simplex[1:] - simplex[0])) <= xatol
            and np.max(np.abs(values[1:] - values[0])) <= fatol
        ):
            break
        centroid = simplex[:-1].mean(axis=0)
        worst = simplex[-1]
        xr = centroid + (centroid - worst)
        fr = f(xr)
        if fr < values[0]:
            xe = centroid + 2.0 * (centroid - worst)
            fe = f(xe)
            simplex[-1], values[-1] = (xe, fe) if fe < fr else (xr, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = xr, fr
        else:
            if fr < values[-1]:
                xc = centroid + 0.5 * (xr - centroid)
            else:
                xc = centroid + 0.5 * (worst - centroid)
            fc = f(xc)
            if fc < min(fr, values[-1]):
                simplex[-1], values[-1] = xc, fc
            else:
                simplex[1:] = simplex[0] + 0.5 * (simplex[1:] - simplex[0])
                values[1:] = [f(v) for v in simplex[1:]]
    best = int(np.argmin(values))
    return simplex[best].copy(), float(values[best])


def minimise(f: Callable[[FloatArray], float], x0: FloatArray) -> tuple[FloatArray, float]:
    """Nelder-Mead with restarts: a collapsed simplex can stall short of the optimum."""
    x, fx = nelder_mead(f, x0)
    for step in (0.1, 0.02):
        x_new, f_new = nelder_mead(f, x, step=step)
        improved = f_new < fx - 1e-12
        if f_new <= fx:
            x, fx = x_new, f_new
        if not improved:
            break
    return x, fx


def safe_objective(ll: Callable[[FloatArray], FloatArray], n: int) -> Callable[[FloatArray], float]:
    """Mean negative log-likelihood on log-parameters; non-finite values become +inf."""

    def objective(log_params: FloatArray) -> float:
        if np.any(np.abs(log_params) > 30):
            return math.inf
        with np.errstate(all="ignore"):
            total = float(np.sum(ll(np.exp(log_params))))
        return -total / n if math.isfinite(total) else math.inf

    return objective
