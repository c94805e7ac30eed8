"""Metrics of probability scores: hand-computed cases, sklearn references and properties."""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score

from bankcrm.analytics import metrics

Y = np.array([True, False, True, False])
P = np.array([0.9, 0.8, 0.4, 0.1])


def test_hand_computed_case() -> None:
    # Pairs (positive, negative): 0.9>0.8, 0.9>0.1, 0.4<0.8, 0.4>0.1 -> 3 of 4.
    assert metrics.roc_auc(Y, P) == pytest.approx(0.75)
    # Ranked: pos (precision 1, recall 1/2), neg, pos (precision 2/3, recall 1).
    assert metrics.pr_auc(Y, P) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert metrics.brier(Y, P) == pytest.approx((0.01 + 0.64 + 0.36 + 0.01) / 4)
    # Top decile of 4 rows is ceil(0.4) = 1 row, a positive: rate 1 over base rate 1/2.
    assert metrics.top_decile_lift(Y, P) == pytest.approx(2.0)
    # Top half is rows 0.9 (positive) and 0.8 (negative): 1 of the 2 positives.
    assert metrics.capture_at_50(Y, P) == pytest.approx(0.5)


def test_capture_at_50_is_recall_not_precision() -> None:
    # 10 rows, 2 positives both ranked in the top half: recall 1.0, precision only 2/5.
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    p = np.linspace(0.9, 0.0, 10)
    assert metrics.capture_at_50(y, p) == 1.0


def test_ties_keep_input_order() -> None:
    y = np.array([0, 1, 1, 0])
    p = np.full(4, 0.5)
    assert metrics.capture_at_50(y, p) == 0.5  # rows 0 and 1 form the top half
    assert metrics.top_decile_lift(y, p) == 0.0  # row 0 alone is the top decile
    assert metrics.top_decile_lift(y[::-1], p) == 0.0
    assert metrics.top_decile_lift(np.array([1, 0, 1, 0]), p) == 2.0
    assert metrics.roc_auc(y, p) == 0.5


def test_top_count_rounds_up_without_float_error() -> None:
    assert metrics.top_count(30, 10) == 3  # 0.1 * 30 is 3.0000000000000004 in floats
    assert metrics.top_count(31, 10) == 4
    assert metrics.top_count(1, 10) == 1
    assert metrics.top_count(10, 50) == 5
    assert metrics.top_count(11, 50) == 6


def test_calibration_table() -> None:
    y = np.array([0, 1, 0, 1])
    p = np.array([0.05, 0.15, 0.15, 1.0])
    rows = metrics.calibration_table(y, p, bins=10)
    assert [(r.bin, r.n) for r in rows] == [(0, 1), (1, 2), (9, 1)]
    assert rows[1].mean_predicted == pytest.approx(0.15)
    assert rows[1].observed_rate == pytest.approx(0.5)
    assert (rows[1].lower, rows[1].upper) == pytest.approx((0.1, 0.2))
    assert rows[2].observed_rate == 1.0 and rows[2].mean_predicted == 1.0


def test_lift_table_deciles() -> None:
    rng = np.random.default_rng(3)
    y = rng.random(25) < 0.3
    y[0] = True
    p = rng.random(25)
    rows = metrics.lift_table(y, p)
    assert [r.decile for r in rows] == list(range(1, 11))
    assert sum(r.n for r in rows) == 25 and rows[0].n == 3
    assert sum(r.positives for r in rows) == int(y.sum())
    assert rows[0].lift == pytest.approx(metrics.top_decile_lift(y, p))
    assert rows[-1].cumulative_capture == pytest.approx(1.0)
    assert all(a.min_score >= b.max_score for a, b in itertools.pairwise(rows))


def test_lift_table_with_fewer_rows_than_groups() -> None:
    rows = metrics.lift_table(np.array([1, 0, 0]), np.array([0.9, 0.5, 0.1]))
    assert [r.n for r in rows] == [1, 1, 1]


@pytest.mark.parametrize(
    ("y", "p", "message"),
    [
        ([], [], "empty"),
        ([1, 0], [0.5], "2 values but p has 1"),
        ([1, 2], [0.5, 0.5], "boolean or 0/1"),
        ([1, 0], [0.5, float("nan")], "NaN"),
        ([1, 0], [0.5, 1.5], "probabilities"),
        ([[1, 0]], [[0.5, 0.5]], "one-dimensional"),
    ],
)
def test_bad_input_is_refused(y: list[int], p: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        metrics.brier(y, p)


def test_metrics_that_need_positives_say_so() -> None:
    y, p = np.zeros(5, dtype=bool), np.linspace(0, 1, 5)
    for metric in (metrics.pr_auc, metrics.top_decile_lift, metrics.capture_at_50):
        with pytest.raises(ValueError, match="positive"):
            metric(y, p)
    with pytest.raises(ValueError, match="both"):
        metrics.roc_auc(y, p)


# --- properties --------------------------------------------------------------------------


@st.composite
def outcomes_and_scores(draw: st.DrawFn) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    n = draw(st.integers(2, 300))
    y = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    if y.all() or not y.any():
        y[draw(st.integers(0, n - 1))] = not y[0]
    # Few distinct values so ties are common.
    levels = draw(st.integers(2, 50))
    p = np.array(draw(st.lists(st.integers(0, levels), min_size=n, max_size=n))) / levels
    return y, p


@given(outcomes_and_scores())
@settings(max_examples=150, deadline=None)
def test_properties(data: tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]) -> None:
    y, p = data
    n, positives = y.size, int(y.sum())
    assert metrics.roc_auc(y, p) == pytest.approx(roc_auc_score(y, p))
    assert metrics.pr_auc(y, p) == pytest.approx(average_precision_score(y, p))
    assert 0.0 <= metrics.capture_at_50(y, p) <= 1.0
    assert 0.0 <= metrics.brier(y, p) <= 1.0
    lift = metrics.top_decile_lift(y, p)
    assert 0.0 <= lift <= n / positives * (1 + 1e-12)  # the bound, up to float rounding

    # A perfect ranking: lift 1 / base rate, capped by the decile size (so at most 10).
    perfect = y.astype(np.float64)
    k10, k50 = math.ceil(n / 10), math.ceil(n / 2)
    best_lift = min(n / positives, n / k10)
    assert metrics.top_decile_lift(y, perfect) == pytest.approx(best_lift)
    assert best_lift <= 10.0
    assert metrics.capture_at_50(y, perfect) == pytest.approx(min(1.0, k50 / positives))
    assert metrics.roc_auc(y, perfect) == 1.0

    # Ranking metrics depend on the order of the scores only.
    squashed = p**3 / 2
    assert metrics.roc_auc(y, squashed) == pytest.approx(metrics.roc_auc(y, p))
    assert metrics.top_decile_lift(y, squashed) == pytest.approx(lift)
    assert metrics.capture_at_50(y, squashed) == pytest.approx(metrics.capture_at_50(y, p))

    rows = metrics.lift_table(y, p)
    assert sum(r.n for r in rows) == n and sum(r.positives for r in rows) == positives
    table = metrics.calibration_table(y, p)
    assert sum(r.n for r in table) == n
    assert sum(r.observed_rate * r.n for r in table) == pytest.approx(positives)
