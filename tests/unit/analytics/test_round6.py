"""The write step's vectorised rounding must store exactly what `round(v, 6)` stored."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bankcrm.analytics.score_repository import round6

SPECIAL = [
    0.0,
    -0.0,
    0.5e-6,
    1.5e-6,
    2.5e-6,
    -2.5e-6,
    -1e-9,
    0.1 + 0.2,
    123456.0000005,
    4.5e9 + 0.3,
    1e15 + 0.3,
    1e300,
    -1e300,
    math.inf,
    -math.inf,
    math.nan,
]


def _expected(values: list[float]) -> list[float]:
    return [round(float(v), 6) for v in np.nan_to_num(np.array(values), nan=0.0)]


def _same(got: list[float], want: list[float]) -> bool:
    return all(
        a == b and math.copysign(1, a) == math.copysign(1, b)
        for a, b in zip(got, want, strict=True)
    )


def test_special_values_round_as_python_rounds() -> None:
    assert _same(round6(np.array(SPECIAL)), _expected(SPECIAL))


@settings(max_examples=300)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=50))
def test_any_floats_round_as_python_rounds(values: list[float]) -> None:
    assert _same(round6(np.array(values, dtype=np.float64)), _expected(values))


@settings(max_examples=300)
@given(st.lists(st.integers(-(10**13), 10**13), max_size=50))
def test_ties_at_the_seventh_decimal_round_as_python_rounds(halves: list[int]) -> None:
    values = [(2 * h + 1) / 2e7 for h in halves]  # odd multiples of 0.5e-6, give or take
    assert _same(round6(np.array(values, dtype=np.float64)), _expected(values))


def test_many_random_values_round_as_python_rounds() -> None:
    rng = np.random.default_rng(7)
    values = np.concatenate(
        [rng.normal(0, 1000, 20_000), rng.random(20_000), rng.normal(0, 1e12, 5_000)]
    )
    assert _same(round6(values), _expected(values.tolist()))
