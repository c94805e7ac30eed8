"""Calibration of the booster's log-odds into probabilities: Platt's sigmoid and an
isotonic curve made continuous (see `fit_isotonic`)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import expit
from sklearn.isotonic import IsotonicRegression

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def fit_sigmoid(score: FloatArray, y: BoolArray, w: FloatArray | None) -> tuple[float, float]:
    """Platt scaling on the booster's log-odds: Newton steps with Platt's smoothed targets.

    The smoothed targets (N+ + 1) / (N+ + 2) and 1 / (N- + 2) keep the fit finite even when
    the calibration rows are perfectly separated.
    """
    weights = np.ones_like(score) if w is None else w
    n_pos = float(weights[y].sum())
    n_neg = float(weights[~y].sum())
    target = np.where(y, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(a: float, b: float) -> float:
        z = a * score + b
        # log(1 + e^z) - t z, written stably
        return float(np.sum(weights * (np.logaddexp(0.0, z) - target * z)))

    a, b = 1.0, 0.0
    current = loss(a, b)
    for _ in range(100):
        q = expit(a * score + b)
        residual = weights * (q - target)
        gradient = np.array([np.sum(residual * score), np.sum(residual)])
        h = weights * q * (1 - q)
        hessian = np.array(
            [
                [np.sum(h * score * score) + 1e-9, np.sum(h * score)],
                [np.sum(h * score), np.sum(h) + 1e-9],
            ]
        )
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            step = gradient * 1e-3
        scale = 1.0
        while scale > 1e-8:
            a_new, b_new = a - scale * float(step[0]), b - scale * float(step[1])
            new = loss(a_new, b_new)
            if new <= current:
                break
            scale /= 2
        else:
            break
        converged = abs(current - new) <= 1e-12 * max(1.0, abs(current))
        a, b, current = a_new, b_new, new
        if converged:
            break
    return a, b


def fit_isotonic(
    score: FloatArray, y: BoolArray, w: FloatArray | None
) -> tuple[FloatArray, FloatArray]:
    """Isotonic regression, then linear interpolation between the centres of its blocks.

    Plain isotonic output is a staircase: flat blocks joined by near-vertical steps. Flats
    tie customers the booster ranks apart, and a tiny score change that crosses a step
    moves the probability a lot, which would make occlusion reasons name noise columns.
    Knots at each block's weighted mean score give a continuous, increasing curve with the
    same block averages. Outside the first and last centre the curve is flat.
    """
    weights = np.ones_like(score) if w is None else w
    fitted = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit_transform(
        score, y.astype(np.float64), sample_weight=weights
    )
    values, block = np.unique(fitted, return_inverse=True)
    mass = np.bincount(block, weights=weights)
    keep = mass > 0
    centres = np.bincount(block, weights=weights * score)[keep] / mass[keep]
    return np.asarray(centres, dtype=np.float64), np.asarray(values[keep], dtype=np.float64)
