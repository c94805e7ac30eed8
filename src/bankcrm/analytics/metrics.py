"""Metrics for probability scores of a binary outcome (churn, response, default).

Every function takes the outcome `y` (bool or 0/1) and the predicted probability of the
positive class `p`, as 1-D arrays of the same length. Rankings (lift, capture, the lift
table) sort by descending score with a *stable* sort, so tied scores keep their input order
and the same input always gives the same figure. The ranking cut-offs are whole rows:
the top decile is the first ceil(n / 10) rows, the top half the first ceil(n / 2) rows.

Definitions (docs/models.md has them too):

- `roc_auc`: area under the ROC curve (ties count one half), as sklearn computes it.
- `pr_auc`: average precision, the step-wise area under the precision-recall curve
  (sklearn's `average_precision_score`, no interpolation).
- `brier`: mean squared difference between p and y (0 is perfect, lower is better).
- `top_decile_lift`: positive rate among the top-ranked tenth / positive rate overall.
- `capture_at_50`: of all positives, the fraction ranked in the top half (recall at 50%
  depth). It is *not* the precision of the top half (the positive rate among those rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.metrics import average_precision_score, roc_auc_score

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class CalibrationRow:
    """One probability bin of a reliability table: is p of 0.3 right 30% of the time?"""

    bin: int
    lower: float
    upper: float
    n: int
    mean_predicted: float
    observed_rate: float


@dataclass(frozen=True, slots=True)
class LiftRow:
    """One score decile (1 = highest scores): how concentrated the positives are there."""

    decile: int
    n: int
    positives: int
    rate: float
    lift: float
    cumulative_capture: float
    min_score: float
    max_score: float


def _check(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[BoolArray, FloatArray]:
    """Validate once so each metric can assume clean, same-length, 1-D arrays."""
    y_arr = np.asarray(y)
    p_arr = np.asarray(p, dtype=np.float64)
    if y_arr.ndim != 1 or p_arr.ndim != 1:
        raise ValueError("y and p must be one-dimensional")
    if y_arr.shape != p_arr.shape:
        raise ValueError(f"y has {y_arr.shape[0]} values but p has {p_arr.shape[0]}")
    if y_arr.size == 0:
        raise ValueError("y and p are empty")
    if y_arr.dtype != np.bool_:
        if not np.isin(y_arr, (0, 1)).all():
            raise ValueError("y must be boolean or 0/1")
        y_arr = y_arr.astype(np.bool_)
    if not np.isfinite(p_arr).all():
        raise ValueError("p holds NaN or infinite values")
    if (p_arr < 0).any() or (p_arr > 1).any():
        raise ValueError("p must be probabilities in [0, 1]")
    return y_arr, p_arr


def _both_classes(y: BoolArray, metric: str) -> None:
    if y.all() or not y.any():
        raise ValueError(f"{metric} needs both positive and negative outcomes")


def _positives(y: BoolArray, metric: str) -> int:
    count = int(y.sum())
    if count == 0:
        raise ValueError(f"{metric} needs at least one positive outcome")
    return count


def ranking(p: FloatArray) -> npt.NDArray[np.intp]:
    """Row order by descending score; ties keep their input order (stable sort)."""
    return np.argsort(-p, kind="stable")


def top_count(n: int, percent: int) -> int:
    """Rows in the top `percent`% of n, rounded up (integer arithmetic: no 0.1 * 30 = 3.0000001)."""
    return (n * percent + 99) // 100


def roc_auc(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Probability that a random positive scores above a random negative (ties count 1/2)."""
    y_arr, p_arr = _check(y, p)
    _both_classes(y_arr, "ROC AUC")
    return float(roc_auc_score(y_arr, p_arr))


def pr_auc(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Average precision: the precision-recall area that matters when positives are rare."""
    y_arr, p_arr = _check(y, p)
    _positives(y_arr, "PR AUC")
    return float(average_precision_score(y_arr, p_arr))


def brier(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Mean squared error of the probabilities: rewards calibration and sharpness together."""
    y_arr, p_arr = _check(y, p)
    return float(np.mean((p_arr - y_arr) ** 2))


def top_decile_lift(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Positive rate in the top-scored ceil(n/10) rows over the overall positive rate.

    A perfect ranking reaches min(1 / base rate, n / ceil(n/10)), so at most 10.
    """
    y_arr, p_arr = _check(y, p)
    total = _positives(y_arr, "top-decile lift")
    k = top_count(y_arr.size, 10)
    top = int(y_arr[ranking(p_arr)[:k]].sum())
    return (top / k) / (total / y_arr.size)


def capture_at_50(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Share of all positives that fall in the top-ranked half (ceil(n/2) rows).

    This is recall at 50% depth: "if we call the top half, which fraction of the people
    who will act do we reach?". It is not the positive rate within the top half.
    A random ranking gives about 0.5, a perfect one min(1, ceil(n/2) / positives).
    """
    y_arr, p_arr = _check(y, p)
    total = _positives(y_arr, "capture at 50%")
    k = top_count(y_arr.size, 50)
    return int(y_arr[ranking(p_arr)[:k]].sum()) / total


def calibration_table(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> list[CalibrationRow]:
    """Equal-width probability bins on [0, 1], non-empty bins only.

    Bin b holds lower <= p < upper (the last bin includes 1.0). A well-calibrated model has
    mean_predicted close to observed_rate in every well-populated bin.
    """
    if bins < 1:
        raise ValueError("bins must be at least 1")
    y_arr, p_arr = _check(y, p)
    index = np.minimum((p_arr * bins).astype(np.intp), bins - 1)
    counts = np.bincount(index, minlength=bins)
    sum_p = np.bincount(index, weights=p_arr, minlength=bins)
    sum_y = np.bincount(index, weights=y_arr.astype(np.float64), minlength=bins)
    return [
        CalibrationRow(
            bin=b,
            lower=b / bins,
            upper=(b + 1) / bins,
            n=int(counts[b]),
            mean_predicted=float(sum_p[b] / counts[b]),
            observed_rate=float(sum_y[b] / counts[b]),
        )
        for b in range(bins)
        if counts[b] > 0
    ]


def lift_table(y: npt.ArrayLike, p: npt.ArrayLike, groups: int = 10) -> list[LiftRow]:
    """Rows ranked by descending score and cut into `groups` near-equal groups (deciles).

    Row r (0-based rank) goes to group floor(r * groups / n) + 1, so group 1 is exactly the
    ceil(n / groups) rows that `top_decile_lift` uses when groups = 10. Groups that would
    be empty (n < groups) are left out.
    """
    if groups < 1:
        raise ValueError("groups must be at least 1")
    y_arr, p_arr = _check(y, p)
    total = _positives(y_arr, "lift table")
    n = y_arr.size
    order = ranking(p_arr)
    ranked_y = y_arr[order]
    ranked_p = p_arr[order]
    group = (np.arange(n) * groups) // n
    base_rate = total / n
    rows: list[LiftRow] = []
    captured = 0
    for g in range(groups):
        members = group == g
        size = int(members.sum())
        if size == 0:
            continue
        positives = int(ranked_y[members].sum())
        captured += positives
        rate = positives / size
        rows.append(
            LiftRow(
                decile=g + 1,
                n=size,
                positives=positives,
                rate=rate,
                lift=rate / base_rate,
                cumulative_capture=captured / total,
                min_score=float(ranked_p[members].min()),
                max_score=float(ranked_p[members].max()),
            )
        )
    return rows
